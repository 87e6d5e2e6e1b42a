/* tests/test_plot_text.c — being written (issue 12). */
#include <criterion/criterion.h>

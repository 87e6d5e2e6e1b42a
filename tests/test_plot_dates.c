/* tests/test_plot_dates.c — being written (issue 12). */
#include <criterion/criterion.h>

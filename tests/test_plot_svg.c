/* tests/test_plot_svg.c — being written (issue 12). */
#include <criterion/criterion.h>

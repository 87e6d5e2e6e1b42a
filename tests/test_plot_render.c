/* tests/test_plot_render.c — being written (issue 12). */
#include <criterion/criterion.h>

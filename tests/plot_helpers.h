/* tests/plot_helpers.h — small helpers shared by the plot suite's test files (all linked
 * into test_plot): a file's whole text, counting a string, a plain graphics context. */
#ifndef TG_TEST_PLOT_HELPERS_H
#define TG_TEST_PLOT_HELPERS_H

#include <stddef.h>
#include <stdint.h>

#include "plot/render.h"

/* The whole file, NUL-terminated (free() it); its length in *len (may be NULL). Fails the
 * test when the file cannot be read. */
char *plot_slurp(const char *path, size_t *len);
/* Non-overlapping occurrences of needle in hay. */
int plot_count(const char *hay, const char *needle);
/* An opaque, unclipped, solid gc of that colour (0xRRGGBB) and line width (px). */
tg_plot_gc plot_gc(uint32_t color, float lw);

#endif

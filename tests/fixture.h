/* tests/fixture.h — reads the parity fixtures in tests/fixtures/ (written by
 * tools/make_fixtures_*.py with PyTorch, committed as data so C tests never run Python).
 *
 * Format, plain text:
 *   # comment lines
 *   tensor <name> <ndim> <d0> ... <d(ndim-1)>
 *   <size values in float64 %.17g, whitespace separated>
 * Test-only code: loading failures are reported through Criterion by the caller.
 */
#ifndef TG_TEST_FIXTURE_H
#define TG_TEST_FIXTURE_H

#include <stdint.h>

#include "tapegrad.h"

typedef struct fx_tensor {
    char name[96];
    int ndim;
    int shape[TG_MAX_DIMS];
    int64_t size;
    double *data;
} fx_tensor;

typedef struct fixture {
    fx_tensor *items;
    int n;
} fixture;

/* Loads tests/fixtures/<file>; NULL (with a message on stderr) when missing or malformed. */
fixture *fx_load(const char *file);
void fx_free(fixture *f);
/* The tensor named `name`, or NULL. */
const fx_tensor *fx_get(const fixture *f, const char *name);
/* A heap tensor with the fixture's values rounded to float (caller frees). */
tg_tensor *fx_tensor_new(const fx_tensor *t);
/* Copies the fixture's values into an existing tensor of the same size. */
void fx_copy_into(const fx_tensor *t, tg_tensor *dst);
/* max |got - want| / max(max |want|, 1e-12): the error relative to the largest magnitude. */
double fx_rel_err(const float *got, const fx_tensor *want);

#endif

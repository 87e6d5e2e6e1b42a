/* tensor/alloc.c — tapegrad's one heap allocator (aligned, counted).
 * The allocation counter lets tests prove that a training step allocates nothing after
 * the first. Not a pool: arenas live in autograd/tape.c. */
#include "tensor/tensor.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_uint_fast64_t heap_allocs;

uint64_t tg_heap_alloc_count(void) { return (uint64_t)atomic_load(&heap_allocs); }

void *tg_malloc(size_t bytes)
{
    /* 64-byte alignment for AVX-512 loads; aligned_alloc wants a multiple of it. */
    size_t rounded = (bytes + 63) & ~(size_t)63;
    if (rounded == 0) rounded = 64;
    void *p = aligned_alloc(64, rounded);
    if (!p)
        tg_contract_fail((tg_loc){__FILE__, __LINE__}, "tg_malloc",
                         "out of memory allocating %zu bytes", bytes);
    atomic_fetch_add(&heap_allocs, 1);
    return p;
}

void *tg_calloc(size_t bytes)
{
    void *p = tg_malloc(bytes);
    memset(p, 0, bytes);
    return p;
}

void tg_free(void *p) { free(p); }

void *tg_grow(void *items, int n, int *cap, int first, size_t elem)
{
    if (n < *cap) return items;
    int grown = *cap ? 2 * *cap : first;
    void *p = tg_calloc((size_t)grown * elem);
    if (n) memcpy(p, items, (size_t)n * elem);
    tg_free(items);
    *cap = grown;
    return p;
}

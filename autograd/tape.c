/* autograd/tape.c — the tape: a bump arena of chained chunks, the op records, backward.
 *
 * Per-step memory (activations, their gradients, records, saved buffers) comes from the
 * arena. tg_tape_reset() rewinds it in O(1) and keeps every chunk, so a step that repeats
 * the previous one's allocations finds them all in place and mallocs nothing. The arena
 * grows by chaining a new chunk at least as large as everything held so far, so a step
 * needs O(log) chunks and nobody sizes the arena in advance.
 *
 * Backward walks the records newest first through their prev links: the recording order
 * is already a topological order, so there is no sort and no recursion.
 *
 * Not here: the ops themselves (ops_*.c), parameters (params.c).
 */
#include "autograd/internal.h" /* op.h, and the packing cache's declarations */

#include <stdatomic.h>
#include <string.h>

#define ALIGN 64
#define FIRST_CHUNK ((size_t)1 << 20) /* 1 MiB; later chunks double the reservation */

typedef struct chunk {
    struct chunk *next;
    size_t cap;           /* usable bytes at mem */
    size_t used;
    unsigned char *mem;
} chunk;

/* Dead gradient buffers of one byte size, recycled during backward (see tg_grad_of). */
#define BINS 24
typedef struct bin {
    size_t bytes;
    void *head; /* singly linked through the first 8 bytes of each free buffer */
} bin;

/* A right-hand GEMM operand seen in a packing scope (tg_tape_packed_b): packed into tape
 * memory on its second lookup. */
#define PACK_SLOTS 16
typedef struct packed_entry {
    const float *b;
    int K, N, ldb, path;
    bool trans;
    tg_gemm_packed_b pb; /* pb.data NULL until packed */
} packed_entry;

/* Tensor headers come from blocks in a ring that tg_tape_reset does not rewind: a block is
 * reused only HDR_KEEP steps after it was last used, so the header of a tensor kept across
 * a reset still holds its old generation when the next step uses it (were headers in the
 * arena, the next step would write a fresh header at the very same address). */
enum { HDR_BLOCK = 256, HDR_KEEP = 2 };
typedef struct hdr_block {
    struct hdr_block *next; /* the ring */
    uint32_t gen;           /* the last step that took a header here */
    int used;
    tg_tensor h[HDR_BLOCK];
} hdr_block;

struct tg_tape {
    uint32_t id, gen;     /* see "tape generations" below */
    hdr_block *hdr;       /* the header block in use */
    chunk *first, *cur;   /* cur: the chunk allocations come from now */
    bin bins[BINS];
    int n_bins;
    tg_node *last;        /* newest record */
    int n_nodes;
    int n_chunks;
    size_t reserved;      /* sum of chunk capacities */
    size_t used;          /* bytes handed out since reset */
    uint64_t heap_allocs;
    bool grad_enabled;
    bool backward_done;   /* a second backward before reset would double-count */
    bool packing_off;     /* tg_tape_set_packing(t, false) */
    bool pack_open;       /* a packing scope is open */
    const float *pack_lo, *pack_hi; /* its constant memory, or both NULL: any tensor data */
    int n_packed;
    packed_entry packed[PACK_SLOTS];
    /* Batch shards (tg__tape_shard): child tapes handed out in order each step. */
    tg_tape **shards;
    int n_shards, cap_shards, shards_used;
    /* On a shard tape: gradients of tensors that are not its own (parameters, leaves), kept
     * here instead of in the tensors so that shards on other threads never share a buffer;
     * tg__shard_grads_add moves them into the parent's. Arena memory, reset with the tape. */
    bool is_shard;
    tg_tensor *root; /* during tg_backward: the tensor it started from */
    tg_backward_hook hook; /* tg_tape_set_backward_hook's, until the reset */
    void *hook_user;
    struct leaf_grad {
        tg_tensor *leaf;
        float *g;
    } *leaves;
    int n_leaves, cap_leaves;
};

static size_t round_up(size_t n) { return (n + ALIGN - 1) & ~(size_t)(ALIGN - 1); }

/* ---- tape generations: catching a tensor used after its tape was reset ------------------
 * Every tape gets an id (the first TAPE_IDS tapes of the process; later ones go unchecked)
 * and a generation that tg_tape_reset advances; tg_tape_free marks it dead. A tape tensor
 * carries both; tg_check_tensor (every op builder calls it) compares the tensor's
 * generation with its tape's current one. The table is read without locks (relaxed
 * atomics): a check only compares numbers, and a stale tensor's header, even when its
 * memory was reused, is at worst a number that differs. */
enum { TAPE_IDS = 4096 };
#define GEN_DEAD UINT32_MAX
static _Atomic uint32_t tape_gens[TAPE_IDS];
static _Atomic uint32_t next_tape_id = 1;

/* A block of the ring that is free again (last used HDR_KEEP or more steps ago), or NULL. */
static hdr_block *free_block(const tg_tape *t, hdr_block *from)
{
    for (hdr_block *n = from; n; n = n->next == from ? NULL : n->next)
        if (n != t->hdr && n->gen + HDR_KEEP <= t->gen) return n;
    return NULL;
}

tg_tensor *tg__tape_header(tg_tape *t)
{
    hdr_block *b = t->hdr;
    if (!b || b->used == HDR_BLOCK) {
        hdr_block *n = b ? free_block(t, b->next) : NULL;
        if (!n) { /* two blocks: one now, one that the next step may take (gen - 1) */
            hdr_block *a1 = tg_calloc(sizeof *a1), *a2 = tg_calloc(sizeof *a2);
            t->heap_allocs += 2;
            a2->gen = t->gen - 1;
            a1->next = a2;
            a2->next = b ? b->next : a1;
            if (b) b->next = a1;
            n = a1;
        }
        n->used = 0;
        t->hdr = b = n;
    }
    b->gen = t->gen;
    tg_tensor *x = &b->h[b->used++];
    memset(x, 0, sizeof *x);
    return x;
}

void tg__tape_stamp(const tg_tape *t, tg_tensor *x)
{
    x->tape_id = t->id;
    x->tape_gen = t->gen;
}

tg_tape *tg_tape_new(void)
{
    tg_tape *t = tg_calloc(sizeof *t);
    t->grad_enabled = true;
    uint32_t id = atomic_fetch_add_explicit(&next_tape_id, 1, memory_order_relaxed);
    t->id = id < TAPE_IDS ? id : 0;
    t->gen = 1;
    if (t->id) atomic_store_explicit(&tape_gens[t->id], t->gen, memory_order_relaxed);
    return t;
}

void tg_check_tensor(const tg_tensor *x, const char *op, const char *what, tg_loc loc)
{
    if (!x) tg_contract_fail(loc, op, "%s is NULL", what);
    if ((x->flags & TG_ON_TAPE) && x->tape_id && x->tape_id < TAPE_IDS) {
        uint32_t now = atomic_load_explicit(&tape_gens[x->tape_id], memory_order_relaxed);
        if (now == GEN_DEAD)
            tg_contract_fail(loc, op, "%s belongs to a tape that was freed (tg_tape_free)",
                             what);
        if (now != x->tape_gen)
            tg_contract_fail(loc, op, "%s was freed by tg_tape_reset: it was made in step %u of "
                             "its tape, which is now in step %u; copy what must outlive a "
                             "step (tg_tensor_copy)", what, x->tape_gen, now);
    }
    if (!x->data && x->size > 0) tg_contract_fail(loc, op, "%s has no data", what);
}

void tg_tape_free(tg_tape *t)
{
    if (!t) return;
    if (t->id) atomic_store_explicit(&tape_gens[t->id], GEN_DEAD, memory_order_relaxed);
    hdr_block *b = t->hdr;
    if (b) { /* the ring: cut it, then free along it */
        hdr_block *first = b->next;
        b->next = NULL;
        for (hdr_block *c = first, *next; c; c = next) {
            next = c->next;
            tg_free(c);
        }
    }
    for (int i = 0; i < t->n_shards; i++) tg_tape_free(t->shards[i]);
    tg_free(t->shards);
    for (chunk *c = t->first, *next; c; c = next) {
        next = c->next;
        tg_free(c);
    }
    tg_free(t);
}

void tg_tape_reset(tg_tape *t)
{
    t->gen = t->gen + 1 >= GEN_DEAD ? 1 : t->gen + 1; /* tensors of the last step go stale */
    if (t->id) atomic_store_explicit(&tape_gens[t->id], t->gen, memory_order_relaxed);
    /* Chunks after the first get used = 0 when the bump pointer reaches them. */
    t->cur = t->first;
    if (t->cur) t->cur->used = 0;
    t->last = NULL;
    t->n_nodes = 0;
    t->used = 0;
    t->backward_done = false;
    t->hook = NULL, t->hook_user = NULL;
    t->n_bins = 0;
    t->pack_open = false;
    t->n_packed = 0;
    t->shards_used = 0;
    /* A step starts on a fresh header block: continuing the last one would make the
     * number of blocks a step touches drift with the offset, and the ring grow (a heap
     * allocation) at some later step whenever the drift costs one more block. */
    if (t->hdr) t->hdr->used = HDR_BLOCK;
    t->leaves = NULL;
    t->n_leaves = t->cap_leaves = 0;
    if (!t->is_shard) tg_threads_tick(); /* once a step: threads follow the machine's load */
}

/* ---- batch shards --------------------------------------------------------------------------
 * The sequence runner (layers/rnn.c) may run batch rows in shards, each on a tape of its
 * own that one thread records and walks back; the parent keeps them from step to step. */

tg_tape *tg__tape_shard(tg_tape *parent)
{
    if (parent->shards_used == parent->n_shards) {
        parent->shards = tg_grow(parent->shards, parent->n_shards, &parent->cap_shards, 4,
                                 sizeof *parent->shards);
        tg_tape *c = tg_tape_new();
        c->is_shard = true;
        parent->shards[parent->n_shards++] = c;
    }
    tg_tape *c = parent->shards[parent->shards_used++];
    tg_tape_reset(c);
    c->grad_enabled = parent->grad_enabled;
    c->packing_off = parent->packing_off;
    return c;
}

/* A shard's own buffer for the gradient of a tensor it did not allocate, zeroed on first
 * use. Linear search: a layer has a handful of parameters. */
static float *shard_leaf_grad(tg_tape *t, tg_tensor *x)
{
    for (int i = 0; i < t->n_leaves; i++)
        if (t->leaves[i].leaf == x) return t->leaves[i].g;
    if (t->n_leaves == t->cap_leaves) { /* grow inside the arena: dropped at reset */
        int cap = t->cap_leaves ? 2 * t->cap_leaves : 16;
        struct leaf_grad *l = tg_tape_alloc(t, sizeof *l * (size_t)cap);
        if (t->n_leaves) memcpy(l, t->leaves, sizeof *l * (size_t)t->n_leaves);
        t->leaves = l;
        t->cap_leaves = cap;
    }
    float *g = tg_tape_alloc(t, (size_t)x->size * sizeof(float));
    memset(g, 0, (size_t)x->size * sizeof(float));
    t->leaves[t->n_leaves++] = (struct leaf_grad){x, g};
    return g;
}

void tg__shard_grads_add(tg_tape *parent, tg_tape *shard)
{
    for (int i = 0; i < shard->n_leaves; i++) {
        tg_tensor *x = shard->leaves[i].leaf;
        float *g = tg_grad_of(parent, x);
        if (g) tg__grad_add(g, shard->leaves[i].g, x->size);
    }
}

/* ---- packed GEMM operands for a scope ----------------------------------------------------
 * A recurrent weight is the right operand of one GEMM per time step; packing it once per
 * forward (and once per backward) instead of once per step saves the packing pass, which
 * for a batch of 32 costs about as much as the multiply. The scope's opener vouches that
 * the memory it names does not change until the scope closes. An operand is packed on its
 * second lookup, so one used once (a dense head in backward) costs no copy. Scopes do not
 * nest: opening one closes the one before (its operands are then just packed per call).
 * Everything is forgotten when the scope closes and at tg_tape_reset. */

void tg_tape_set_packing_at(tg_tape *t, bool on, tg_loc loc)
{
    if (!t) tg_contract_fail(loc, "tg_tape_set_packing", "the tape is NULL");
    t->packing_off = !on;
    t->n_packed = 0;
}

void tg_tape_pack_begin(tg_tape *t, const float *lo, const float *hi)
{
    t->pack_open = true;
    t->pack_lo = lo;
    t->pack_hi = hi;
    t->n_packed = 0;
}

void tg_tape_pack_end(tg_tape *t)
{
    t->pack_open = false;
    t->n_packed = 0;
}

const tg_gemm_packed_b *tg_tape_packed_b(tg_tape *t, bool trans_b, int K, int N,
                                         const float *B, int ldb)
{
    if (!t->pack_open || t->packing_off || !B || K < 1 || N < 1) return NULL;
    if (t->pack_lo) { /* the whole operand must lie in the scope's constant memory */
        const float *end = B + (ptrdiff_t)((trans_b ? N : K) - 1) * ldb + (trans_b ? K : N);
        if (B < t->pack_lo || end > t->pack_hi) return NULL;
    }
    int path = (int)tg_gemm_get_path(), free_slot = -1;
    for (int i = 0; i < t->n_packed; i++) {
        packed_entry *e = &t->packed[i];
        if (e->b == B && e->K == K && e->N == N && e->ldb == ldb && e->trans == trans_b &&
            e->path == path) {
            if (!e->pb.data) { /* second use: worth a packed copy */
                float *buf = tg_tape_alloc(t, tg_gemm_packed_b_floats(K, N) * sizeof(float));
                tg_gemm_pack_b(trans_b, K, N, B, ldb, buf, &e->pb);
            }
            return &e->pb;
        }
        if (!e->pb.data && free_slot < 0) free_slot = i;
    }
    /* First use: remember it, in a new slot or in place of one seen only once. */
    if (t->n_packed < PACK_SLOTS) free_slot = t->n_packed++;
    if (free_slot >= 0)
        t->packed[free_slot] = (packed_entry){B, K, N, ldb, path, trans_b, {0}};
    return NULL;
}

static chunk *new_chunk(tg_tape *t, size_t need)
{
    size_t cap = t->reserved > FIRST_CHUNK ? t->reserved : FIRST_CHUNK;
    if (cap < need) cap = need;
    chunk *c = tg_malloc(round_up(sizeof(chunk)) + cap);
    c->next = NULL;
    c->cap = cap;
    c->used = 0;
    c->mem = (unsigned char *)c + round_up(sizeof(chunk));
    t->heap_allocs++;
    t->n_chunks++;
    t->reserved += cap;
    return c;
}

void *tg_tape_alloc(tg_tape *t, size_t bytes)
{
    bytes = round_up(bytes ? bytes : 1);
    if (!t->cur) {
        t->first = t->cur = new_chunk(t, bytes);
    }
    /* Move forward through kept chunks until one fits; a chunk too small for this
     * request is skipped (its space is wasted only until the next reset). */
    while (t->cur->used + bytes > t->cur->cap) {
        if (!t->cur->next) {
            chunk *c = new_chunk(t, bytes);
            c->next = NULL;
            t->cur->next = c;
        }
        t->cur = t->cur->next;
        t->cur->used = 0;
    }
    void *p = t->cur->mem + t->cur->used;
    t->cur->used += bytes;
    t->used += bytes;
    return p;
}

static int64_t shape_size(int ndim, const int *shape)
{
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    return n;
}

tg_tensor *tg_tape_empty_at(tg_tape *t, int ndim, const int *shape, tg_loc loc)
{
    if (ndim < 0 || ndim > TG_MAX_DIMS)
        tg_contract_fail(loc, "tg_tape_empty", "rank %d is outside 0..%d", ndim,
                         TG_MAX_DIMS);
    for (int i = 0; i < ndim; i++)
        if (shape[i] < 0)
            tg_contract_fail(loc, "tg_tape_empty", "negative size %d in axis %d",
                             shape[i], i);
    int64_t size = shape_size(ndim, shape);
    tg_tensor *x = tg__tape_header(t);
    x->data = tg_tape_alloc(t, (size_t)size * sizeof(float));
    x->size = size;
    x->ndim = ndim;
    for (int i = 0; i < TG_MAX_DIMS; i++) x->shape[i] = i < ndim ? shape[i] : 1;
    x->flags = TG_ON_TAPE;
    tg__tape_stamp(t, x);
    return x;
}

tg_tensor *tg_tape_tensor(tg_tape *t, int ndim, const int *shape, const float *values)
{
    tg_tensor *x = tg_tape_empty(t, ndim, shape);
    if (values)
        memcpy(x->data, values, (size_t)x->size * sizeof(float));
    else
        memset(x->data, 0, (size_t)x->size * sizeof(float));
    return x;
}

bool tg_tape_set_grad(tg_tape *t, bool enabled)
{
    bool old = t->grad_enabled;
    t->grad_enabled = enabled;
    return old;
}

bool tg_tape_grad_enabled(const tg_tape *t) { return t->grad_enabled; }

tg_tape_stats tg_tape_stats_get(const tg_tape *t)
{
    tg_tape_stats st = {
        .nodes = t->n_nodes,
        .chunks = t->n_chunks,
        .bytes_used = t->used,
        .bytes_reserved = t->reserved,
        .heap_allocs = t->heap_allocs,
    };
    for (int i = 0; i < t->n_shards; i++) { /* shards handed out since the reset count */
        tg_tape_stats c = tg_tape_stats_get(t->shards[i]);
        if (i < t->shards_used) st.nodes += c.nodes, st.bytes_used += c.bytes_used;
        st.chunks += c.chunks;
        st.bytes_reserved += c.bytes_reserved;
        st.heap_allocs += c.heap_allocs;
    }
    return st;
}

void tg_requires_grad_at(tg_tensor *x, tg_loc loc)
{
    tg_check_tensor(x, "tg_requires_grad", "x", loc);
    if (!x->grad) {
        if (x->flags & TG_ON_TAPE)
            tg_contract_fail(loc, "tg_requires_grad",
                             "x is a tape tensor; mark heap tensors (inputs, weights)");
        x->grad = tg_calloc((size_t)x->size * sizeof(float));
    }
    x->flags |= TG_REQUIRES_GRAD;
}

tg_node *tg_record(tg_tape *t, const tg_op *op, tg_tensor *out, int n_in, tg_tensor **in)
{
    if (!t->grad_enabled) return NULL;
    bool any = false;
    for (int i = 0; i < n_in; i++)
        if (in[i] && (in[i]->flags & TG_REQUIRES_GRAD)) any = true;
    if (!any) return NULL;

    tg_node *n = tg_tape_alloc(t, sizeof *n);
    memset(n, 0, sizeof *n);
    n->op = op;
    n->out = out;
    n->n_in = n_in;
    n->in = tg_tape_alloc(t, (size_t)n_in * sizeof *n->in);
    memcpy(n->in, in, (size_t)n_in * sizeof *n->in);
    n->index = t->n_nodes++;
    n->prev = t->last;
    t->last = n;
    out->flags |= TG_REQUIRES_GRAD;
    out->node = n;
    return n;
}

/* Gradient buffers of intermediate tensors die during backward: once the record that
 * produced a tensor has run, nothing reads or writes its gradient again (every consumer
 * was recorded later and ran earlier). Their memory goes to a bin of its byte size and is
 * handed out again, zeroed, for the gradients of earlier time steps, so backward needs
 * about one step's worth of gradient memory instead of one per step. */
static void *recycled(tg_tape *t, size_t bytes)
{
    for (int i = 0; i < t->n_bins; i++)
        if (t->bins[i].bytes == bytes && t->bins[i].head) {
            void *p = t->bins[i].head;
            memcpy(&t->bins[i].head, p, sizeof(void *));
            return p;
        }
    return NULL;
}

static void release(tg_tape *t, void *p, size_t bytes)
{
    int i = 0;
    while (i < t->n_bins && t->bins[i].bytes != bytes) i++;
    if (i == t->n_bins) {
        if (t->n_bins == BINS) return; /* no bin left: the memory waits for the reset */
        t->bins[t->n_bins++] = (bin){bytes, NULL};
    }
    memcpy(p, &t->bins[i].head, sizeof(void *));
    t->bins[i].head = p;
}

/* Bytes of a tape tensor's gradient buffer, the key of its recycling bin. */
static size_t grad_bytes(const tg_tensor *x)
{
    size_t bytes = (size_t)x->size * sizeof(float);
    return round_up(bytes ? bytes : 1);
}

float *tg_grad_of(tg_tape *t, tg_tensor *x)
{
    if (!x || !(x->flags & TG_REQUIRES_GRAD)) return NULL;
    if (t->is_shard && !(x->flags & TG_ON_TAPE)) return shard_leaf_grad(t, x);
    if (!x->grad) {
        if (x->grad_base) { /* a view: its gradient is a region of its base's */
            float *g = tg_grad_of(t, x->grad_base);
            x->grad = g ? g + x->grad_offset : NULL;
            return x->grad;
        }
        size_t bytes = (size_t)x->size * sizeof(float);
        if (x->flags & TG_ON_TAPE) {
            size_t rounded = grad_bytes(x);
            x->grad = recycled(t, rounded);
            if (!x->grad) x->grad = tg_tape_alloc(t, rounded);
        } else {
            x->grad = tg_malloc(bytes);
        }
        memset(x->grad, 0, bytes);
    }
    return x->grad;
}

bool tg__grad_take(tg_tape *t, tg_tensor *x, tg_tensor *y)
{
    const int need = TG_ON_TAPE | TG_REQUIRES_GRAD;
    if (x == y || x->grad || x->grad_base || (x->flags & need) != need || x->size != y->size ||
        !y->grad || y->grad_base || !(y->flags & TG_ON_TAPE) || y == t->root)
        return false;
    x->grad = y->grad; /* same byte size: it goes back to the same bin when x dies */
    y->grad = NULL;
    return true;
}

void tg_backward_from_at(tg_tape *t, tg_tensor *y, const float *dy, tg_loc loc)
{
    tg_check_tensor(y, "tg_backward", "y", loc);
    if (!dy) tg_contract_fail(loc, "tg_backward", "the seed gradient is NULL");
    if (!(y->flags & TG_REQUIRES_GRAD))
        tg_contract_fail(loc, "tg_backward",
                         "the output does not require grad: nothing it depends on is a "
                         "parameter or a tensor marked with tg_requires_grad, or grad mode "
                         "was off when it was computed");
    if (t->backward_done)
        tg_contract_fail(loc, "tg_backward",
                         "backward ran already on this tape; call tg_tape_reset before the "
                         "next forward (or add the losses and call backward once)");
    t->backward_done = true;
    t->root = y;

    float *gy = tg_grad_of(t, y);
    for (int64_t i = 0; i < y->size; i++) gy[i] += dy[i];
    /* Newest first: every consumer of a tensor runs before the tensor's own record. After
     * a record's backward its output's gradient is dead; a tape tensor's own buffer (not a
     * view's region, not y's, which the caller may read) is recycled. */
    /* No tensor's data changes during backward: its GEMM operands may be packed once. */
    tg_tape_pack_begin(t, NULL, NULL);
    for (tg_node *n = t->last; n; n = n->prev) {
        tg_tensor *out = n->out;
        if (out->grad) {
            n->op->backward(t, n);
            if (out->grad && (out->flags & TG_ON_TAPE) && !out->grad_base && out != y) {
                release(t, out->grad, grad_bytes(out));
                out->grad = NULL;
            }
        }
        if (t->hook) t->hook(t->hook_user, n);
    }
    tg_tape_pack_end(t);
}

const tg_node *tg_tape_last(const tg_tape *t) { return t ? t->last : NULL; }

void tg_tape_set_backward_hook(tg_tape *t, tg_backward_hook fn, void *user)
{
    if (!t) return;
    t->hook = fn;
    t->hook_user = user;
}

tg_backward_hook tg_tape_backward_hook(const tg_tape *t, void **user)
{
    if (user) *user = t ? t->hook_user : NULL;
    return t ? t->hook : NULL;
}

void tg_backward_at(tg_tape *t, tg_tensor *loss, tg_loc loc)
{
    tg_check_tensor(loss, "tg_backward", "loss", loc);
    if (loss->size != 1) {
        char s[64];
        tg_contract_fail(loc, "tg_backward",
                         "the loss must be a scalar (one element), got shape %s; reduce it "
                         "with tg_sum or tg_mean, or use tg_backward_from with a seed",
                         tg_shape_str(loss, s, sizeof s));
    }
    const float one = 1.0f;
    tg_backward_from_at(t, loss, &one, loc);
}

void tg_tape_print(const tg_tape *t, FILE *f)
{
    int n = t->n_nodes;
    fprintf(f, "tape: %d records, %zu bytes used, %zu reserved in %d chunks\n", n, t->used,
            t->reserved, t->n_chunks);
    if (n == 0) return;
    /* Records are linked newest first; print oldest first (a debugging aid, so the
     * temporary index array may come from the heap). */
    const tg_node **order = tg_malloc((size_t)n * sizeof *order);
    for (const tg_node *nd = t->last; nd; nd = nd->prev) order[nd->index] = nd;
    for (int k = 0; k < n; k++) {
        const tg_node *nd = order[k];
        char s[64];
        fprintf(f, "  #%-4d %-14s %-18s <-", nd->index, nd->op->name,
                tg_shape_str(nd->out, s, sizeof s));
        for (int i = 0; i < nd->n_in; i++) {
            const tg_tensor *x = nd->in[i];
            if (!x)
                fprintf(f, " none");
            else if (x->node)
                fprintf(f, " #%d", x->node->index);
            else
                fprintf(f, " leaf%s%s%s%s", x->name ? "(" : "", x->name ? x->name : "",
                        x->name ? ")" : "", tg_shape_str(x, s, sizeof s));
        }
        fputc('\n', f);
    }
    tg_free(order);
}


int tg_check_axis(const tg_tensor *x, int axis, const char *op, tg_loc loc)
{
    int a = axis < 0 ? axis + x->ndim : axis;
    if (a < 0 || a >= x->ndim) {
        char s[64];
        tg_contract_fail(loc, op, "axis %d is out of range for shape %s", axis,
                         tg_shape_str(x, s, sizeof s));
    }
    return a;
}

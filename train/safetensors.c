/* train/safetensors.c — save and load named float32 tensors in the safetensors format, so
 * PyTorch (and anything else that reads safetensors) can open tapegrad's weights.
 *
 * File layout (little-endian):
 *   u64 N | N bytes of JSON header | data
 *   header: {"__metadata__": {...}, "<name>": {"dtype": "F32", "shape": [..],
 *            "data_offsets": [begin, end]}, ...}   offsets relative to the data start
 * The header is padded with spaces to a multiple of 8 bytes. tapegrad adds metadata
 * "format": "pt" and "tapegrad.crc32": CRC-32 of the data bytes, which the loader checks
 * when present (files written elsewhere have none; they are checked structurally only).
 *
 * Saving writes <path>.tmp, flushes and fsyncs it, then renames it over <path>: an
 * interrupted save leaves the previous file whole. Loading validates everything before it
 * writes a single parameter: a malformed, truncated or mismatched file changes nothing.
 *
 * Not here: other dtypes (F16, BF16...: rejected with a clear error), memory mapping,
 * optimizer state.
 */
#include "tensor/file.h"
#include "train/train.h"

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320) -------------------------- */

static uint32_t crc32_update(uint32_t crc, const unsigned char *p, size_t n)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
    }
    return ~crc;
}

/* ---- a growable text buffer for the header ------------------------------------------ */

typedef struct sbuf {
    char *s;
    size_t len, cap;
} sbuf;

static void sb_add(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(sbuf *b, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (b->s && b->len + (size_t)n < b->cap) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = (b->cap ? 2 * b->cap : 1024) + (size_t)n;
        char *s = tg_malloc(cap);
        if (b->s) memcpy(s, b->s, b->len);
        tg_free(b->s);
        b->s = s;
        b->cap = cap;
    }
}

static bool is_little_endian(void)
{
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}

/* ---- save -------------------------------------------------------------------------------- */

tg_status tg_safetensors_save(const char *path, int n, const char *const *names,
                              const tg_tensor *const *tensors)
{
    if (!path || n < 0 || (n > 0 && (!names || !tensors)))
        return tg_fail(TG_ERR_ARG, "tg_safetensors_save: bad arguments (path %s, %d tensors)",
                       path ? path : "NULL", n);
    if (!is_little_endian())
        return tg_fail(TG_ERR_ARG, "tg_safetensors_save: big-endian hosts are not supported");
    uint32_t crc = 0;
    uint64_t offset = 0;
    for (int i = 0; i < n; i++) {
        if (!names[i] || !tensors[i] || strchr(names[i], '"') || strchr(names[i], '\\'))
            return tg_fail(TG_ERR_ARG, "tg_safetensors_save: tensor %d has no usable name", i);
        crc = crc32_update(crc, (const unsigned char *)tensors[i]->data,
                           (size_t)tensors[i]->size * sizeof(float));
    }
    sbuf h = {0};
    sb_add(&h, "{\"__metadata__\":{\"format\":\"pt\",\"tapegrad.crc32\":\"%08" PRIx32 "\"}", crc);
    for (int i = 0; i < n; i++) {
        const tg_tensor *t = tensors[i];
        uint64_t bytes = (uint64_t)t->size * sizeof(float);
        sb_add(&h, ",\"%s\":{\"dtype\":\"F32\",\"shape\":[", names[i]);
        for (int d = 0; d < t->ndim; d++) sb_add(&h, "%s%d", d ? "," : "", t->shape[d]);
        sb_add(&h, "],\"data_offsets\":[%" PRIu64 ",%" PRIu64 "]}", offset, offset + bytes);
        offset += bytes;
    }
    sb_add(&h, "}");
    while (h.len % 8) sb_add(&h, " ");

    tg_atomic_file af;
    tg_status st = tg_atomic_file_open(&af, path);
    if (st != TG_OK) {
        tg_free(h.s);
        return st;
    }
    unsigned char len8[8];
    for (int k = 0; k < 8; k++) len8[k] = (unsigned char)((uint64_t)h.len >> (8 * k));
    tg_atomic_file_write(&af, len8, 8);
    tg_atomic_file_write(&af, h.s, h.len);
    for (int i = 0; i < n; i++)
        tg_atomic_file_write(&af, tensors[i]->data, sizeof(float) * (size_t)tensors[i]->size);
    tg_free(h.s);
    return tg_atomic_file_commit(&af);
}

tg_status tg_params_save(const tg_params *ps, const char *path)
{
    int n = tg_params_count(ps);
    const char **names = tg_malloc(sizeof(char *) * (size_t)(n ? n : 1));
    const tg_tensor **ts = tg_malloc(sizeof(tg_tensor *) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        ts[i] = tg_params_at(ps, i);
        names[i] = ts[i]->name;
    }
    tg_status st = tg_safetensors_save(path, n, names, ts);
    tg_free(names);
    tg_free(ts);
    return st;
}

/* ---- load: a small JSON reader for the header ---------------------------------------
 * Recursive descent over exactly what a safetensors header may hold; any other value is
 * skipped generically. Every failure says where in the header it happened. */

typedef struct jp {
    const char *start, *s, *end, *path;
    char err[2048];
} jp;

static bool jp_fail(jp *p, const char *what)
{
    if (!p->err[0])
        snprintf(p->err, sizeof p->err, "%s: malformed safetensors header at byte %ld: %s",
                 p->path, (long)(p->s - p->start), what);
    return false;
}

static void jp_ws(jp *p)
{
    while (p->s < p->end && (*p->s == ' ' || *p->s == '\n' || *p->s == '\r' || *p->s == '\t'))
        p->s++;
}

static bool jp_eat(jp *p, char c)
{
    jp_ws(p);
    if (p->s < p->end && *p->s == c) {
        p->s++;
        return true;
    }
    return false;
}

/* A string without escapes beyond \" and \\ (enough for tensor names); copied into out. */
static bool jp_string(jp *p, char *out, size_t cap)
{
    if (!jp_eat(p, '"')) return jp_fail(p, "expected a string");
    size_t n = 0;
    while (p->s < p->end && *p->s != '"') {
        char c = *p->s++;
        if (c == '\\') {
            if (p->s >= p->end) break;
            c = *p->s++;
            if (c != '"' && c != '\\' && c != '/') return jp_fail(p, "unsupported escape");
        }
        if (n + 1 >= cap) return jp_fail(p, "string too long");
        out[n++] = c;
    }
    if (p->s >= p->end) return jp_fail(p, "unterminated string");
    p->s++;
    out[n] = 0;
    return true;
}

static bool jp_uint(jp *p, uint64_t *v)
{
    jp_ws(p);
    if (p->s >= p->end || *p->s < '0' || *p->s > '9') return jp_fail(p, "expected a number");
    uint64_t x = 0;
    while (p->s < p->end && *p->s >= '0' && *p->s <= '9') {
        if (x > (UINT64_MAX - 9) / 10) return jp_fail(p, "number too large");
        x = x * 10 + (uint64_t)(*p->s++ - '0');
    }
    *v = x;
    return true;
}

/* [u, u, ...] with at most `max` entries. */
static bool jp_uints(jp *p, uint64_t *v, int max, int *n)
{
    *n = 0;
    if (!jp_eat(p, '[')) return jp_fail(p, "expected '['");
    if (jp_eat(p, ']')) return true;
    do {
        if (*n >= max) return jp_fail(p, "too many entries in an array");
        if (!jp_uint(p, &v[(*n)++])) return false;
    } while (jp_eat(p, ','));
    return jp_eat(p, ']') || jp_fail(p, "expected ']'");
}

static bool jp_skip(jp *p, int depth)
{
    char tmp[1024];
    jp_ws(p);
    if (depth > 16 || p->s >= p->end) return jp_fail(p, "value expected");
    char c = *p->s;
    if (c == '"') return jp_string(p, tmp, sizeof tmp);
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        p->s++;
        if (jp_eat(p, close)) return true;
        do {
            if (c == '{' && (!jp_string(p, tmp, sizeof tmp) || !jp_eat(p, ':')))
                return jp_fail(p, "expected a key");
            if (!jp_skip(p, depth + 1)) return false;
        } while (jp_eat(p, ','));
        return jp_eat(p, close) || jp_fail(p, "unclosed object or array");
    }
    while (p->s < p->end && strchr("-+.0123456789eEtruefalsn", *p->s)) p->s++;
    return true;
}

typedef struct st_entry {
    char name[256];
    int ndim;
    int shape[TG_MAX_DIMS];
    uint64_t begin, end;
} st_entry;

typedef struct st_header {
    st_entry *e;
    int n, cap;
    bool has_crc;
    uint32_t crc;
} st_header;

static bool parse_entry(jp *p, st_entry *e)
{
    char key[64], dtype[32] = "";
    bool have_shape = false, have_offsets = false;
    if (!jp_eat(p, '{')) return jp_fail(p, "expected '{' for a tensor");
    do {
        if (!jp_string(p, key, sizeof key) || !jp_eat(p, ':')) return jp_fail(p, "expected a key");
        if (strcmp(key, "dtype") == 0) {
            if (!jp_string(p, dtype, sizeof dtype)) return false;
        } else if (strcmp(key, "shape") == 0) {
            uint64_t dims[8];
            int nd;
            if (!jp_uints(p, dims, 8, &nd)) return false;
            if (nd > TG_MAX_DIMS) {
                snprintf(p->err, sizeof p->err, "%s: tensor \"%s\" has rank %d; tapegrad holds "
                         "at most %d", p->path, e->name, nd, TG_MAX_DIMS);
                return false;
            }
            for (int i = 0; i < nd; i++) {
                if (dims[i] > INT32_MAX) return jp_fail(p, "dimension too large");
                e->shape[i] = (int)dims[i];
            }
            e->ndim = nd;
            have_shape = true;
        } else if (strcmp(key, "data_offsets") == 0) {
            uint64_t off[2];
            int k;
            if (!jp_uints(p, off, 2, &k) || k != 2) return jp_fail(p, "data_offsets needs 2 numbers");
            e->begin = off[0];
            e->end = off[1];
            have_offsets = true;
        } else if (!jp_skip(p, 1)) {
            return false;
        }
    } while (jp_eat(p, ','));
    if (!jp_eat(p, '}')) return jp_fail(p, "expected '}' after a tensor");
    if (!have_shape || !have_offsets || !dtype[0]) {
        snprintf(p->err, sizeof p->err, "%s: tensor \"%s\" lacks dtype, shape or data_offsets",
                 p->path, e->name);
        return false;
    }
    if (strcmp(dtype, "F32") != 0) {
        snprintf(p->err, sizeof p->err, "%s: tensor \"%s\" is %s; tapegrad reads F32 only",
                 p->path, e->name, dtype);
        return false;
    }
    return true;
}

static bool parse_metadata(jp *p, st_header *h)
{
    char key[128], val[256];
    if (!jp_eat(p, '{')) return jp_fail(p, "expected '{' for __metadata__");
    if (jp_eat(p, '}')) return true;
    do {
        if (!jp_string(p, key, sizeof key) || !jp_eat(p, ':') || !jp_string(p, val, sizeof val))
            return jp_fail(p, "__metadata__ holds string pairs");
        if (strcmp(key, "tapegrad.crc32") == 0) {
            char *endp;
            unsigned long v = strtoul(val, &endp, 16);
            if (*endp || endp == val) return jp_fail(p, "bad tapegrad.crc32");
            h->has_crc = true;
            h->crc = (uint32_t)v;
        }
    } while (jp_eat(p, ','));
    return jp_eat(p, '}') || jp_fail(p, "expected '}' after __metadata__");
}

static bool parse_header(jp *p, st_header *h)
{
    if (!jp_eat(p, '{')) return jp_fail(p, "the header is not a JSON object");
    if (jp_eat(p, '}')) return true;
    do {
        char name[256];
        if (!jp_string(p, name, sizeof name) || !jp_eat(p, ':')) return jp_fail(p, "expected a name");
        if (strcmp(name, "__metadata__") == 0) {
            if (!parse_metadata(p, h)) return false;
            continue;
        }
        for (int i = 0; i < h->n; i++)
            if (strcmp(h->e[i].name, name) == 0) {
                snprintf(p->err, sizeof p->err, "%s: tensor \"%s\" appears twice", p->path, name);
                return false;
            }
        h->e = tg_grow(h->e, h->n, &h->cap, 16, sizeof *h->e);
        st_entry *e = &h->e[h->n++];
        memset(e, 0, sizeof *e);
        snprintf(e->name, sizeof e->name, "%s", name);
        if (!parse_entry(p, e)) return false;
    } while (jp_eat(p, ','));
    if (!jp_eat(p, '}')) return jp_fail(p, "expected '}' at the end of the header");
    jp_ws(p);
    return p->s == p->end || jp_fail(p, "text after the header object");
}

/* Sizes, bounds, overlaps and the checksum, against `data_len` bytes of data. */
static bool check_layout(jp *p, st_header *h, const unsigned char *data, uint64_t data_len)
{
    for (int i = 0; i < h->n; i++) {
        st_entry *e = &h->e[i];
        uint64_t count = 1;
        for (int d = 0; d < e->ndim; d++) count *= (uint64_t)e->shape[d];
        if (e->begin > e->end || e->end > data_len || e->end - e->begin != count * 4) {
            snprintf(p->err, sizeof p->err,
                     "%s: tensor \"%s\" claims bytes [%" PRIu64 ", %" PRIu64 ") for %" PRIu64
                     " floats, but the file has %" PRIu64 " data bytes%s",
                     p->path, e->name, e->begin, e->end, count, data_len,
                     e->end > data_len ? " (truncated?)" : "");
            return false;
        }
        for (int j = 0; j < i; j++) {
            st_entry *o = &h->e[j];
            if (e->begin < o->end && o->begin < e->end && e->end > e->begin && o->end > o->begin) {
                snprintf(p->err, sizeof p->err, "%s: tensors \"%s\" and \"%s\" overlap", p->path,
                         o->name, e->name);
                return false;
            }
        }
    }
    if (h->has_crc) {
        uint32_t crc = crc32_update(0, data, (size_t)data_len);
        if (crc != h->crc) {
            snprintf(p->err, sizeof p->err, "%s: checksum mismatch (stored %08" PRIx32
                     ", computed %08" PRIx32 "): the file is corrupt", p->path, h->crc, crc);
            return false;
        }
    }
    return true;
}

/* Reads the whole file and validates it; on success *buf holds the file and *data_at
 * the offset of the data section. */
static tg_status read_validated(const char *path, st_header *h, unsigned char **buf,
                                uint64_t *data_at)
{
    *buf = NULL;
    if (!path) return tg_fail(TG_ERR_ARG, "safetensors: the path is NULL");
    if (!is_little_endian())
        return tg_fail(TG_ERR_ARG, "safetensors: big-endian hosts are not supported");
    FILE *f = fopen(path, "rb");
    if (!f) return tg_fail(TG_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0) size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return tg_fail(TG_ERR_IO, "cannot read %s: %s", path, strerror(errno));
    }
    if (size < 8) {
        fclose(f);
        return tg_fail(TG_ERR_FORMAT, "%s: %ld bytes is too short for a safetensors file",
                       path, size);
    }
    unsigned char *b = tg_malloc((size_t)size);
    size_t got = fread(b, 1, (size_t)size, f);
    fclose(f);
    if (got != (size_t)size) {
        tg_free(b);
        return tg_fail(TG_ERR_IO, "cannot read %s", path);
    }
    uint64_t n = 0;
    for (int k = 7; k >= 0; k--) n = (n << 8) | b[k];
    if (n > (uint64_t)size - 8 || n > ((uint64_t)1 << 28)) {
        tg_free(b);
        return tg_fail(TG_ERR_FORMAT, "%s: header length %" PRIu64 " does not fit in the file "
                       "(%ld bytes): not a safetensors file, or truncated", path, n, size);
    }
    jp p = {.start = (const char *)b + 8, .s = (const char *)b + 8, .end = (const char *)b + 8 + n, .path = path};
    memset(h, 0, sizeof *h);
    bool ok = parse_header(&p, h) && check_layout(&p, h, b + 8 + n, (uint64_t)size - 8 - n);
    if (!ok) {
        tg_free(b);
        tg_free(h->e);
        h->e = NULL;
        return tg_fail(TG_ERR_FORMAT, "%s", p.err[0] ? p.err : "malformed safetensors file");
    }
    *buf = b;
    *data_at = 8 + n;
    return TG_OK;
}

tg_status tg_safetensors_load(const char *path, tg_named_tensors *out)
{
    st_header h;
    unsigned char *buf;
    uint64_t at;
    memset(out, 0, sizeof *out);
    tg_status st = read_validated(path, &h, &buf, &at);
    if (st != TG_OK) return st;
    out->n = h.n;
    out->names = tg_malloc(sizeof(char *) * (size_t)(h.n ? h.n : 1));
    out->tensors = tg_malloc(sizeof(tg_tensor *) * (size_t)(h.n ? h.n : 1));
    for (int i = 0; i < h.n; i++) {
        size_t len_name = strlen(h.e[i].name) + 1;
        out->names[i] = tg_malloc(len_name);
        memcpy(out->names[i], h.e[i].name, len_name);
        out->tensors[i] = tg_tensor_new(h.e[i].ndim, h.e[i].shape);
        memcpy(out->tensors[i]->data, buf + at + h.e[i].begin, h.e[i].end - h.e[i].begin);
    }
    tg_free(h.e);
    tg_free(buf);
    return TG_OK;
}

void tg_named_tensors_free(tg_named_tensors *nt)
{
    if (!nt) return;
    for (int i = 0; i < nt->n; i++) {
        tg_free(nt->names[i]);
        tg_tensor_free(nt->tensors[i]);
    }
    tg_free(nt->names);
    tg_free(nt->tensors);
    memset(nt, 0, sizeof *nt);
}

tg_status tg_params_load(tg_params *ps, const char *path)
{
    st_header h;
    unsigned char *buf;
    uint64_t at;
    tg_status st = read_validated(path, &h, &buf, &at);
    if (st != TG_OK) return st;
    /* Every file tensor must be a parameter of the same shape, and every parameter must be
     * in the file; nothing is written until all of that holds. */
    for (int i = 0; i < h.n && st == TG_OK; i++) {
        tg_tensor *p = tg_params_get(ps, h.e[i].name);
        if (!p) {
            st = tg_fail(TG_ERR_FORMAT, "%s: tensor \"%s\" is not a parameter of this model "
                         "(it has %d, the first \"%s\")", path, h.e[i].name,
                         tg_params_count(ps),
                         tg_params_count(ps) ? tg_params_at(ps, 0)->name : "");
            break;
        }
        bool same = p->ndim == h.e[i].ndim;
        for (int d = 0; same && d < p->ndim; d++) same = p->shape[d] == h.e[i].shape[d];
        if (!same) {
            char want[64];
            tg_tensor probe = {.ndim = h.e[i].ndim};
            memcpy(probe.shape, h.e[i].shape, sizeof probe.shape);
            char got[64];
            tg_shape_str(&probe, got, sizeof got);
            st = tg_fail(TG_ERR_FORMAT, "%s: \"%s\" has shape %s in the file but %s in the model",
                         path, h.e[i].name, got, tg_shape_str(p, want, sizeof want));
        }
    }
    for (int k = 0; st == TG_OK && k < tg_params_count(ps); k++) {
        const char *name = tg_params_at(ps, k)->name;
        bool found = false;
        for (int i = 0; i < h.n && !found; i++) found = strcmp(h.e[i].name, name) == 0;
        if (!found)
            st = tg_fail(TG_ERR_FORMAT, "%s: parameter \"%s\" is missing from the file", path,
                         name);
    }
    if (st == TG_OK)
        for (int i = 0; i < h.n; i++)
            memcpy(tg_params_get(ps, h.e[i].name)->data, buf + at + h.e[i].begin,
                   h.e[i].end - h.e[i].begin);
    tg_free(h.e);
    tg_free(buf);
    return st;
}

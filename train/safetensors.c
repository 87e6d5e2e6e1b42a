/* train/safetensors.c — save and load named tensors in the safetensors format, so PyTorch
 * (and anything else that reads safetensors) opens tapegrad's weights and tapegrad opens
 * theirs.
 *
 * File layout (little-endian, https://github.com/huggingface/safetensors):
 *   u64 N | N bytes of JSON header | data
 *   header: {"__metadata__": {"key": "string", ...}, "<name>": {"dtype": "F32",
 *            "shape": [..], "data_offsets": [begin, end]}, ...}  offsets from the data start
 * The header is padded with spaces to a multiple of 8 bytes. tapegrad writes F32 and adds
 * metadata "format": "pt" and "tapegrad.crc32": CRC-32 of the data bytes, which the loader
 * checks when present.
 *
 * JSON is read and written by jansson (Debian libjansson-dev): a strict, well-kept RFC 8259
 * parser with 64-bit integers (offsets and shapes past 2^53 stay exact, which cJSON's
 * doubles would not), duplicate-key rejection built in, and escapes in both directions. So
 * any valid header from another writer loads, and every name the writer accepts (valid
 * UTF-8, not "__metadata__", not twice) loads back.
 *
 * Loading checks everything before it allocates the data or writes a parameter: the file
 * is a regular file; the header fits in it; every entry's dtype, shape and offsets are
 * well-formed, their byte counts overflow-checked and equal to the offsets; the entries
 * cover the data section exactly, without holes, overlaps or trailing bytes (the format
 * forbids them); the whole is within the machine's memory. F16 and BF16 are converted to
 * float32 (F64 too, rounded).
 *
 * Not here: memory mapping, dtypes other than the float ones, checkpoints (checkpoint.c
 * builds on the internal reader below).
 */
#include "tensor/file.h"
#include "train/internal.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

static bool is_little_endian(void)
{
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}

/* ---- dtypes ------------------------------------------------------------------------------ */

enum { DT_F32, DT_F16, DT_BF16, DT_F64 };
static const char *const dtype_names[] = {"F32", "F16", "BF16", "F64"};
static const int dtype_bytes[] = {4, 2, 2, 8};

static int dtype_of(const char *s)
{
    for (int k = 0; k < 4; k++)
        if (strcmp(s, dtype_names[k]) == 0) return k;
    return -1;
}

/* IEEE half to float, subnormals and inf/NaN included. */
static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    float f;
    if (exp == 0) {
        f = ldexpf((float)man, -24); /* zero or subnormal: man 2^-24 */
    } else if (exp == 31) {
        f = man ? NAN : INFINITY;
    } else {
        uint32_t bits = ((exp + 112) << 23) | (man << 13);
        memcpy(&f, &bits, 4);
    }
    uint32_t b;
    memcpy(&b, &f, 4);
    b |= sign;
    memcpy(&f, &b, 4);
    return f;
}

void tg__st_read_f32(const tg__st_file *f, const tg__st_entry *e, float *out)
{
    const unsigned char *p = f->data + e->begin;
    int64_t n = (int64_t)((e->end - e->begin) / (uint64_t)dtype_bytes[e->dtype]);
    for (int64_t i = 0; i < n; i++) {
        const unsigned char *q = p + i * dtype_bytes[e->dtype];
        if (e->dtype == DT_F32) {
            memcpy(out + i, q, 4);
        } else if (e->dtype == DT_F64) {
            double d;
            memcpy(&d, q, 8);
            out[i] = (float)d;
        } else {
            uint16_t h = (uint16_t)(q[0] | q[1] << 8);
            if (e->dtype == DT_F16) {
                out[i] = half_to_float(h);
            } else { /* bfloat16: the top half of a float */
                uint32_t b = (uint32_t)h << 16;
                memcpy(out + i, &b, 4);
            }
        }
    }
}

/* ---- save -------------------------------------------------------------------------------- */

tg_status tg__params_finite(const char *fn, const tg_params *ps)
{
    for (int i = 0; i < tg_params_count(ps); i++) {
        const tg_tensor *p = tg_params_at(ps, i);
        for (int64_t j = 0; j < p->size; j++)
            if (!isfinite(p->data[j]))
                return tg_fail(TG_ERR_NUMERIC, "%s: parameter \"%s\" holds %g at element %lld: "
                               "not saved (the file on disk, if any, is kept)", fn,
                               p->name ? p->name : "?", (double)p->data[j], (long long)j);
    }
    return TG_OK;
}

/* s as a JSON string is valid (UTF-8, no NUL inside). */
static bool json_text_ok(const char *s)
{
    json_t *j = json_string(s);
    json_decref(j);
    return j != NULL;
}

/* The header object, or NULL with a TG_ERR_ARG message (a name the format or JSON cannot
 * hold: NULL, invalid UTF-8, "__metadata__", twice). */
static json_t *header_json(int n, const char *const *names, const tg_tensor *const *ts,
                           int nmeta, const char *const *keys, const char *const *values,
                           uint32_t crc, tg_status *st)
{
    json_t *root = json_object(), *meta = json_object();
    char crc_text[16];
    snprintf(crc_text, sizeof crc_text, "%08" PRIx32, crc);
    json_object_set_new(meta, "format", json_string("pt"));
    json_object_set_new(meta, "tapegrad.crc32", json_string(crc_text));
    for (int i = 0; i < nmeta; i++) {
        json_t *v = keys[i] && values[i] ? json_string(values[i]) : NULL;
        if (!v || json_object_set_new(meta, keys[i], v) != 0) {
            *st = tg_fail(TG_ERR_ARG, "tg_safetensors_save: metadata %d (\"%s\") is not valid "
                          "UTF-8 text", i, keys[i] ? keys[i] : "(null)");
            json_decref(root), json_decref(meta);
            return NULL;
        }
    }
    json_object_set_new(root, "__metadata__", meta);
    uint64_t offset = 0;
    for (int i = 0; i < n; i++) {
        const char *why = !names[i] || !ts[i]                          ? "is NULL"
                          : strcmp(names[i], "__metadata__") == 0      ? "is reserved"
                          : json_object_get(root, names[i])            ? "appears twice"
                          : !json_text_ok(names[i])                    ? "is not valid UTF-8"
                                                                       : NULL;
        if (why) {
            *st = tg_fail(TG_ERR_ARG, "tg_safetensors_save: the name of tensor %d (\"%s\") %s",
                          i, names[i] ? names[i] : "", why);
            json_decref(root);
            return NULL;
        }
        uint64_t bytes = (uint64_t)ts[i]->size * sizeof(float);
        json_t *shape = json_array();
        for (int d = 0; d < ts[i]->ndim; d++)
            json_array_append_new(shape, json_integer(ts[i]->shape[d]));
        json_t *e = json_pack("{s:s, s:o, s:[I, I]}", "dtype", "F32", "shape", shape,
                              "data_offsets", (json_int_t)offset, (json_int_t)(offset + bytes));
        json_object_set_new(root, names[i], e);
        offset += bytes;
    }
    *st = TG_OK;
    return root;
}

tg_status tg__st_save(const char *path, int n, const char *const *names,
                      const tg_tensor *const *ts, int nmeta, const char *const *keys,
                      const char *const *values)
{
    if (!path || n < 0 || nmeta < 0 || (n > 0 && (!names || !ts)) ||
        (nmeta > 0 && (!keys || !values)))
        return tg_fail(TG_ERR_ARG, "tg_safetensors_save: bad arguments (path %s, %d tensors)",
                       path ? path : "NULL", n);
    if (!is_little_endian())
        return tg_fail(TG_ERR_ARG, "tg_safetensors_save: big-endian hosts are not supported");
    uint32_t crc = 0;
    for (int i = 0; i < n; i++)
        if (ts[i])
            crc = crc32_update(crc, (const unsigned char *)ts[i]->data,
                               (size_t)ts[i]->size * sizeof(float));
    tg_status st;
    json_t *root = header_json(n, names, ts, nmeta, keys, values, crc, &st);
    if (!root) return st;
    /* compact; non-ASCII and control characters escaped, so the header is plain ASCII */
    char *text = json_dumps(root, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!text)
        return tg_fail(TG_ERR_NOMEM, "tg_safetensors_save: the header did not fit in memory");
    size_t len = strlen(text), padded = (len + 7) / 8 * 8;
    tg_atomic_file af;
    st = tg_atomic_file_open(&af, path);
    if (st == TG_OK) {
        unsigned char len8[8];
        for (int k = 0; k < 8; k++) len8[k] = (unsigned char)((uint64_t)padded >> (8 * k));
        tg_atomic_file_write(&af, len8, 8);
        tg_atomic_file_write(&af, text, len);
        tg_atomic_file_write(&af, "        ", padded - len);
        for (int i = 0; i < n; i++)
            tg_atomic_file_write(&af, ts[i]->data, sizeof(float) * (size_t)ts[i]->size);
        st = tg_atomic_file_commit(&af);
    }
    free(text);
    return st;
}

tg_status tg_safetensors_save(const char *path, int n, const char *const *names,
                              const tg_tensor *const *tensors)
{
    return tg__st_save(path, n, names, tensors, 0, NULL, NULL);
}

tg_status tg_params_save(const tg_params *ps, const char *path)
{
    tg_status st = tg__params_finite("tg_params_save", ps);
    if (st != TG_OK) return st;
    int n = tg_params_count(ps);
    const char **names = tg_malloc(sizeof(char *) * (size_t)(n ? n : 1));
    const tg_tensor **ts = tg_malloc(sizeof(tg_tensor *) * (size_t)(n ? n : 1));
    for (int i = 0; i < n; i++) {
        ts[i] = tg_params_at(ps, i);
        names[i] = ts[i]->name;
    }
    st = tg_safetensors_save(path, n, names, ts);
    tg_free(names);
    tg_free(ts);
    return st;
}

/* ---- load -------------------------------------------------------------------------------- */

void tg__st_close(tg__st_file *f)
{
    if (!f) return;
    for (int i = 0; i < f->n; i++) tg_free(f->e[i].name);
    for (int i = 0; i < f->nmeta; i++) tg_free(f->meta_keys[i]), tg_free(f->meta_values[i]);
    tg_free(f->e), tg_free(f->meta_keys), tg_free(f->meta_values), tg_free(f->data);
    memset(f, 0, sizeof *f);
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = tg_malloc(n);
    memcpy(d, s, n);
    return d;
}

/* One entry: {"dtype": str, "shape": [uint...], "data_offsets": [begin, end]} with the
 * byte count of shape x dtype equal to end - begin, every product overflow-checked. */
static tg_status parse_entry(const char *path, const char *name, json_t *v, tg__st_entry *e)
{
    json_t *dt = json_object_get(v, "dtype"), *sh = json_object_get(v, "shape"),
           *off = json_object_get(v, "data_offsets");
    if (!json_is_object(v) || !json_is_string(dt) || !json_is_array(sh) ||
        !json_is_array(off) || json_array_size(off) != 2)
        return tg_fail(TG_ERR_FORMAT, "%s: tensor \"%s\" needs dtype, shape and data_offsets "
                       "[begin, end]", path, name);
    e->dtype = dtype_of(json_string_value(dt));
    if (e->dtype < 0)
        return tg_fail(TG_ERR_FORMAT, "%s: tensor \"%s\" has dtype %s; tapegrad reads F32, F16, "
                       "BF16 and F64", path, name, json_string_value(dt));
    size_t nd = json_array_size(sh);
    if (nd > TG_MAX_DIMS)
        return tg_fail(TG_ERR_FORMAT, "%s: tensor \"%s\" has %zu dimensions; tapegrad tensors "
                       "have at most %d", path, name, nd, TG_MAX_DIMS);
    uint64_t count = 1;
    for (size_t d = 0; d < nd; d++) {
        json_t *x = json_array_get(sh, d);
        json_int_t v_d = json_is_integer(x) ? json_integer_value(x) : -1;
        if (v_d < 0 || v_d > INT32_MAX)
            return tg_fail(TG_ERR_FORMAT, "%s: tensor \"%s\": dimension %zu is not an integer "
                           "in 0..2^31-1", path, name, d);
        e->shape[d] = (int)v_d;
        if (v_d && count > UINT64_MAX / (uint64_t)v_d)
            return tg_fail(TG_ERR_FORMAT, "%s: tensor \"%s\": its shape's element count "
                           "overflows 64 bits", path, name);
        count *= (uint64_t)v_d;
    }
    e->ndim = (int)nd;
    json_t *b = json_array_get(off, 0), *en = json_array_get(off, 1);
    if (!json_is_integer(b) || !json_is_integer(en) || json_integer_value(b) < 0 ||
        json_integer_value(en) < json_integer_value(b))
        return tg_fail(TG_ERR_FORMAT, "%s: tensor \"%s\": data_offsets must be integers "
                       "0 <= begin <= end", path, name);
    e->begin = (uint64_t)json_integer_value(b), e->end = (uint64_t)json_integer_value(en);
    uint64_t size = (uint64_t)dtype_bytes[e->dtype];
    if (count > UINT64_MAX / size)
        return tg_fail(TG_ERR_FORMAT, "%s: tensor \"%s\": the byte count of %" PRIu64 " "
                       "elements of %s overflows 64 bits", path, name, count,
                       dtype_names[e->dtype]);
    if (count * size != e->end - e->begin)
        return tg_fail(TG_ERR_FORMAT, "%s: tensor \"%s\": %" PRIu64 " elements of %s do not "
                       "fill data_offsets [%" PRIu64 ", %" PRIu64 "]", path, name, count,
                       dtype_names[e->dtype], e->begin, e->end);
    e->name = dup_str(name);
    return TG_OK;
}

/* __metadata__: an object of strings (the format's rule). */
static tg_status parse_meta(const char *path, json_t *meta, tg__st_file *f)
{
    if (!json_is_object(meta))
        return tg_fail(TG_ERR_FORMAT, "%s: __metadata__ is not an object", path);
    size_t n = json_object_size(meta);
    f->meta_keys = tg_malloc(sizeof(char *) * (n ? n : 1));
    f->meta_values = tg_malloc(sizeof(char *) * (n ? n : 1));
    const char *key;
    json_t *v;
    json_object_foreach(meta, key, v) {
        if (!json_is_string(v))
            return tg_fail(TG_ERR_FORMAT, "%s: metadata \"%s\" is not a string", path, key);
        f->meta_keys[f->nmeta] = dup_str(key);
        f->meta_values[f->nmeta++] = dup_str(json_string_value(v));
    }
    return TG_OK;
}

static int by_begin(const void *a, const void *b)
{
    const tg__st_entry *x = *(tg__st_entry *const *)a, *y = *(tg__st_entry *const *)b;
    return (x->begin > y->begin) - (x->begin < y->begin);
}

/* The entries tile [0, data_len): sorted by begin, each starts where the last ended. */
static tg_status check_tiling(const char *path, tg__st_file *f, uint64_t data_len)
{
    tg__st_entry **order = tg_malloc(sizeof *order * (size_t)(f->n ? f->n : 1));
    for (int i = 0; i < f->n; i++) order[i] = &f->e[i];
    qsort(order, (size_t)f->n, sizeof *order, by_begin);
    uint64_t at = 0;
    tg_status st = TG_OK;
    for (int i = 0; i < f->n && st == TG_OK; i++) {
        if (order[i]->begin != at)
            st = tg_fail(TG_ERR_FORMAT, "%s: tensor \"%s\" starts at byte %" PRIu64 " of the "
                         "data where %" PRIu64 " was expected (%s)", path, order[i]->name,
                         order[i]->begin, at, order[i]->begin > at ? "a hole" : "an overlap");
        at = order[i]->end;
    }
    if (st == TG_OK && at != data_len)
        st = tg_fail(TG_ERR_FORMAT, "%s: the tensors cover %" PRIu64 " bytes of data but the "
                     "file holds %" PRIu64 " (%s)", path, at, data_len,
                     at < data_len ? "trailing bytes" : "truncated");
    tg_free(order);
    return st;
}

/* The header's JSON into f's entries and metadata. */
static tg_status parse_header(const char *path, const char *text, size_t len, tg__st_file *f,
                              uint64_t data_len)
{
    json_error_t err;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    if (!root)
        return tg_fail(TG_ERR_FORMAT, "%s: the header is not valid JSON: %s (at byte %d)",
                       path, err.text, err.position);
    tg_status st = TG_OK;
    if (!json_is_object(root))
        st = tg_fail(TG_ERR_FORMAT, "%s: the header is not a JSON object", path);
    size_t n = json_is_object(root) ? json_object_size(root) : 0;
    f->e = tg_calloc(sizeof *f->e * (n ? n : 1));
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v) {
        if (st != TG_OK) break;
        if (strcmp(key, "__metadata__") == 0)
            st = parse_meta(path, v, f);
        else if ((st = parse_entry(path, key, v, &f->e[f->n])) == TG_OK)
            f->n++;
    }
    json_decref(root);
    if (st == TG_OK) st = check_tiling(path, f, data_len);
    return st;
}

/* The safetensors reference implementation's limit on the header (100 MB). */
enum { MAX_HEADER = 100000000 };

/* The file's size as a regular file, or an error naming what it is instead. */
static tg_status regular_size(const char *path, FILE *fp, uint64_t *size)
{
    struct stat sb;
    if (fstat(fileno(fp), &sb) != 0)
        return tg_fail(TG_ERR_IO, "cannot stat %s: %s", path, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return tg_fail(TG_ERR_IO, "%s is not a regular file (%s)", path,
                       S_ISDIR(sb.st_mode) ? "a directory" : "a device, pipe or socket");
    *size = (uint64_t)sb.st_size;
    return TG_OK;
}

/* Data larger than the machine's memory cannot be loaded; say so instead of trying. */
static tg_status check_memory(const char *path, uint64_t bytes)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0 && bytes / (uint64_t)page > (uint64_t)pages)
        return tg_fail(TG_ERR_NOMEM, "%s: its tensors need %" PRIu64 " bytes, more than this "
                       "machine's memory", path, bytes);
    return TG_OK;
}

tg_status tg__st_open(const char *path, tg__st_file *f)
{
    memset(f, 0, sizeof *f);
    if (!path) return tg_fail(TG_ERR_ARG, "safetensors: the path is NULL");
    if (!is_little_endian())
        return tg_fail(TG_ERR_ARG, "safetensors: big-endian hosts are not supported");
    FILE *fp = fopen(path, "rb");
    if (!fp) return tg_fail(TG_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    f->path = path;
    uint64_t size = 0, hlen = 0;
    unsigned char len8[8];
    tg_status st = regular_size(path, fp, &size);
    if (st == TG_OK && (size < 8 || fread(len8, 1, 8, fp) != 8))
        st = tg_fail(TG_ERR_FORMAT, "%s: %" PRIu64 " bytes is too short for a safetensors "
                     "file", path, size);
    for (int k = 7; st == TG_OK && k >= 0; k--) hlen = (hlen << 8) | len8[k];
    if (st == TG_OK && (hlen > size - 8 || hlen > MAX_HEADER))
        st = tg_fail(TG_ERR_FORMAT, "%s: header length %" PRIu64 " does not fit in the file "
                     "(%" PRIu64 " bytes) or passes the format's limit of %d: not a "
                     "safetensors file, or truncated", path, hlen, size, MAX_HEADER);
    char *text = st == TG_OK ? tg_malloc((size_t)hlen + 1) : NULL;
    if (text && fread(text, 1, (size_t)hlen, fp) != hlen)
        st = tg_fail(TG_ERR_IO, "cannot read the header of %s", path);
    uint64_t data_len = size - 8 - hlen;
    if (st == TG_OK) st = parse_header(path, text, (size_t)hlen, f, data_len);
    tg_free(text);
    if (st == TG_OK) st = check_memory(path, data_len);
    if (st == TG_OK) {
        f->data = tg_malloc((size_t)(data_len ? data_len : 1));
        f->data_len = data_len;
        if (fread(f->data, 1, (size_t)data_len, fp) != data_len)
            st = tg_fail(TG_ERR_IO, "cannot read the data of %s", path);
    }
    fclose(fp);
    const char *want = st == TG_OK ? tg__st_meta(f, "tapegrad.crc32") : NULL;
    if (want) {
        char got[16];
        snprintf(got, sizeof got, "%08" PRIx32, crc32_update(0, f->data, (size_t)data_len));
        if (strcmp(got, want) != 0)
            st = tg_fail(TG_ERR_FORMAT, "%s: the data's CRC-32 is %s but the header says %s: "
                         "the file is damaged", path, got, want);
    }
    if (st != TG_OK) tg__st_close(f);
    return st;
}

const tg__st_entry *tg__st_find(const tg__st_file *f, const char *name)
{
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->e[i].name, name) == 0) return &f->e[i];
    return NULL;
}

const char *tg__st_meta(const tg__st_file *f, const char *key)
{
    for (int i = 0; i < f->nmeta; i++)
        if (strcmp(f->meta_keys[i], key) == 0) return f->meta_values[i];
    return NULL;
}

/* ---- the public loaders -------------------------------------------------------------------- */

tg_status tg_safetensors_load(const char *path, tg_named_tensors *out)
{
    memset(out, 0, sizeof *out);
    tg__st_file f;
    tg_status st = tg__st_open(path, &f);
    if (st != TG_OK) return st;
    out->n = f.n;
    out->names = tg_malloc(sizeof(char *) * (size_t)(f.n ? f.n : 1));
    out->tensors = tg_malloc(sizeof(tg_tensor *) * (size_t)(f.n ? f.n : 1));
    for (int i = 0; i < f.n; i++) {
        out->names[i] = dup_str(f.e[i].name);
        out->tensors[i] = tg_tensor_new(f.e[i].ndim, f.e[i].shape);
        tg__st_read_f32(&f, &f.e[i], out->tensors[i]->data);
    }
    tg__st_close(&f);
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

/* Every file tensor is a parameter of the same shape and every parameter is in the file. */
static tg_status check_match(const tg__st_file *f, tg_params *ps)
{
    for (int i = 0; i < f->n; i++) {
        const tg__st_entry *e = &f->e[i];
        tg_tensor *p = tg_params_get(ps, e->name);
        if (!p)
            return tg_fail(TG_ERR_FORMAT, "%s: tensor \"%s\" is not a parameter of this model "
                           "(it has %d, the first \"%s\")", f->path, e->name,
                           tg_params_count(ps),
                           tg_params_count(ps) ? tg_params_at(ps, 0)->name : "");
        bool same = p->ndim == e->ndim;
        for (int d = 0; same && d < p->ndim; d++) same = p->shape[d] == e->shape[d];
        if (!same) {
            char want[64], got[64];
            tg_tensor probe = {.ndim = e->ndim};
            memcpy(probe.shape, e->shape, sizeof probe.shape);
            return tg_fail(TG_ERR_FORMAT, "%s: \"%s\" has shape %s in the file but %s in the "
                           "model", f->path, e->name, tg_shape_str(&probe, got, sizeof got),
                           tg_shape_str(p, want, sizeof want));
        }
    }
    for (int k = 0; k < tg_params_count(ps); k++)
        if (!tg__st_find(f, tg_params_at(ps, k)->name))
            return tg_fail(TG_ERR_FORMAT, "%s: parameter \"%s\" is missing from the file",
                           f->path, tg_params_at(ps, k)->name);
    return TG_OK;
}

tg_status tg_params_load(tg_params *ps, const char *path)
{
    tg__st_file f;
    tg_status st = tg__st_open(path, &f);
    if (st != TG_OK) return st;
    st = check_match(&f, ps); /* nothing is written until all of it holds */
    for (int i = 0; st == TG_OK && i < f.n; i++)
        tg__st_read_f32(&f, &f.e[i], tg_params_get(ps, f.e[i].name)->data);
    tg__st_close(&f);
    return st;
}

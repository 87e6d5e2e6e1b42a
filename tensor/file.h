/* tensor/file.h — atomic replacement of a file, for every module that writes one (charts,
 * safetensors): write "<path>.tmp", check every write, flush, fsync, close, rename() over
 * <path>. Not installed, not public.
 * Not here: reading files, locking (two programs saving one path share the .tmp name). */
#ifndef TG_FILE_H
#define TG_FILE_H

#include <stdio.h>

#include "tensor/error.h"

typedef struct tg_atomic_file {
    FILE *f;
    const char *path;
    char *tmp; /* path + ".tmp" */
    int err;   /* errno of the first failed write, 0 while all went well */
} tg_atomic_file;

/* Opens <path>.tmp for writing; TG_ERR_ARG for a NULL or empty path, TG_ERR_IO. */
tg_status tg_atomic_file_open(tg_atomic_file *af, const char *path);
/* Writes that remember the first failure (checked by commit); later writes are skipped. */
void tg_atomic_file_write(tg_atomic_file *af, const void *data, size_t n);
void tg_atomic_file_printf(tg_atomic_file *af, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Checks for write errors, flushes, syncs, closes and renames onto path. On any failure
 * the temporary file is removed, the previous file stays intact, and TG_ERR_IO names the
 * path and the reason. */
tg_status tg_atomic_file_commit(tg_atomic_file *af);
/* Closes and removes the temporary file (after a failure of the caller's own). */
void tg_atomic_file_abort(tg_atomic_file *af);

#endif /* TG_FILE_H */

/* tensor/file.h — atomic replacement of a file, for every module that writes one (charts,
 * safetensors): write "<path>.tmp", check every write, flush, fsync, close, rename() over
 * <path>. Not installed, not public.
 * A symlink at <path> is written through: its target (followed along a chain of links; a
 * dangling link's target is created) is what gets replaced, with the temporary file
 * "<target>.tmp" beside it, and the link stays a link. A <path> (or link target) that
 * exists and is not a regular file — directory, FIFO, device node, socket — is refused.
 * Not here: reading files, locking (two programs saving one path share the .tmp name). */
#ifndef TG_FILE_H
#define TG_FILE_H

#include <stdio.h>

#include "tensor/error.h"

typedef struct tg_atomic_file {
    FILE *f;
    const char *path; /* as the caller gave it, for messages */
    char *target;     /* the file replaced: path, or where its symlinks lead */
    char *tmp;        /* target + ".tmp" */
    int err;   /* errno of the first failed write, 0 while all went well */
} tg_atomic_file;

/* Opens <target>.tmp for writing (target: path, or the file its symlinks lead to);
 * TG_ERR_ARG for a NULL or empty path, TG_ERR_IO naming path when it cannot be created,
 * when a link cannot be followed, or when path or its link target exists and is not a
 * regular file (then nothing is opened, created or replaced). */
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

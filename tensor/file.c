/* tensor/file.c — atomic replacement of a file (tensor/file.h): write "<path>.tmp", check
 * every write, flush, fsync, close, then rename() over <path>, then fsync the directory so
 * that the rename itself survives a power cut (without it the old file can come back). A
 * failure at any step before the rename removes the temporary file and returns TG_ERR_IO
 * with the path and strerror(errno); a crash leaves at most a stale .tmp beside an intact
 * previous file.
 *
 * What this is not: a locking scheme. Two programs saving the same path at once share
 * the temporary name; the last rename wins.
 */
#include "tensor/file.h"
#include "tensor/tensor.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

tg_status tg_atomic_file_open(tg_atomic_file *af, const char *path)
{
    memset(af, 0, sizeof *af);
    if (!path || !*path) return tg_fail(TG_ERR_ARG, "output path is NULL or empty");
    size_t n = strlen(path);
    af->path = path;
    af->tmp = tg_malloc(n + 5);
    memcpy(af->tmp, path, n);
    memcpy(af->tmp + n, ".tmp", 5);
    af->f = fopen(af->tmp, "wb");
    if (!af->f) {
        int err = errno;
        tg_free(af->tmp);
        af->tmp = NULL;
        return tg_fail(TG_ERR_IO, "cannot write '%s': %s", path, strerror(err));
    }
    return TG_OK;
}

void tg_atomic_file_write(tg_atomic_file *af, const void *data, size_t n)
{
    if (af->err || n == 0) return;
    errno = 0;
    if (fwrite(data, 1, n, af->f) != n) af->err = errno ? errno : EIO;
}

void tg_atomic_file_printf(tg_atomic_file *af, const char *fmt, ...)
{
    if (af->err) return;
    va_list ap;
    va_start(ap, fmt);
    errno = 0;
    if (vfprintf(af->f, fmt, ap) < 0) af->err = errno ? errno : EIO;
    va_end(ap);
}

void tg_atomic_file_abort(tg_atomic_file *af)
{
    if (af->f) fclose(af->f);
    if (af->tmp) remove(af->tmp);
    tg_free(af->tmp);
    af->f = NULL;
    af->tmp = NULL;
}

/* fsync of the directory holding path (POSIX: what makes a rename durable). A file system
 * that cannot sync a directory (EINVAL, EROFS, EBADF, EACCES on open) is not an error. */
static tg_status sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096] = ".";
    if (slash) {
        size_t n = slash == path ? 1 : (size_t)(slash - path);
        if (n >= sizeof dir) return TG_OK; /* too long to name here: leave it to the OS */
        memcpy(dir, path, n);
        dir[n] = 0;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return TG_OK;
    int r = fsync(fd), err = errno;
    close(fd);
    if (r != 0 && err != EINVAL && err != EROFS && err != EBADF)
        return tg_fail(TG_ERR_IO, "syncing the directory '%s' after writing '%s' failed: %s "
                       "(the new file is in place but may not survive a power cut)", dir, path,
                       strerror(err));
    return TG_OK;
}

tg_status tg_atomic_file_commit(tg_atomic_file *af)
{
    int err = 0;
    const char *step = "writing";
    if (af->err || ferror(af->f)) {
        err = af->err ? af->err : EIO;
    } else if (fflush(af->f) != 0) {
        err = errno;
        step = "flushing";
    } else if (fsync(fileno(af->f)) != 0 && errno != EINVAL && errno != EROFS) {
        err = errno; /* EINVAL/EROFS: a file system without fsync (a pipe, /proc) */
        step = "syncing";
    }
    if (fclose(af->f) != 0 && !err) {
        err = errno;
        step = "closing";
    }
    af->f = NULL;
    if (!err && rename(af->tmp, af->path) != 0) {
        err = errno;
        step = "renaming the temporary file onto";
    }
    if (err) {
        remove(af->tmp);
        tg_free(af->tmp);
        af->tmp = NULL;
        return tg_fail(TG_ERR_IO, "%s '%s' failed: %s (the previous file, if any, is intact)", step, af->path, strerror(err));
    }
    tg_free(af->tmp);
    af->tmp = NULL;
    return sync_dir(af->path);
}

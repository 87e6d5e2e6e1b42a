/* plot/file.c — atomic replacement of a chart file: write "<path>.tmp", check every write,
 * flush, fsync, close, then rename() over <path>. A failure at any step removes the
 * temporary file and returns TG_ERR_IO with the path and strerror(errno); a crash leaves
 * at most a stale .tmp beside an intact previous file.
 *
 * What this is not: a locking scheme. Two programs saving the same path at once share
 * the temporary name; the last rename wins.
 */
#include "plot/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

tg_status tg_plot_file_open(tg_plot_file *pf, const char *path)
{
    memset(pf, 0, sizeof *pf);
    if (!path || !*path) return tg_fail(TG_ERR_ARG, "plot: output path is NULL or empty");
    size_t n = strlen(path);
    pf->path = path;
    pf->tmp = tg_malloc(n + 5);
    memcpy(pf->tmp, path, n);
    memcpy(pf->tmp + n, ".tmp", 5);
    pf->f = fopen(pf->tmp, "wb");
    if (!pf->f) {
        int err = errno;
        tg_free(pf->tmp);
        pf->tmp = NULL;
        return tg_fail(TG_ERR_IO, "plot: cannot write '%s': %s", path, strerror(err));
    }
    return TG_OK;
}

void tg_plot_file_write(tg_plot_file *pf, const void *data, size_t n)
{
    if (pf->err || n == 0) return;
    errno = 0;
    if (fwrite(data, 1, n, pf->f) != n) pf->err = errno ? errno : EIO;
}

void tg_plot_file_printf(tg_plot_file *pf, const char *fmt, ...)
{
    if (pf->err) return;
    va_list ap;
    va_start(ap, fmt);
    errno = 0;
    if (vfprintf(pf->f, fmt, ap) < 0) pf->err = errno ? errno : EIO;
    va_end(ap);
}

void tg_plot_file_abort(tg_plot_file *pf)
{
    if (pf->f) fclose(pf->f);
    if (pf->tmp) remove(pf->tmp);
    tg_free(pf->tmp);
    pf->f = NULL;
    pf->tmp = NULL;
}

tg_status tg_plot_file_commit(tg_plot_file *pf)
{
    int err = 0;
    const char *step = "writing";
    if (pf->err || ferror(pf->f)) {
        err = pf->err ? pf->err : EIO;
    } else if (fflush(pf->f) != 0) {
        err = errno;
        step = "flushing";
    } else if (fsync(fileno(pf->f)) != 0 && errno != EINVAL && errno != EROFS) {
        err = errno; /* EINVAL/EROFS: a file system without fsync (a pipe, /proc) */
        step = "syncing";
    }
    if (fclose(pf->f) != 0 && !err) {
        err = errno;
        step = "closing";
    }
    pf->f = NULL;
    if (!err && rename(pf->tmp, pf->path) != 0) {
        err = errno;
        step = "renaming the temporary file onto";
    }
    if (err) {
        remove(pf->tmp);
        tg_free(pf->tmp);
        pf->tmp = NULL;
        return tg_fail(TG_ERR_IO, "plot: %s '%s' failed: %s", step, pf->path, strerror(err));
    }
    tg_free(pf->tmp);
    pf->tmp = NULL;
    return TG_OK;
}

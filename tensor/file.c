/* tensor/file.c — atomic replacement of a file (tensor/file.h): write "<path>.tmp", check
 * every write, flush, fsync, close, then rename() over <path>, then fsync the directory so
 * that the rename itself survives a power cut (without it the old file can come back). A
 * failure at any step before the rename removes the temporary file and returns TG_ERR_IO
 * with the path and strerror(errno); a crash leaves at most a stale .tmp beside an intact
 * previous file.
 *
 * A symlink at <path> is written through: the chain of links is followed to the file it
 * names (which a dangling link creates), and the temporary file and the rename happen in
 * that file's directory, so the link stays a link and its target changes atomically.
 * Anything at <path> (or at the end of its links) that is not a regular file — a
 * directory, FIFO, device node or socket — is refused before anything is opened: a
 * rename would replace it (as root, /dev/null by a regular file) and opening a FIFO
 * would block.
 *
 * What this is not: a locking scheme. Two programs saving the same path at once share
 * the temporary name; the last rename wins. Nor is the check race-free: what lies at the
 * path is looked at once, at open.
 */
#define _XOPEN_SOURCE 700 /* realpath(), which glibc hides under plain POSIX 2008 */
#include "tensor/file.h"
#include "tensor/tensor.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Links followed before giving up with ELOOP (the kernel's own limit). */
#define MAX_LINK_HOPS 40

/* A new tg_malloc'd string: the first na bytes of a, then b, then c. */
static char *concat3(const char *a, size_t na, const char *b, const char *c)
{
    size_t nb = strlen(b), nc = strlen(c);
    char *out = tg_malloc(na + nb + nc + 1);
    memcpy(out, a, na);
    memcpy(out + na, b, nb);
    memcpy(out + na + nb, c, nc + 1);
    return out;
}

/* The kind of a file that is not a regular file, for messages. */
static const char *kind_of(mode_t m)
{
    if (S_ISDIR(m)) return "a directory";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISSOCK(m)) return "a socket";
    return "not a plain file";
}

/* The name a link's content stands for: the content itself when absolute, else the
 * content relative to the directory holding the link (as the kernel reads it). */
static char *link_next(const char *link, const char *content)
{
    if (content[0] == '/') return concat3("", 0, content, "");
    const char *slash = strrchr(link, '/');
    return concat3(link, slash ? (size_t)(slash - link) + 1 : 0, content, "");
}

/* The canonical form of `name` whose last component may not exist yet: realpath() of
 * its directory, then the last component. NULL after tg_fail (message names `path`). */
static char *canonical_parent(const char *path, const char *name)
{
    const char *slash = strrchr(name, '/');
    const char *base = slash ? slash + 1 : name;
    if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
        tg_fail(TG_ERR_IO, "cannot write '%s': its link target '%s' does not name a file",
                path, name);
        return NULL;
    }
    char dir[PATH_MAX], real[PATH_MAX];
    size_t n = !slash ? 1 : slash == name ? 1 : (size_t)(slash - name);
    if (n >= sizeof dir) {
        tg_fail(TG_ERR_IO, "cannot write '%s': its link target's directory: %s", path,
                strerror(ENAMETOOLONG));
        return NULL;
    }
    memcpy(dir, slash ? name : ".", n);
    dir[n] = 0;
    if (!realpath(dir, real)) {
        tg_fail(TG_ERR_IO, "cannot write '%s': the directory '%s' of its link target: %s",
                path, dir, strerror(errno));
        return NULL;
    }
    return concat3(real, strlen(real), strcmp(real, "/") ? "/" : "", base);
}

/* Follows the links from `path` (itself a link) to the first name that is not a link
 * (or does not exist: a dangling link) and returns it in canonical form, tg_malloc'd;
 * NULL after tg_fail. */
static char *resolve_link(const char *path)
{
    char *cur = concat3(path, strlen(path), "", "");
    char content[PATH_MAX];
    for (int hops = 0;; hops++) {
        struct stat st;
        int err = 0;
        if (lstat(cur, &st) != 0) {
            if (errno == ENOENT) break; /* dangling: the target is created */
            err = errno;
        } else if (!S_ISLNK(st.st_mode)) {
            break;
        } else if (hops == MAX_LINK_HOPS) {
            err = ELOOP;
        } else {
            ssize_t n = readlink(cur, content, sizeof content);
            if (n < 0) err = errno;
            else if ((size_t)n >= sizeof content) err = ENAMETOOLONG;
            else content[n] = 0;
        }
        if (err) {
            tg_fail(TG_ERR_IO, "cannot write '%s': following the link '%s': %s", path, cur,
                    strerror(err));
            tg_free(cur);
            return NULL;
        }
        char *next = link_next(cur, content);
        tg_free(cur);
        cur = next;
    }
    char *target = canonical_parent(path, cur);
    tg_free(cur);
    return target;
}

/* The file the writer replaces for `path` (tg_malloc'd): path itself, or the end of its
 * links. NULL after tg_fail when that is something other than a regular file or missing.
 * An lstat() error other than ENOENT is left to fopen() to report. */
static char *writable_target(const char *path)
{
    struct stat st;
    char *target = NULL;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
        target = resolve_link(path);
        if (!target) return NULL;
    } else {
        target = concat3(path, strlen(path), "", "");
    }
    if (lstat(target, &st) == 0 && !S_ISREG(st.st_mode)) {
        if (strcmp(target, path) != 0)
            tg_fail(TG_ERR_IO, "cannot write '%s': it links to '%s', which is not a regular "
                    "file (%s); refusing to replace it", path, target, kind_of(st.st_mode));
        else
            tg_fail(TG_ERR_IO, "cannot write '%s': it is not a regular file (%s); refusing "
                    "to replace it", path, kind_of(st.st_mode));
        tg_free(target);
        return NULL;
    }
    return target;
}

tg_status tg_atomic_file_open(tg_atomic_file *af, const char *path)
{
    memset(af, 0, sizeof *af);
    if (!path || !*path) return tg_fail(TG_ERR_ARG, "output path is NULL or empty");
    af->target = writable_target(path);
    if (!af->target) return TG_ERR_IO;
    af->path = path;
    af->tmp = concat3(af->target, strlen(af->target), ".tmp", "");
    af->f = fopen(af->tmp, "wb");
    if (!af->f) {
        int err = errno;
        tg_free(af->tmp);
        tg_free(af->target);
        af->tmp = af->target = NULL;
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
    tg_free(af->target);
    af->f = NULL;
    af->tmp = af->target = NULL;
}

/* fsync of the directory holding target (POSIX: what makes a rename durable); messages
 * name path, the name the caller gave. A file system that cannot sync a directory
 * (EINVAL, EROFS, EBADF, EACCES on open) is not an error. */
static tg_status sync_dir(const char *target, const char *path)
{
    const char *slash = strrchr(target, '/');
    char dir[4096] = ".";
    if (slash) {
        size_t n = slash == target ? 1 : (size_t)(slash - target);
        if (n >= sizeof dir) return TG_OK; /* too long to name here: leave it to the OS */
        memcpy(dir, target, n);
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
    if (!err && rename(af->tmp, af->target) != 0) {
        err = errno;
        step = "renaming the temporary file onto";
    }
    tg_status st = TG_OK;
    if (err) {
        remove(af->tmp);
        st = tg_fail(TG_ERR_IO, "%s '%s' failed: %s (the previous file, if any, is intact)",
                     step, af->path, strerror(err));
    } else {
        st = sync_dir(af->target, af->path); /* the directory where the rename happened */
    }
    tg_free(af->tmp);
    tg_free(af->target);
    af->tmp = af->target = NULL;
    return st;
}

#define _GNU_SOURCE
#include "root_path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif

// The directories walked so far, the root at the bottom: `..` pops one.
struct dirs {
    int *fd;
    size_t depth, cap;
};

static void dirs_close(struct dirs *d) {
    for (size_t i = 0; i < d->depth; i++)
        close(d->fd[i]);
    free(d->fd);
    d->fd = NULL;
    d->depth = d->cap = 0;
}

static int dirs_push(struct dirs *d, int fd) {
    if (d->depth == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        int *grown = realloc(d->fd, cap * sizeof *grown);
        if (!grown)
            return -ENOMEM;
        d->fd = grown;
        d->cap = cap;
    }
    d->fd[d->depth++] = fd;
    return 0;
}

static int top(const struct dirs *d) {
    return d->fd[d->depth - 1];
}

// The components still to resolve, kept at the end of a buffer: a symlink's text
// is put in front of them.
struct rest {
    char buf[2 * PATH_MAX + 2];
    size_t start;  // the rest is buf[start .. sizeof buf - 1), NUL-terminated
};

static int rest_set(struct rest *r, const char *path) {
    size_t n = strlen(path);
    if (n >= PATH_MAX)
        return -ENAMETOOLONG;
    r->start = sizeof r->buf - 1 - n;
    memcpy(r->buf + r->start, path, n + 1);
    return 0;
}

static int rest_prepend(struct rest *r, const char *text, size_t n) {
    if (n + 1 > r->start)
        return -ENAMETOOLONG;
    r->buf[--r->start] = '/';
    r->start -= n;
    memcpy(r->buf + r->start, text, n);
    return 0;
}

// Takes the next component (skipping empty ones and `.`) into `name` (NAME_MAX + 1
// bytes): 1, or 0 at the end, or -ENAMETOOLONG.
static int rest_next(struct rest *r, char *name) {
    for (;;) {
        char *p = r->buf + r->start;
        while (*p == '/')
            p++;
        r->start = (size_t)(p - r->buf);
        if (!*p)
            return 0;
        size_t n = strcspn(p, "/");
        if (n > NAME_MAX)
            return -ENAMETOOLONG;
        memcpy(name, p, n);
        name[n] = 0;
        r->start += n;
        if (strcmp(name, "."))
            return 1;
    }
}

// Whether no component other than `.` is left.
static bool rest_done(const struct rest *r) {
    for (const char *p = r->buf + r->start; *p;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        size_t n = strcspn(p, "/");
        if (!(n == 1 && p[0] == '.'))
            return false;
        p += n;
    }
    return true;
}

// Opens `name` in `dir` without following it; creates it first when missing and
// `create` says how ('d' directory, 'f' file, 0 not at all).
static int open_component(int dir, const char *name, char create) {
    for (int tries = 0; tries < 8; tries++) {
        int fd = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        if (fd >= 0 || errno != ENOENT || !create)
            return fd >= 0 ? fd : -errno;
        if (create == 'd') {
            if (mkdirat(dir, name, 0755) < 0 && errno != EEXIST)
                return -errno;
        } else {
            int f = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0644);
            if (f >= 0)
                close(f);
            else if (errno != EEXIST)
                return -errno;
        }
    }
    return -EAGAIN;  // created and removed again under our feet, repeatedly
}

// The resolved path as text (for root_path_resolve): "" is the root.
struct text {
    char *buf;  // NULL: not kept
    size_t len, size;
};

static int text_push(struct text *t, const char *name) {
    if (!t->buf)
        return 0;
    size_t n = strlen(name);
    if (t->len + 1 + n + 1 > t->size)
        return -ENAMETOOLONG;
    t->buf[t->len++] = '/';
    memcpy(t->buf + t->len, name, n + 1);
    t->len += n;
    return 0;
}

static void text_pop(struct text *t) {
    if (!t->buf)
        return;
    while (t->len > 0 && t->buf[--t->len] != '/')
        ;
    t->buf[t->len] = 0;
}

// The walk behind every entry point. With `parent`, stops before the last
// component and returns it in `last`. With `text->buf`, keeps the resolved path
// and, at the first missing component, applies the rest to it as text and
// returns 0 (nothing opened).
static int walk(int rootfd, const char *path, int flags, bool parent, char *last, struct text *text) {
    struct dirs d = {0};
    struct rest r;
    char name[NAME_MAX + 1];
    char link[PATH_MAX];
    int links = 0, err;

    if ((err = rest_set(&r, path)) < 0)
        return err;
    int root = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        return -errno;
    if ((err = dirs_push(&d, root)) < 0) {
        close(root);
        return err;
    }
    for (;;) {
        if (parent && rest_done(&r)) {
            err = -EINVAL;  // the path has no last component to name
            goto out;
        }
        if ((err = rest_next(&r, name)) < 0)
            goto out;
        if (!err)
            break;
        bool is_last = rest_done(&r);
        if (parent && is_last) {
            if (!strcmp(name, "..")) {
                err = -EINVAL;
                goto out;
            }
            strcpy(last, name);
            break;
        }
        if (!strcmp(name, "..")) {
            if (d.depth > 1) {
                close(d.fd[--d.depth]);
                text_pop(text);
            }
            continue;
        }
        char create = 0;
        if (flags & ROOT_PATH_MKDIR)
            create = 'd';
        if (flags & ROOT_PATH_MKFILE)
            create = is_last ? 'f' : 'd';
        int fd = open_component(top(&d), name, create);
        if (fd == -ENOENT && text->buf) {
            // Missing: the rest cannot hold links; apply it as text.
            if ((err = text_push(text, name)) < 0)
                goto out;
            while ((err = rest_next(&r, name)) > 0) {
                if (!strcmp(name, ".."))
                    text_pop(text);
                else if ((err = text_push(text, name)) < 0)
                    goto out;
            }
            goto out;  // 0, or rest_next's error
        }
        if (fd < 0) {
            err = fd;
            goto out;
        }
        struct stat st;
        if (fstat(fd, &st) < 0) {
            err = -errno;
            close(fd);
            goto out;
        }
        if (S_ISLNK(st.st_mode) && !(is_last && (flags & ROOT_PATH_NOFOLLOW))) {
            struct statfs fs;
            ssize_t n;
            if (++links > ROOT_PATH_MAX_LINKS || fstatfs(fd, &fs) < 0 || fs.f_type == PROC_SUPER_MAGIC) {
                err = -ELOOP;  // a magic link would jump out of the root
                close(fd);
                goto out;
            }
            n = readlinkat(fd, "", link, sizeof link);
            close(fd);
            if (n < 0 || (size_t)n >= sizeof link) {
                err = n < 0 ? -errno : -ENAMETOOLONG;
                goto out;
            }
            if (link[0] == '/')
                while (d.depth > 1) {
                    close(d.fd[--d.depth]);
                    text_pop(text);
                }
            if ((err = rest_prepend(&r, link, (size_t)n)) < 0)
                goto out;
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            if ((err = dirs_push(&d, fd)) < 0 || (err = text_push(text, name)) < 0) {
                if (d.fd[d.depth - 1] != fd)
                    close(fd);
                goto out;
            }
            continue;
        }
        if (!is_last) {
            close(fd);
            err = -ENOTDIR;
            goto out;
        }
        // The result is not a directory: hand it over as the top.
        if ((err = dirs_push(&d, fd)) < 0 || (err = text_push(text, name)) < 0) {
            if (d.fd[d.depth - 1] != fd)
                close(fd);
            goto out;
        }
        break;
    }
    // Success: the top descriptor is the result (with the text, only the text).
    err = d.fd[--d.depth];
    if (text->buf) {
        close(err);
        err = 0;
    }
out:
    dirs_close(&d);
    return err;
}

// The kernel's own resolution inside a root (Linux 5.6): one call where the path
// exists. It follows the same rules (RESOLVE_IN_ROOT: `..` and absolute links stay
// inside; no magic link), except that it lets plain procfs links like /proc/self
// through; anything it cannot do (a missing component to create, an old kernel, a
// rename race) is left to the walk, which decides.
static int kernel_open(int rootfd, const char *path, int flags) {
#ifdef SYS_openat2
    struct open_how how = {
        .flags = O_PATH | O_CLOEXEC | ((flags & ROOT_PATH_NOFOLLOW) ? O_NOFOLLOW : 0),
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    long fd = syscall(SYS_openat2, rootfd, *path ? path : ".", &how, sizeof how);
    return fd >= 0 ? (int)fd : -errno;
#else
    (void)rootfd, (void)path, (void)flags;
    return -ENOSYS;
#endif
}

int root_path_open(int rootfd, const char *path, int flags) {
    int fd = kernel_open(rootfd, path, flags);
    if (fd >= 0 || fd == -ELOOP || fd == -ENOTDIR || fd == -ENAMETOOLONG)
        return fd;
    struct text none = {0};
    return walk(rootfd, path, flags, false, NULL, &none);
}

int root_path_resolve(int rootfd, const char *path, char *out, size_t size) {
    if (size < 2)
        return -ENAMETOOLONG;
    struct text text = {out, 0, size};
    out[0] = 0;
    int err = walk(rootfd, path, 0, false, NULL, &text);
    if (err < 0)
        return err;
    if (!text.len) {
        out[0] = '/';
        out[1] = 0;
    }
    return 0;
}

int root_path_open_parent(int rootfd, const char *path, int flags, char name[ROOT_PATH_NAME_SIZE]) {
    struct text none = {0};
    return walk(rootfd, path, flags & ROOT_PATH_MKDIR, true, name, &none);
}

int root_path_open_root(const char *path) {
    int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    return fd >= 0 ? fd : -errno;
}

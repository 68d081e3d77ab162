#define _GNU_SOURCE
// Reads `stage1/plan`: NUL-terminated tokens, each record a keyword followed
// by a fixed number of tokens (or a count and that many tokens). Tokens are
// used in place in the file's buffer, which lives as long as the process.
//
// The plan (written by PodKit's Stage1Plan; an empty token means none). Paths in
// the pod are relative to the pod directory (stage1's working directory when it
// starts, or the `base` given to plan_parse) and made absolute as they are read:
// the plan names no place the pod will have, only places in it.
//   version 5                        first
//   root PATH                        second: the stage1 rootfs, in the pod (stage1/rootfs)
//   Global records, before the first `app`:
//   hostname NAME                    empty: keep the host's
//   net host|PATH                    PATH: the network namespace stage0 made
//                                    (a clean absolute path, bound to an nsfs
//                                    file): the supervisor and the pod join it
//   ipc private|host                 default private; host: the host's IPC
//                                    namespace (rkt's --ipc=parent)
//   cgroup N DIR...                  the init's cgroups (1..16 clean absolute host
//                                    directories): it joins them first thing
//   mount SRC TARGET FSTYPE FLAGS DATA MK
//                                    mount(2); FLAGS decimal MS_* bits; MK d:
//                                    mkdir -p TARGET, f: create it, -: nothing
//   overlay TARGET UPPER WORK N LOWER...
//                                    an overlay mount at TARGET: N (1..500)
//                                    lower layers, top first, clean absolute
//                                    host paths (the rendered image; a debug
//                                    image's below it), UPPER and WORK in the
//                                    pod; made with mkdir -p
//   mknod PATH MODE MAJOR MINOR      MODE octal, file type bits included
//   symlink TARGET PATH
//   readonly TARGET                  the mount at TARGET and every mount below
//                                    it become read-only
//   (mount, overlay, mknod, symlink and readonly run in file order, before
//   pivot_root. Their paths are in the pod, clean (no empty, `.` or `..`
//   component) and at or under root; init.c resolves each inside the app root it
//   lies in, or the stage1 root, never following a link out of it. A bind mount's
//   source is a clean path in the pod (resolved the same way when under root) or a
//   clean absolute host path.)
//   app NAME                         starts an app's records:
//   approot PATH                     its root, as seen after pivot_root (required):
//                                    /opt/stage2/NAME/rootfs
//   cwd PATH                         default /
//   exec N PATH ARG...               (required) PATH absolute
//   env N NAME=VALUE...              default: empty; NAME not empty
//   user UID GID N GID...            default 0 0, no groups
//   caps HEX                         bounding set mask; default: all
//   stdin null|inherit|console       default null; console for one app at most
//   nonewprivs 0|1                   PR_SET_NO_NEW_PRIVS; default 0
//   oom N                            oom_score_adj, -1000..1000; default: inherited
//   cgroup N DIR...                  the app's cgroups (as the init's); its
//                                    process (and post-stop handler) joins them
//                                    before anything else; default: the init's
//   seccomp HEX                      a seccomp filter (classic BPF, `struct sock_filter`
//                                    entries in hex, 1..4096 of them) installed
//                                    after the credentials, just before exec (not
//                                    for the event handlers); default: none
//   prestart N PATH ARG...           appc pre-start handler, PATH absolute in the
//                                    app's root; runs before the app as root
//                                    (uid 0, gid 0, no groups) with the app's
//                                    root, cwd, env, stdio and caps; the app
//                                    runs only if it exits 0, else the app ends
//                                    with its code (254: could not execute it)
//   poststop N PATH ARG...           appc post-stop handler: run by the init
//                                    after the app's process ended (whatever
//                                    the reason) and its status was written;
//                                    as root, app's root, cwd, env and caps,
//                                    stdin /dev/null, stdout/stderr the app's;
//                                    SIGKILLed after 10 s; exit code ignored
//   end                              last
// Anything else, or anything out of place, fails the whole plan: nothing of it
// is carried out.
#include "stage1.h"

#include <ctype.h>
#include <limits.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

struct parser {
    char *p, *end;
    const char *base;  // the pod directory, absolute and clean
    jmp_buf fail;
    char *error;  // room for the message
    size_t error_size;
};

// The parser in use: one parse at a time (stage1 parses once; the fuzzer too).
static struct parser *current;

static _Noreturn void bad(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(current->error, current->error_size, fmt, ap);
    va_end(ap);
    longjmp(current->fail, 1);
}

static void *xrealloc(void *p, size_t n) {
    void *grown = realloc(p, n ? n : 1);
    if (!grown)
        bad("out of memory");
    return grown;
}

static bool more(const struct parser *ps) {
    return ps->p < ps->end;
}

static char *tok(struct parser *ps, const char *rec) {
    if (!more(ps))
        bad("missing token in \"%s\"", rec);
    char *t = ps->p;
    char *nul = memchr(t, 0, (size_t)(ps->end - t));
    if (!nul)
        bad("unterminated token in \"%s\"", rec);
    ps->p = nul + 1;
    return t;
}

// An empty token means NULL.
static char *opt_tok(struct parser *ps, const char *rec) {
    char *t = tok(ps, rec);
    return *t ? t : NULL;
}

static char *abs_tok(struct parser *ps, const char *rec) {
    char *t = tok(ps, rec);
    if (t[0] != '/')
        bad("\"%s\": path \"%s\" is not absolute", rec, t);
    return t;
}

bool plan_path_is_clean(const char *path) {
    if (path[0] != '/' || strlen(path) >= PATH_MAX)
        return false;
    if (!path[1])
        return true;
    for (const char *p = path + 1;;) {
        size_t n = strcspn(p, "/");
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return false;
        if (!p[n])
            return true;
        p += n + 1;
    }
}

bool plan_path_in_root(const struct plan *plan, const char *path) {
    size_t n = strlen(plan->root);
    return !strncmp(path, plan->root, n) && (path[n] == 0 || path[n] == '/');
}

// Keeps `s` (allocated) for plan_free, which frees it on success and on failure alike.
static char *own(struct plan *plan, char *s) {
    if (!s)
        bad("out of memory");
    char **grown = realloc(plan->owned, (plan->nowned + 1) * sizeof *plan->owned);
    if (!grown) {
        free(s);
        bad("out of memory");
    }
    plan->owned = grown;
    plan->owned[plan->nowned++] = s;
    return s;
}

// `path`, relative to the pod directory, as an absolute path (kept by the plan).
static char *in_pod(struct parser *ps, struct plan *plan, const char *path) {
    size_t n = strlen(ps->base) + 1 + strlen(path) + 1;
    char *full = own(plan, malloc(n));
    snprintf(full, n, "%s/%s", ps->base, path);
    return full;
}

// A clean path in the pod (relative to the pod directory), made absolute.
static char *pod_path_tok(struct parser *ps, struct plan *plan, const char *rec) {
    char *t = tok(ps, rec);
    if (t[0] == '/')
        bad("\"%s\": path \"%s\" is not relative to the pod", rec, t);
    char *full = in_pod(ps, plan, t);
    if (!plan_path_is_clean(full))
        bad("\"%s\": path \"%s\" is not clean", rec, t);
    return full;
}

// A clean path in the pod at or under the stage1 root, made absolute.
static char *pod_tok(struct parser *ps, struct plan *plan, const char *rec) {
    char *full = pod_path_tok(ps, plan, rec);
    if (!plan_path_in_root(plan, full))
        bad("\"%s\": path \"%s\" is outside the pod's root", rec, full + strlen(ps->base) + 1);
    return full;
}

static unsigned long long num(struct parser *ps, const char *rec, int base, unsigned long long max) {
    char *t = tok(ps, rec), *e;
    // strtoull accepts signs and blanks; the plan has none.
    if (!(base == 16 ? isxdigit((unsigned char)t[0]) : isdigit((unsigned char)t[0])))
        bad("bad number \"%s\" in \"%s\"", t, rec);
    errno = 0;
    unsigned long long v = strtoull(t, &e, base);
    if (errno || *e || v > max)
        bad("bad number \"%s\" in \"%s\"", t, rec);
    return v;
}

// A decimal number, maybe negative.
static long snum(struct parser *ps, const char *rec, long min, long max) {
    char *t = tok(ps, rec), *e;
    if (!isdigit((unsigned char)t[t[0] == '-']))
        bad("bad number \"%s\" in \"%s\"", t, rec);
    errno = 0;
    long v = strtol(t, &e, 10);
    if (errno || *e || v < min || v > max)
        bad("bad number \"%s\" in \"%s\"", t, rec);
    return v;
}

// A count of tokens that follow; never more than the tokens left.
static size_t count(struct parser *ps, const char *rec) {
    size_t n = (size_t)num(ps, rec, 10, (unsigned long long)(ps->end - ps->p));
    return n;
}

// `n` tokens; checked before anything is allocated, so a failure leaks nothing.
static char **strings(struct parser *ps, const char *rec, size_t n) {
    struct parser probe = *ps;
    for (size_t i = 0; i < n; i++)
        tok(&probe, rec);
    char **v = xrealloc(NULL, (n + 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = tok(ps, rec);
    v[n] = NULL;
    return v;
}

static struct step *new_step(struct plan *plan, enum step_kind kind) {
    plan->steps = xrealloc(plan->steps, (plan->nsteps + 1) * sizeof *plan->steps);
    struct step *s = &plan->steps[plan->nsteps++];
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->mk = '-';
    return s;
}

// The value of a lower-case hex digit, or -1.
static int hex_digit(char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// The most cgroup hierarchies a plan names (Linux has fewer than 16 controllers).
#define PLAN_MAX_CGROUPS 16

// `cgroup N DIR...`: clean absolute directories, not "/".
static char **cgroup_dirs(struct parser *ps, const char *kw, size_t *n) {
    *n = count(ps, kw);
    if (*n == 0 || *n > PLAN_MAX_CGROUPS)
        bad("\"cgroup\": %zu directories (1 to %d)", *n, PLAN_MAX_CGROUPS);
    struct parser probe = *ps;
    for (size_t i = 0; i < *n; i++) {
        const char *dir = tok(&probe, kw);
        if (!plan_path_is_clean(dir) || !strcmp(dir, "/"))
            bad("\"cgroup\": \"%s\" is not a clean absolute path", dir);
    }
    return strings(ps, kw, *n);
}

// Bits for "seen" checks: a record of each kind at most once (per app for app records).
enum {
    R_APPROOT = 1u << 0,
    R_CWD = 1u << 1,
    R_EXEC = 1u << 2,
    R_ENV = 1u << 3,
    R_USER = 1u << 4,
    R_CAPS = 1u << 5,
    R_STDIN = 1u << 6,
    R_NNP = 1u << 7,
    R_OOM = 1u << 8,
    R_PRESTART = 1u << 9,
    R_POSTSTOP = 1u << 10,
    R_SECCOMP = 1u << 14,
    R_CGROUP = 1u << 15,
    // pod records
    R_HOSTNAME = 1u << 11,
    R_NET = 1u << 12,
    R_IPC = 1u << 13,
};

static void once(unsigned *seen, unsigned bit, const char *kw, const char *where) {
    if (*seen & bit)
        bad("duplicate \"%s\"%s%s", kw, where ? " in app " : "", where ? where : "");
    *seen |= bit;
}

static void end_app(const struct app *app, unsigned seen) {
    if (!(seen & R_APPROOT))
        bad("app %s has no approot", app->name);
    if (!(seen & R_EXEC))
        bad("app %s has no exec", app->name);
}

static void parse_app_record(struct parser *ps, struct plan *plan, struct app *app, unsigned *seen, const char *kw) {
    if (!strcmp(kw, "approot")) {
        once(seen, R_APPROOT, kw, app->name);
        app->approot = abs_tok(ps, kw);
        char want[PATH_MAX];
        snprintf(want, sizeof want, "/opt/stage2/%s/rootfs", app->name);
        if (strcmp(app->approot, want))
            bad("app %s: approot \"%s\" is not \"%s\"", app->name, app->approot, want);
    } else if (!strcmp(kw, "cwd")) {
        once(seen, R_CWD, kw, app->name);
        app->cwd = abs_tok(ps, kw);
    } else if (!strcmp(kw, "exec")) {
        once(seen, R_EXEC, kw, app->name);
        size_t n = count(ps, kw);
        if (n == 0)
            bad("app %s: empty exec", app->name);
        app->argv = strings(ps, kw, n);
        if (app->argv[0][0] != '/')
            bad("app %s: exec path \"%s\" is not absolute", app->name, app->argv[0]);
    } else if (!strcmp(kw, "prestart") || !strcmp(kw, "poststop")) {
        bool pre = !strcmp(kw, "prestart");
        once(seen, pre ? R_PRESTART : R_POSTSTOP, kw, app->name);
        size_t n = count(ps, kw);
        if (n == 0)
            bad("app %s: empty %s", app->name, kw);
        char **argv = *(pre ? &app->prestart : &app->poststop) = strings(ps, kw, n);
        if (argv[0][0] != '/')
            bad("app %s: %s path \"%s\" is not absolute", app->name, kw, argv[0]);
    } else if (!strcmp(kw, "env")) {
        once(seen, R_ENV, kw, app->name);
        app->envp = strings(ps, kw, count(ps, kw));
        for (char **e = app->envp; *e; e++)
            if (!strchr(*e, '=') || **e == '=')
                bad("app %s: bad environment entry \"%s\"", app->name, *e);
    } else if (!strcmp(kw, "user")) {
        once(seen, R_USER, kw, app->name);
        app->uid = (uid_t)num(ps, kw, 10, 0xfffffffeu);
        app->gid = (gid_t)num(ps, kw, 10, 0xfffffffeu);
        app->ngroups = count(ps, kw);
        app->groups = xrealloc(NULL, app->ngroups * sizeof *app->groups);
        for (size_t i = 0; i < app->ngroups; i++)
            app->groups[i] = (gid_t)num(ps, kw, 10, 0xfffffffeu);
    } else if (!strcmp(kw, "caps")) {
        once(seen, R_CAPS, kw, app->name);
        app->caps = num(ps, kw, 16, UINT64_MAX);
    } else if (!strcmp(kw, "stdin")) {
        once(seen, R_STDIN, kw, app->name);
        char *m = tok(ps, kw);
        if (!strcmp(m, "null"))
            app->stdin_mode = STDIN_NULL;
        else if (!strcmp(m, "inherit"))
            app->stdin_mode = STDIN_INHERIT;
        else if (!strcmp(m, "console"))
            app->stdin_mode = STDIN_CONSOLE;
        else
            bad("bad stdin \"%s\" in app %s", m, app->name);
    } else if (!strcmp(kw, "nonewprivs")) {
        once(seen, R_NNP, kw, app->name);
        app->no_new_privs = num(ps, kw, 10, 1);
    } else if (!strcmp(kw, "cgroup")) {
        once(seen, R_CGROUP, kw, app->name);
        app->cgroups = cgroup_dirs(ps, kw, &app->ncgroups);
    } else if (!strcmp(kw, "seccomp")) {
        once(seen, R_SECCOMP, kw, app->name);
        const char *hex = tok(ps, kw);
        size_t n = strlen(hex);
        if (n == 0 || n % 16 || n / 16 > 4096)
            bad("app %s: seccomp filter of %zu hex digits (16 per instruction, 1 to 4096 instructions)", app->name, n);
        unsigned char *program = (unsigned char *)own(plan, malloc(n / 2));
        for (size_t i = 0; i < n; i += 2) {
            int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);
            if (hi < 0 || lo < 0)
                bad("app %s: bad hex digit in seccomp filter", app->name);
            program[i / 2] = (unsigned char)(hi << 4 | lo);
        }
        app->seccomp = program;
        app->seccomp_size = n / 2;
    } else if (!strcmp(kw, "oom")) {
        once(seen, R_OOM, kw, app->name);
        app->has_oom = true;
        app->oom = (int)snum(ps, kw, -1000, 1000);
    } else
        bad("unknown keyword \"%s\" in app %s", kw, app->name);
}

// The most lower layers an overlay takes (overlayfs' own limit).
#define OVERLAY_MAX_LOWERS 500

// `overlay TARGET UPPER WORK N LOWER...`: the options string is made here, escaped.
static void parse_overlay(struct parser *ps, struct plan *plan, const char *kw) {
    struct step *s = new_step(plan, STEP_MOUNT);
    s->target = pod_tok(ps, plan, kw);
    const char *upper = pod_path_tok(ps, plan, kw), *work = pod_path_tok(ps, plan, kw);
    size_t lowers = count(ps, kw);
    if (lowers == 0 || lowers > OVERLAY_MAX_LOWERS)
        bad("\"overlay\": %zu lower layers (1 to %d)", lowers, OVERLAY_MAX_LOWERS);
    // Checked and measured first, then copied: nothing allocated before a failure.
    struct parser probe = *ps;
    size_t n =
        strlen("lowerdir=,upperdir=,workdir=") + pod_overlay_escape(NULL, upper) + pod_overlay_escape(NULL, work) + 1;
    for (size_t i = 0; i < lowers; i++) {
        const char *lower = tok(&probe, kw);
        if (!plan_path_is_clean(lower) || !strcmp(lower, "/"))
            bad("\"overlay\": lower layer \"%s\" is not a clean absolute path", lower);
        n += pod_overlay_escape(NULL, lower) + 1;
    }
    char *data = own(plan, malloc(n)), *p = stpcpy(data, "lowerdir=");
    for (size_t i = 0; i < lowers; i++) {
        if (i)
            *p++ = ':';
        p += pod_overlay_escape(p, tok(ps, kw));
    }
    p = stpcpy(p, ",upperdir=");
    p += pod_overlay_escape(p, upper);
    p = stpcpy(p, ",workdir=");
    p += pod_overlay_escape(p, work);
    *p = 0;
    s->src = "overlay";
    s->fstype = "overlay";
    s->data = data;
    s->mk = 'd';
}

static void parse_global_record(struct parser *ps, struct plan *plan, unsigned *seen, const char *kw) {
    if (!strcmp(kw, "hostname")) {
        once(seen, R_HOSTNAME, kw, NULL);
        plan->hostname = opt_tok(ps, kw);
    } else if (!strcmp(kw, "net")) {
        once(seen, R_NET, kw, NULL);
        char *n = tok(ps, kw);
        if (n[0] == '/' && plan_path_is_clean(n) && strcmp(n, "/"))
            plan->netns = n;
        else if (strcmp(n, "host"))
            bad("bad net \"%s\"", n);
    } else if (!strcmp(kw, "ipc")) {
        once(seen, R_IPC, kw, NULL);
        char *i = tok(ps, kw);
        if (!strcmp(i, "host"))
            plan->ipc_host = true;
        else if (strcmp(i, "private"))
            bad("bad ipc \"%s\"", i);
    } else if (!strcmp(kw, "cgroup")) {
        once(seen, R_CGROUP, kw, NULL);
        plan->cgroups = cgroup_dirs(ps, kw, &plan->ncgroups);
    } else if (!strcmp(kw, "overlay")) {
        parse_overlay(ps, plan, kw);
    } else if (!strcmp(kw, "mount")) {
        struct step *s = new_step(plan, STEP_MOUNT);
        s->src = opt_tok(ps, kw);
        s->target = pod_tok(ps, plan, kw);
        s->fstype = opt_tok(ps, kw);
        s->flags = (unsigned long)num(ps, kw, 10, ULONG_MAX);
        s->data = opt_tok(ps, kw);
        char *mk = tok(ps, kw);
        if (strcmp(mk, "d") && strcmp(mk, "f") && strcmp(mk, "-"))
            bad("bad mkdir flag \"%s\" in \"mount\"", mk);
        s->mk = mk[0];
        if (s->fstype)
            for (const char *c = s->fstype; *c; c++)
                if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && *c != '_')
                    bad("bad file system type \"%s\" in \"mount\"", s->fstype);
        if ((s->flags & MS_BIND) && !(s->flags & MS_REMOUNT)) {
            // A host path, or a path in the pod.
            if (s->src && s->src[0] != '/')
                s->src = in_pod(ps, plan, s->src);
            if (!s->src || !plan_path_is_clean(s->src))
                bad("\"mount\": bind source \"%s\" is not a clean path", s->src ? s->src : "");
        } else if (s->src && s->src[0] == '/')
            bad("\"mount\": source \"%s\" of a mount that is not a bind", s->src);
    } else if (!strcmp(kw, "mknod")) {
        struct step *s = new_step(plan, STEP_MKNOD);
        s->target = pod_tok(ps, plan, kw);
        s->mode = (mode_t)num(ps, kw, 8, 0177777);
        if (!strcmp(s->target, plan->root))
            bad("\"mknod\": path is the root");
        if (!S_ISCHR(s->mode) || (s->mode & 07000))
            bad("\"mknod\": mode %o is not a character device's", (unsigned)s->mode);
        s->major = (unsigned)num(ps, kw, 10, 0xfff);
        s->minor = (unsigned)num(ps, kw, 10, 0xfffff);
    } else if (!strcmp(kw, "symlink")) {
        struct step *s = new_step(plan, STEP_SYMLINK);
        s->src = tok(ps, kw);
        if (!*s->src)
            bad("empty symlink target");
        s->target = pod_tok(ps, plan, kw);
        if (!strcmp(s->target, plan->root))
            bad("\"symlink\": path is the root");
    } else if (!strcmp(kw, "readonly")) {
        new_step(plan, STEP_READONLY)->target = pod_tok(ps, plan, kw);
    } else
        bad("unknown keyword \"%s\"", kw);
}

void plan_free(struct plan *plan) {
    for (size_t i = 0; i < plan->napps; i++) {
        struct app *a = &plan->apps[i];
        free(a->argv);
        if (a->envp != plan_no_env)
            free(a->envp);
        free(a->prestart);
        free(a->poststop);
        free(a->groups);
        free(a->cgroups);
        free(a->cgroup_fds);
    }
    free(plan->cgroups);
    free(plan->apps);
    free(plan->steps);
    for (size_t i = 0; i < plan->nowned; i++)
        free(plan->owned[i]);
    free(plan->owned);
    memset(plan, 0, sizeof *plan);
}

char *plan_no_env[] = {NULL};

static void parse(struct parser *ps, struct plan *plan) {
    if (ps->p == ps->end || ps->end[-1] != 0)
        bad("empty, or does not end with a NUL");
    if (strcmp(tok(ps, "version"), "version"))
        bad("does not start with \"version\"");
    char *v = tok(ps, "version");
    if (strcmp(v, "5"))
        bad("unsupported version \"%s\"", v);
    if (strcmp(tok(ps, "root"), "root"))
        bad("\"root\" is not the second record");
    plan->root = pod_path_tok(ps, plan, "root");

    unsigned seen = 0, app_seen = 0;
    struct app *app = NULL;
    for (;;) {
        if (!more(ps))
            bad("no end");
        char *kw = tok(ps, "keyword");
        if (!strcmp(kw, "end") || !strcmp(kw, "app")) {
            if (app)
                end_app(app, app_seen);
            if (!strcmp(kw, "end"))
                break;
            char *name = tok(ps, kw);
            if (!*name || strchr(name, '/') || name[0] == '.' || strlen(name) > NAME_MAX)
                bad("bad app name \"%s\"", name);
            for (size_t i = 0; i < plan->napps; i++)
                if (!strcmp(plan->apps[i].name, name))
                    bad("duplicate app %s", name);
            plan->apps = xrealloc(plan->apps, (plan->napps + 1) * sizeof *plan->apps);
            app = &plan->apps[plan->napps++];
            memset(app, 0, sizeof *app);
            app->name = name;
            app->cwd = "/";
            app->caps = UINT64_MAX;
            app_seen = 0;
        } else if (app)
            parse_app_record(ps, plan, app, &app_seen, kw);
        else
            parse_global_record(ps, plan, &seen, kw);
    }
    if (more(ps))
        bad("data after end");
    if (!plan->napps)
        bad("no app");
    for (size_t i = 0; i < plan->napps; i++) {
        struct app *a = &plan->apps[i];
        if (!a->envp)
            a->envp = plan_no_env;
        if (a->stdin_mode == STDIN_CONSOLE) {
            if (plan->console)
                bad("more than one app has stdin console");
            plan->console = a;
        }
    }
}

int plan_parse(char *buf, size_t size, const char *base, struct plan *plan, char *error, size_t error_size) {
    memset(plan, 0, sizeof *plan);
    struct parser ps = {.p = buf, .end = buf + size, .base = base, .error = error, .error_size = error_size};
    current = &ps;
    if (setjmp(ps.fail)) {
        current = NULL;
        plan_free(plan);
        return -1;
    }
    if (!plan_path_is_clean(base))
        bad("the pod directory \"%s\" is not a clean absolute path", base);
    parse(&ps, plan);
    current = NULL;
    return 0;
}

void plan_load(const char *path, struct plan *plan) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        fprintf(stderr, "stage1: open \"%s\": %s\n", path, strerror(errno));
        exit(254);
    }
    if (!S_ISREG(st.st_mode) || st.st_size > (64 << 20)) {
        fprintf(stderr, "stage1: bad plan: \"%s\" is not a regular file under 64 MiB\n", path);
        exit(254);
    }
    size_t size = (size_t)st.st_size, got = 0;
    char *buf = malloc(size ? size : 1);
    if (!buf) {
        fputs("stage1: out of memory\n", stderr);
        exit(254);
    }
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf(stderr, "stage1: read \"%s\": %s\n", path, n ? strerror(errno) : "short read");
            exit(254);
        }
        got += (size_t)n;
    }
    close(fd);
    char base[PATH_MAX];
    if (!getcwd(base, sizeof base)) {
        fprintf(stderr, "stage1: getcwd: %s\n", strerror(errno));
        exit(254);
    }
    char error[512];
    if (plan_parse(buf, size, base, plan, error, sizeof error) < 0) {
        fprintf(stderr, "stage1: bad plan: %s\n", error);
        exit(254);
    }
}

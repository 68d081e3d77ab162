#define _GNU_SOURCE
// The pod's init: PID 1 of the pod's pid namespace. Sets up the namespaces,
// mounts and root from the plan, starts the apps and reaps everything.
#include "stage1.h"

#include "root_path.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// How long stopped apps get between SIGTERM and SIGKILL, and post-stop handlers to run.
#define STOP_GRACE_MS 10000

// mount_setattr(2) came with Linux 5.12 and glibc 2.36.
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x1
struct mount_attr {
    uint64_t attr_set, attr_clr, propagation, userns_fd;
};
#endif

static _Noreturn void fail(const char *step, const char *path) {
    int e = errno;
    if (path)
        fprintf(stderr, "stage1: %s \"%s\": %s\n", step, path, strerror(e));
    else
        fprintf(stderr, "stage1: %s: %s\n", step, strerror(e));
    _exit(254);
}

// Descriptors of the stage1 root and of each app's root, kept from step to step
// (a pod has some seventy steps). A mount onto one of those directories puts a new
// mount there, so its descriptor is dropped and opened again for the next step.
static int root_fd = -1;
static int *app_fds;

static void forget_roots(const struct plan *plan, const char *mounted) {
    const char *rel = mounted + strlen(plan->root);
    for (size_t i = 0; i < plan->napps; i++)
        if (app_fds && app_fds[i] >= 0 && (!*rel || !strcmp(rel, plan->apps[i].approot))) {
            close(app_fds[i]);
            app_fds[i] = -1;
        }
    if (!*rel && root_fd >= 0) {
        close(root_fd);
        root_fd = -1;
    }
}

// A step's path (a clean host path at or under the stage1 root: plan.c checked
// it) resolved inside the root it belongs to: the app's root for a path strictly
// below one, else the stage1 root. Symlinks are followed only inside that root,
// and magic links not at all (CRootPath). Returns an O_PATH descriptor; with
// `name`, of the parent directory, the last component copied there. `flags`:
// ROOT_PATH_*. Fails the pod when the path cannot be resolved.
static int open_in_pod(const struct plan *plan, const char *path, int flags, char *name) {
    const char *rel = path + strlen(plan->root);  // "" or "/..."
    if (root_fd < 0 && (root_fd = open(plan->root, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
        fail("open", plan->root);
    if (!app_fds) {
        app_fds = malloc(plan->napps * sizeof *app_fds);
        if (!app_fds)
            fail("allocate", NULL);
        for (size_t i = 0; i < plan->napps; i++)
            app_fds[i] = -1;
    }
    int base = root_fd;
    for (size_t i = 0; i < plan->napps; i++) {
        const char *approot = plan->apps[i].approot;
        size_t n = strlen(approot);
        if (!strncmp(rel, approot, n) && rel[n] == '/') {
            if (app_fds[i] < 0 && (app_fds[i] = root_path_open(root_fd, approot, 0)) < 0) {
                errno = -app_fds[i];
                app_fds[i] = -1;
                fail("open app root", approot);
            }
            base = app_fds[i];
            rel += n;
            break;
        }
    }
    int fd = name ? root_path_open_parent(base, rel, flags, name) : root_path_open(base, rel, flags);
    if (fd < 0) {
        errno = -fd;
        fail("resolve inside the pod", path);
    }
    return fd;
}

// "/proc/self/fd/N": the object `fd` holds, for calls that take a path (mount).
static const char *fd_path(char buf[32], int fd) {
    snprintf(buf, 32, "/proc/self/fd/%d", fd);
    return buf;
}

static void run_step(const struct plan *plan, const struct step *s) {
    char name[ROOT_PATH_NAME_SIZE], target[32], source[32];
    int fd, src = -1;
    switch (s->kind) {
    case STEP_MOUNT:
        fd = open_in_pod(plan, s->target, s->mk == 'd' ? ROOT_PATH_MKDIR : s->mk == 'f' ? ROOT_PATH_MKFILE : 0, NULL);
        // A bind source inside the pod (a path re-mounted onto itself) is resolved
        // the same way; other sources are the host's, chosen by rkt or its user.
        if (s->src && s->src[0] == '/' && plan_path_in_root(plan, s->src))
            src = open_in_pod(plan, s->src, 0, NULL);
        if (debug)
            fprintf(stderr, "stage1: mount %s on %s type %s flags %#lx data %s\n", s->src ? s->src : "none", s->target,
                    s->fstype ? s->fstype : "none", s->flags, s->data ? s->data : "none");
        if (mount(src >= 0 ? fd_path(source, src) : s->src, fd_path(target, fd), s->fstype, s->flags, s->data) < 0)
            fail("mount", s->target);
        if (!(s->flags & MS_REMOUNT))
            forget_roots(plan, s->target);
        if (src >= 0)
            close(src);
        close(fd);
        break;
    case STEP_MKNOD:
        fd = open_in_pod(plan, s->target, 0, name);
        if (debug)
            fprintf(stderr, "stage1: mknod %s %o %u:%u\n", s->target, (unsigned)s->mode, s->major, s->minor);
        if (mknodat(fd, name, s->mode, makedev(s->major, s->minor)) < 0)
            fail("mknod", s->target);
        close(fd);
        break;
    case STEP_SYMLINK:
        fd = open_in_pod(plan, s->target, 0, name);
        if (debug)
            fprintf(stderr, "stage1: symlink %s -> %s\n", s->target, s->src);
        if (symlinkat(s->src, fd, name) < 0)
            fail("symlink", s->target);
        close(fd);
        break;
    case STEP_READONLY: {
        fd = open_in_pod(plan, s->target, 0, NULL);
        if (debug)
            fprintf(stderr, "stage1: readonly %s\n", s->target);
        struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
        if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0 &&
            // Kernels before 5.12: the mount at TARGET only.
            (errno != ENOSYS || mount(NULL, fd_path(target, fd), NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0))
            fail("make read-only", s->target);
        close(fd);
        break;
    }
    }
}

static void enter_root(const char *root) {
    if (debug)
        fprintf(stderr, "stage1: pivot_root %s\n", root);
    // pivot_root(".", ".") stacks the old root on top of the new one; the
    // detach then leaves only the new root.
    if (chdir(root) < 0)
        fail("chdir", root);
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        fail("pivot_root", root);
    if (umount2(".", MNT_DETACH) < 0)
        fail("umount old root", root);
    if (chdir("/") < 0)
        fail("chdir", "/");
}

// Opens the console app's pty master in its own devpts instance, hands it to
// the supervisor and waits until the supervisor has set the window size.
// Returns the pty number.
static int open_console(const struct app *app, int sock) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/dev/pts/ptmx", app->approot);
    int master = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    int unlock = 0, n;
    if (master < 0)
        fail("open", path);
    if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &n) < 0)
        fail("set up pty", path);
    if (send_fd(sock, master) < 0)
        fail("send pty to supervisor", NULL);
    close(master);
    char ack;
    if (read(sock, &ack, 1) != 1)
        _exit(254);  // the supervisor is gone
    return n;
}

static void limit_caps(uint64_t mask) {
    const char *failed;
    if (pod_limit_caps(mask, &failed) < 0)
        fail(failed, NULL);
}

// Moves the calling process into the cgroups whose cgroup.procs are open as `fds`.
static void join_cgroups(const struct app *app) {
    for (size_t i = 0; i < app->ncgroups; i++)
        if (write(app->cgroup_fds[i], "0", 1) != 1) {
            fprintf(stderr, "stage1: app %s: join cgroup %s: %s\n", app->name, app->cgroups[i], strerror(errno));
            _exit(254);
        }
}

// The capabilities the init itself uses once the pod is set up: to give each app its
// own mount and cgroup namespaces and credentials (SYS_ADMIN, SYS_CHROOT, SETUID,
// SETGID, SETPCAP), set its oom_score_adj (SYS_RESOURCE), reach its working directory
// whatever its mode (DAC_OVERRIDE, DAC_READ_SEARCH) and stop it (KILL).
#define INIT_CAPS                                                                                                      \
    (1ULL << CAP_SYS_ADMIN | 1ULL << CAP_SYS_CHROOT | 1ULL << CAP_SETUID | 1ULL << CAP_SETGID | 1ULL << CAP_SETPCAP |  \
     1ULL << CAP_SYS_RESOURCE | 1ULL << CAP_DAC_OVERRIDE | 1ULL << CAP_DAC_READ_SEARCH | 1ULL << CAP_KILL)

// The init keeps what it uses and what its apps get (their sets are within its own):
// bounding, permitted and effective sets alike, as rkt's stage1 ran with nspawn's set
// plus the apps' isolators rather than with every capability.
static void limit_init_caps(const struct plan *plan) {
    uint64_t mask = INIT_CAPS;
    for (size_t i = 0; i < plan->napps; i++)
        mask |= plan->apps[i].caps;
    limit_caps(mask);
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &header, data) < 0)
        fail("capget", NULL);
    for (int i = 0; i < 2; i++) {
        data[i].permitted &= (uint32_t)(mask >> (32 * i));
        data[i].effective &= (uint32_t)(mask >> (32 * i));
    }
    if (syscall(SYS_capset, &header, data) < 0)
        fail("capset", NULL);
}

#define POSTSTOP_TIMEOUT_MS STOP_GRACE_MS

// uid 0, gid 0, no supplementary groups: the event handlers' credentials.
static void become_root(void) {
    if (setgroups(0, NULL) < 0)
        fail("setgroups", NULL);
    if (setresgid(0, 0, 0) < 0)
        fail("setresgid", NULL);
    if (setresuid(0, 0, 0) < 0)
        fail("setresuid", NULL);
}

// In the app process, chrooted, with the app's stdio and capabilities but
// still root: runs the pre-start handler and returns if it exited 0; else the
// app process ends as the handler did (its exit code, or killed by the same
// signal). The handler stays in the app's process group and session, so the
// init's stop signals reach it and an interactive one has the terminal.
static void run_prestart(const struct app *app, bool tty) {
    if (debug)
        fprintf(stderr, "stage1: app %s: pre-start %s\n", app->name, app->prestart[0]);
    pid_t parent = getpid(), pid = fork();
    if (pid < 0) {
        fprintf(stderr, "stage1: app %s: pre-start: fork: %s\n", app->name, strerror(errno));
        _exit(254);
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);  // the app process was SIGKILLed
        if (getppid() != parent)
            _exit(254);
        become_root();
        pod_reset_signals(NULL);
        execve(app->prestart[0], app->prestart, app->envp);
        fprintf(stderr, "stage1: app %s: pre-start: can't execute \"%s\": %s\n", app->name, app->prestart[0],
                strerror(errno));
        _exit(254);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            fail("wait for pre-start", NULL);
    if (tty && tcgetpgrp(0) != getpgrp()) {
        // A job-control shell as handler may have left another foreground group.
        sigset_t ttou;
        sigemptyset(&ttou);
        sigaddset(&ttou, SIGTTOU);
        sigprocmask(SIG_BLOCK, &ttou, NULL);
        tcsetpgrp(0, getpgrp());
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return;
    if (WIFEXITED(status)) {
        if (debug)
            fprintf(stderr, "stage1: app %s: pre-start exited %d\n", app->name, WEXITSTATUS(status));
        _exit(WEXITSTATUS(status));
    }
    int sig = WTERMSIG(status);
    if (debug)
        fprintf(stderr, "stage1: app %s: pre-start killed by signal %d\n", app->name, sig);
    // The same death, so the init sees the signal (and counts its own stop
    // signals as a stop, not a failure); no core file in the app's cwd.
    pod_reset_signals(NULL);
    pod_die_by_signal(sig);
}

// In the forked app process: becomes the app and execs it.
static _Noreturn void exec_app(const struct app *app, int nullfd, int pty) {
    join_cgroups(app);
    // Its own mount namespace (the init's mounts, receiving what is mounted there later,
    // sending nothing back) and cgroup namespace (its cgroup is its root).
    if (unshare(CLONE_NEWNS | (app->ncgroups ? CLONE_NEWCGROUP : 0)) < 0)
        fail("unshare", NULL);
    if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
        fail("make mounts slave", "/");
    setsid();
    if (app->has_oom) {
        // Lowering it needs CAP_SYS_RESOURCE: before the uid changes.
        char text[16];
        int n = snprintf(text, sizeof text, "%d", app->oom);
        int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, text, (size_t)n) != n) {
            fprintf(stderr, "stage1: app %s: oom_score_adj: %s\n", app->name, strerror(errno));
            _exit(254);
        }
        close(fd);
    }
    if (app->stdin_mode == STDIN_NULL && dup2(nullfd, 0) < 0)
        fail("dup2", "/dev/null");
    syscall(SYS_close_range, 3, ~0U, 0);  // apps hold no host fds (the lock fd included)
    if (chroot(app->approot) < 0)
        fail("chroot", app->approot);
    if (chdir(app->cwd) < 0) {
        fprintf(stderr, "stage1: app %s: can't chdir to \"%s\": %s\n", app->name, app->cwd, strerror(errno));
        _exit(254);
    }
    if (app->stdin_mode == STDIN_NULL) {
        // The app's own /dev/null, if it has one, rather than the host's.
        int fd = open("/dev/null", O_RDONLY);
        if (fd > 0) {
            dup2(fd, 0);
            close(fd);
        }
    }
    if (pty >= 0) {
        char path[32];
        snprintf(path, sizeof path, "/dev/pts/%d", pty);
        // Opened without O_NOCTTY by a session leader: becomes the controlling tty.
        int fd = open(path, O_RDWR);
        if (fd < 0)
            fail("open", path);
        if (ioctl(fd, TIOCSCTTY, 0) < 0)
            fail("set controlling tty", path);
        for (int i = 0; i < 3; i++)
            if (dup2(fd, i) < 0)
                fail("dup2", path);
        if (fd > 2)
            close(fd);
    }
    // Capabilities first: dropping the bounding set needs CAP_SETPCAP, which a
    // non-root uid no longer has.
    limit_caps(app->caps);
    if (app->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        fail("set no_new_privs", NULL);
    if (app->prestart)
        run_prestart(app, pty >= 0);
    if (setgroups(app->ngroups, app->groups) < 0)
        fail("setgroups", NULL);
    if (setresgid(app->gid, app->gid, app->gid) < 0)
        fail("setresgid", NULL);
    if (setresuid(app->uid, app->uid, app->uid) < 0)
        fail("setresuid", NULL);
    pod_reset_signals(NULL);
    // Last, so that nothing the init does for the app is filtered; exec must be allowed.
    if (app->seccomp && pod_seccomp_install(app->seccomp, app->seccomp_size) < 0)
        fail("install seccomp filter", NULL);
    execve(app->argv[0], app->argv, app->envp);
    fprintf(stderr, "stage1: app %s: can't execute \"%s\": %s\n", app->name, app->argv[0], strerror(errno));
    _exit(254);
}

static void write_status(const struct app *app, int code) {
    char tmp[PATH_MAX], path[PATH_MAX], text[16];
    snprintf(tmp, sizeof tmp, "/rkt/status/.%s.tmp", app->name);
    snprintf(path, sizeof path, "/rkt/status/%s", app->name);
    int n = snprintf(text, sizeof text, "%d", code);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, text, (size_t)n) != n || close(fd) < 0 || rename(tmp, path) < 0)
        fprintf(stderr, "stage1: write \"%s\": %s\n", path, strerror(errno));
}

// SIGTERM to the app's process group (its own session); to the process alone
// if it has not called setsid yet.
static void stop_app(struct app *app) {
    if (kill(-app->pid, SIGTERM) < 0)
        kill(app->pid, SIGTERM);
    kill(-app->pid, SIGCONT);
    sigaddset(&app->sent, SIGTERM);
}

// `sig` to every process of the pod, noted for each running app.
static void signal_pod(struct plan *plan, int sig) {
    kill(-1, sig);
    for (size_t i = 0; i < plan->napps; i++)
        if (plan->apps[i].pid)
            sigaddset(&plan->apps[i].sent, sig);
}

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// Forks the app's post-stop handler: in the app's root and cwd (or / if that
// is gone), as root with the app's env, caps and no_new_privs, stdin
// /dev/null, stdout/stderr those of the init or `out` (the console app's pty).
// Its own session; it ignores the pod's stop signals (SIGTERM, SIGHUP): only
// the init's SIGKILL after 10 s ends it early. Returns its pid, 0 on failure.
static pid_t start_poststop(const struct app *app, int nullfd, int out) {
    if (debug)
        fprintf(stderr, "stage1: app %s: post-stop %s\n", app->name, app->poststop[0]);
    pid_t pid = fork();
    if (pid < 0)
        fprintf(stderr, "stage1: app %s: post-stop: fork: %s\n", app->name, strerror(errno));
    if (pid != 0)
        return pid < 0 ? 0 : pid;
    join_cgroups(app);
    setsid();
    pod_reset_signals(NULL);
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    if (chroot(app->approot) < 0)
        fail("chroot", app->approot);
    if (chdir(app->cwd) < 0 && chdir("/") < 0)
        fail("chdir", "/");
    int fd = open("/dev/null", O_RDONLY);  // the app's own, as for the app
    if (dup2(fd >= 0 ? fd : nullfd, 0) < 0)
        fail("dup2", "/dev/null");
    if (out >= 0 && (dup2(out, 1) < 0 || dup2(out, 2) < 0))
        fail("dup2", "console");
    syscall(SYS_close_range, 3, ~0U, 0);
    limit_caps(app->caps);
    if (app->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        fail("set no_new_privs", NULL);
    become_root();
    execve(app->poststop[0], app->poststop, app->envp);
    fprintf(stderr, "stage1: app %s: post-stop: can't execute \"%s\": %s\n", app->name, app->poststop[0],
            strerror(errno));
    _exit(254);
}

// SIGKILLs the post-stop handlers past their deadline; returns the time
// until the next deadline in ms, -1 if none.
static int64_t poststop_timeouts(struct plan *plan) {
    int64_t now = now_ms(), next = -1;
    for (size_t i = 0; i < plan->napps; i++) {
        struct app *app = &plan->apps[i];
        if (!app->poststop_pid || app->poststop_killed)
            continue;
        int64_t left = app->poststop_deadline - now;
        if (left <= 0) {
            fprintf(stderr, "stage1: app %s: post-stop still running after %d s: killed\n", app->name,
                    POSTSTOP_TIMEOUT_MS / 1000);
            kill(-app->poststop_pid, SIGKILL);
            kill(app->poststop_pid, SIGKILL);
            app->poststop_killed = true;
        } else if (next < 0 || left < next)
            next = left;
    }
    return next;
}

static void on_signal(int sig) {
    (void)sig;  // never runs: the signals stay blocked and are taken by sigwaitinfo
}

// The init's state once the apps run: what is left to reap, and when to stop waiting.
struct reaper {
    struct plan *plan;
    sigset_t signals;       // the signals the init acts on (blocked, taken by sigtimedwait)
    size_t running;         // apps running
    size_t handlers;        // post-stop handlers running
    bool stopping;          // a stop signal came: the pod ends with 0
    bool failed;            // an app failed: the others are stopped
    int first_code;         // the first failed app's code
    int64_t kill_deadline;  // CLOCK_MONOTONIC ms: SIGKILL the apps then (-1: none)
    int nullfd;
    int console_out;  // kept open for the console app's post-stop (-1: none)
};

// 1. Dies with the supervisor (which may be gone already: then its end of the
// socket is closed) and holds no host fd but the socket (the supervisor keeps
// the lock fd).
static void die_with_supervisor(int sock) {
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    struct pollfd pfd = {sock, POLLIN, 0};
    if (poll(&pfd, 1, 0) > 0 && (pfd.revents & POLLHUP))
        _exit(254);
    if (sock > 3)
        syscall(SYS_close_range, 3, sock - 1, 0);
    syscall(SYS_close_range, sock + 1, ~0U, 0);
}

// 2. Handlers (not SIG_DFL: PID 1 of a pid namespace drops such signals) for
// the signals init acts on, kept blocked and taken by sigtimedwait. They stay
// blocked throughout, so none sent by the supervisor is lost.
static void take_signals(sigset_t *set) {
    sigemptyset(set);
    int sigs[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaddset(set, sigs[i]);
    pod_reset_signals(set);
    struct sigaction sa = {.sa_handler = on_signal};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
}

// 3. Namespaces (nothing mounted here may propagate to the host), hostname,
// loopback, then the plan's steps. Returns an fd of /dev/null for the apps.
static int setup_namespaces(struct plan *plan) {
    // The network namespace (the host's, or the pod's that the supervisor joined) is inherited.
    int flags = CLONE_NEWNS | CLONE_NEWUTS | (plan->ipc_host ? 0 : CLONE_NEWIPC);
    if (unshare(flags) < 0)
        fail("unshare", NULL);
    if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
        fail("make mounts slave", "/");
    if (plan->hostname && sethostname(plan->hostname, strlen(plan->hostname)) < 0)
        fail("sethostname", plan->hostname);
    int nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (nullfd < 0)
        fail("open", "/dev/null");
    mode_t umask_saved = umask(0);  // device nodes get exactly the plan's mode
    for (size_t i = 0; i < plan->nsteps; i++)
        run_step(plan, &plan->steps[i]);
    forget_roots(plan, plan->root);
    umask(umask_saved);
    return nullfd;
}

// 5, 6. Starts every app, then says the pod is ready. Returns how many run.
static size_t start_apps(struct plan *plan, int nullfd, int pty) {
    unlink("/rkt/supervisor-status");
    if (mkdir("/rkt/status", 0755) < 0 && errno != EEXIST)
        fail("mkdir", "/rkt/status");
    size_t running = 0;
    for (size_t i = 0; i < plan->napps; i++) {
        struct app *app = &plan->apps[i];
        if (debug)
            fprintf(stderr, "stage1: app %s: start %s\n", app->name, app->argv[0]);
        pid_t pid = fork();
        if (pid < 0) {
            fprintf(stderr, "stage1: app %s: fork: %s\n", app->name, strerror(errno));
            kill(-1, SIGKILL);
            exit(254);
        }
        if (pid == 0)
            exec_app(app, nullfd, app == plan->console ? pty : -1);
        app->pid = pid;
        sigemptyset(&app->sent);
        running++;
    }
    if (symlink("ready", "/rkt/supervisor-status") < 0)
        fprintf(stderr, "stage1: symlink \"/rkt/supervisor-status\": %s\n", strerror(errno));
    return running;
}

// A stop signal: SIGTERM to the pod (SIGHUP too for an interactive shell, which
// ignores SIGTERM), SIGKILL after the grace period.
static void begin_stop(struct reaper *r) {
    if (r->stopping)
        return;
    r->stopping = true;
    signal_pod(r->plan, SIGTERM);
    kill(-1, SIGCONT);
    if (r->plan->console)
        signal_pod(r->plan, SIGHUP);
    r->kill_deadline = now_ms() + STOP_GRACE_MS;
}

// The grace period is over: SIGKILL to the pod, or, while post-stop handlers
// run, to the apps only.
static void kill_apps(struct reaper *r) {
    struct plan *plan = r->plan;
    r->kill_deadline = -1;
    if (!r->handlers) {
        signal_pod(plan, SIGKILL);
        return;
    }
    for (size_t i = 0; i < plan->napps; i++)
        if (plan->apps[i].pid) {
            kill(-plan->apps[i].pid, SIGKILL);
            kill(plan->apps[i].pid, SIGKILL);
            sigaddset(&plan->apps[i].sent, SIGKILL);
        }
}

static void release_console(struct reaper *r) {
    if (r->console_out >= 0) {
        close(r->console_out);
        r->console_out = -1;
    }
}

// An app's process ended with `status`: its code is recorded, a failure stops
// the others, and its post-stop handler starts.
static void app_ended(struct reaper *r, struct app *app, int status) {
    struct plan *plan = r->plan;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    app->pid = 0;
    r->running--;
    // Killed by the init's own stop signals: rkt's stage1 reports 0 for the apps
    // it stops. Any other signal (from the host, a crash) keeps 128+signal.
    if (WIFSIGNALED(status) && sigismember(&app->sent, WTERMSIG(status)) == 1)
        code = 0;
    if (debug)
        fprintf(stderr, "stage1: app %s: exited with %d\n", app->name, code);
    write_status(app, code);
    if (code && !r->failed) {
        r->failed = true;
        r->first_code = code;
        for (size_t j = 0; j < plan->napps; j++)
            if (plan->apps[j].pid)
                stop_app(&plan->apps[j]);
        if (!r->stopping)
            r->kill_deadline = now_ms() + STOP_GRACE_MS;
    }
    if (app->poststop) {
        app->poststop_pid = start_poststop(app, r->nullfd, app == plan->console ? r->console_out : -1);
        app->poststop_deadline = now_ms() + POSTSTOP_TIMEOUT_MS;
        app->poststop_killed = false;
        if (app->poststop_pid)
            r->handlers++;
    }
    if (app == plan->console && !app->poststop_pid)
        release_console(r);
}

static void poststop_ended(struct reaper *r, struct app *app, int status) {
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    app->poststop_pid = 0;
    r->handlers--;
    if (code)
        fprintf(stderr, "stage1: app %s: post-stop exited %d\n", app->name, code);
    else if (debug)
        fprintf(stderr, "stage1: app %s: post-stop exited 0\n", app->name);
    if (app == r->plan->console)
        release_console(r);
}

// Reaps every ended child; the apps' and handlers' ends are acted on.
static void reap_children(struct reaper *r) {
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
        for (size_t i = 0; i < r->plan->napps; i++) {
            struct app *app = &r->plan->apps[i];
            if (app->poststop_pid == pid)
                poststop_ended(r, app, status);
            else if (app->pid == pid)
                app_ended(r, app, status);
        }
}

// The one clock of the loop: acts on the deadlines that passed (the grace
// period, post-stop handlers' time) and returns the ms until the next, -1 if none.
static int64_t next_wait(struct reaper *r) {
    if (r->kill_deadline >= 0 && r->kill_deadline <= now_ms())
        kill_apps(r);
    int64_t wait = poststop_timeouts(r->plan);
    if (r->kill_deadline >= 0) {
        int64_t left = r->kill_deadline - now_ms();
        if (left < 0)
            left = 0;
        if (wait < 0 || left < wait)
            wait = left;
    }
    return wait;
}

// 7, 8. Until every app and post-stop handler has ended; then kills whatever
// is left (e.g. from `rkt enter`) and exits with the pod's code.
static _Noreturn void reap_until_done(struct reaper *r) {
    while (r->running || r->handlers) {
        siginfo_t si;
        int64_t wait_ms = next_wait(r);
        struct timespec ts = {wait_ms / 1000, wait_ms % 1000 * 1000000};
        if ((wait_ms < 0 ? sigwaitinfo(&r->signals, &si) : sigtimedwait(&r->signals, &si, &ts)) < 0)
            continue;  // EAGAIN: a deadline passed
        if (si.si_signo == SIGTERM || si.si_signo == SIGINT || si.si_signo == SIGHUP)
            begin_stop(r);
        else
            reap_children(r);
    }
    kill(-1, SIGKILL);
    exit(r->stopping ? 0 : r->first_code);
}

// 3a. The pod's cgroups (host paths): the init joins its own, and opens each app's
// cgroup.procs for the app to join once the host's paths are out of sight.
static void open_cgroups(struct plan *plan) {
    for (size_t i = 0; i < plan->ncgroups; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/cgroup.procs", plan->cgroups[i]);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, "0", 1) != 1)
            fail("join cgroup", plan->cgroups[i]);
        close(fd);
    }
    for (size_t i = 0; i < plan->napps; i++) {
        struct app *app = &plan->apps[i];
        if (!app->ncgroups)
            continue;
        app->cgroup_fds = malloc(app->ncgroups * sizeof *app->cgroup_fds);
        if (!app->cgroup_fds)
            fail("allocate", NULL);
        for (size_t j = 0; j < app->ncgroups; j++) {
            char path[PATH_MAX];
            snprintf(path, sizeof path, "%s/cgroup.procs", app->cgroups[j]);
            if ((app->cgroup_fds[j] = open(path, O_WRONLY | O_CLOEXEC)) < 0)
                fail("open", path);
        }
    }
}

_Noreturn void pod_init(struct plan *plan, int sock) {
    die_with_supervisor(sock);
    struct reaper r = {.plan = plan, .kill_deadline = -1, .console_out = -1};
    take_signals(&r.signals);
    open_cgroups(plan);
    r.nullfd = setup_namespaces(plan);

    // 4. The stage1 rootfs becomes /; what is mounted in it later (rkt debug's tools)
    // reaches the apps' own mount namespaces.
    enter_root(plan->root);
    if (mount(NULL, "/", NULL, MS_REC | MS_SHARED, NULL) < 0)
        fail("make mounts shared", "/");
    int pty = plan->console ? open_console(plan->console, sock) : -1;
    close(sock);
    // The console app's post-stop writes to its pty: the init keeps a slave
    // open until then, so the supervisor still relays it after the app ended.
    if (pty >= 0 && plan->console->poststop) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/dev/pts/%d", plan->console->approot, pty);
        r.console_out = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (r.console_out < 0)
            fail("open", path);
    }

    limit_init_caps(plan);
    r.running = start_apps(plan, r.nullfd, pty);
    reap_until_done(&r);
}

#define _GNU_SOURCE
#include "clinux_pod.h"

#include "pod_common.h"
#include "root_path.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int clinux_umount_detach(const char *path) {
    return umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0 ? 0 : errno;
}

// The children below run in forked copies of a multithreaded process:
// async-signal-safe calls only (no malloc, no stdio).

// What a child reports through the CLOEXEC pipe; end of file means it got as far
// as exec (or finished).
struct child_failure {
    int step, error;
};

static _Noreturn void report(int fd, int step) {
    struct child_failure f = {step, errno};
    ssize_t n = write(fd, &f, sizeof f);
    (void)n;
    _exit(127);
}

// Forks a child that runs `body(arg, errfd)`: it reports a failed step with
// report(errfd, ...), or execs, or exits. Waits for it. Returns its wait status,
// or -errno with `*failed_step` set (`spawn_step` for pipe, fork and wait).
static int run_child(void (*body)(const void *, int), const void *arg, int spawn_step, int *failed_step) {
    *failed_step = spawn_step;
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return -errno;
    pid_t pid = fork();
    if (pid == 0) {
        close(pipefd[0]);
        body(arg, pipefd[1]);
        _exit(127);
    }
    int result = 0, error = errno;
    close(pipefd[1]);
    if (pid < 0)
        result = -error;
    else {
        struct child_failure f;
        ssize_t n;
        do  // end of file: exec'd, or done
            n = read(pipefd[0], &f, sizeof f);
        while (n < 0 && errno == EINTR);
        int status;
        pid_t w;
        while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
            ;
        if (n == (ssize_t)sizeof f) {
            *failed_step = f.step;
            result = -f.error;
        } else if (w < 0)
            result = -errno;
        else
            result = status;
    }
    close(pipefd[0]);
    return result;
}

// The namespaces joined, in order (the mount namespace last), and room for
// "/proc/PID/ns/NAME" or "/proc/PID/root".
#define ENTER_NAMESPACES 5
#define PROC_PATH_SIZE 48
static const char *const enter_namespaces[ENTER_NAMESPACES] = {"ipc", "uts", "net", "pid", "mnt"};

// The process that becomes the command, already inside the pod.
static _Noreturn void enter_exec(const struct clinux_enter_spec *s, int errfd) {
    // Capabilities first: dropping from the bounding set needs CAP_SETPCAP,
    // which a non-root uid no longer has.
    const char *failed;
    if (pod_limit_caps(s->caps, &failed) < 0 || setgroups(s->ngroups, (const gid_t *)s->groups) < 0 ||
        setresgid(s->gid, s->gid, s->gid) < 0 || setresuid(s->uid, s->uid, s->uid) < 0 ||
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        report(errfd, CLINUX_ENTER_STEP_CREDENTIALS);
    if (errfd < 3)  // keep it clear of the stdio fds (when the caller had them closed)
        errfd = fcntl(errfd, F_DUPFD_CLOEXEC, 3);
    if (errfd > 3)
        syscall(SYS_close_range, 3, errfd - 1, 0);
    syscall(SYS_close_range, errfd + 1, ~0U, 0);
    pod_reset_signals(NULL);
    environ = (char **)s->envp;  // execvp searches the PATH found here
    execvp(s->argv[0], s->argv);
    report(errfd, CLINUX_ENTER_STEP_EXEC);
}

// The first child: joins the pod, forks the command (a pid namespace applies
// to children only), waits and exits the way the command did.
struct enter_args {
    const struct clinux_enter_spec *spec;
    char ns_paths[ENTER_NAMESPACES][PROC_PATH_SIZE], root_path[PROC_PATH_SIZE];
};

static _Noreturn void enter_pod(const void *arg, int errfd) {
    const struct enter_args *a = arg;
    const struct clinux_enter_spec *s = a->spec;
    const char(*ns_paths)[PROC_PATH_SIZE] = a->ns_paths;
    const char *root_path = a->root_path;
    int fds[ENTER_NAMESPACES], root;
    for (int i = 0; i < ENTER_NAMESPACES; i++)
        if ((fds[i] = open(ns_paths[i], O_RDONLY | O_CLOEXEC)) < 0)
            report(errfd, CLINUX_ENTER_STEP_NAMESPACES);
    if ((root = open(root_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        report(errfd, CLINUX_ENTER_STEP_NAMESPACES);
    for (int i = 0; i < ENTER_NAMESPACES; i++)  // the mount namespace last
        if (setns(fds[i], 0) < 0)
            report(errfd, CLINUX_ENTER_STEP_NAMESPACES);
    if (fchdir(root) < 0 || chroot(".") < 0 || chroot(s->approot) < 0)
        report(errfd, CLINUX_ENTER_STEP_CHROOT);
    if (chdir(s->cwd) < 0)
        report(errfd, CLINUX_ENTER_STEP_CHDIR);

    struct sigaction dfl = {.sa_handler = SIG_DFL};
    sigaction(SIGCHLD, &dfl, NULL);  // waitpid needs it not ignored
    pid_t pid = fork();
    if (pid < 0)
        report(errfd, CLINUX_ENTER_STEP_NAMESPACES);
    if (pid == 0)
        enter_exec(s, errfd);
    close(errfd);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            _exit(127);
    if (WIFEXITED(status))
        _exit(WEXITSTATUS(status));
    pod_die_by_signal(WTERMSIG(status));
}

int clinux_pod_enter(const struct clinux_enter_spec *spec, int *failed_step) {
    struct enter_args args = {.spec = spec};
    for (int i = 0; i < ENTER_NAMESPACES; i++)
        snprintf(args.ns_paths[i], sizeof args.ns_paths[i], "/proc/%d/ns/%s", spec->pid, enter_namespaces[i]);
    snprintf(args.root_path, sizeof args.root_path, "/proc/%d/root", spec->pid);
    // Like system(3): the terminal's ^C and ^\ are for the command.
    struct sigaction ignore = {.sa_handler = SIG_IGN}, old_int, old_quit;
    sigaction(SIGINT, &ignore, &old_int);
    sigaction(SIGQUIT, &ignore, &old_quit);
    int result = run_child(enter_pod, &args, CLINUX_ENTER_STEP_SPAWN, failed_step);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    return result;
}

// Bind and unbind: a child joins the pod's mount namespace and root (not its other
// namespaces: nothing runs there), resolves the destination inside the pod and
// mounts or unmounts.

struct bind_args {
    const struct clinux_bind_spec *spec;
    const char *destination, *approot;  // the spec's, or unbind's arguments
    char mnt_path[PROC_PATH_SIZE], root_path[PROC_PATH_SIZE];
};

static void bind_args_init(struct bind_args *a, int pid) {
    snprintf(a->mnt_path, sizeof a->mnt_path, "/proc/%d/ns/mnt", pid);
    snprintf(a->root_path, sizeof a->root_path, "/proc/%d/root", pid);
}

// Joins the pod's mount namespace and root; returns a descriptor of the directory
// the destination is resolved in (the app root, or the pod's root) and sets
// `*rel` to the destination relative to it.
static int join_pod_root(const struct bind_args *a, const char **rel, int errfd) {
    int ns = open(a->mnt_path, O_RDONLY | O_CLOEXEC), root = open(a->root_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (ns < 0 || root < 0 || setns(ns, CLONE_NEWNS) < 0 || fchdir(root) < 0 || chroot(".") < 0)
        report(errfd, CLINUX_BIND_STEP_NAMESPACES);
    int base = root_path_open_root("/");
    if (base < 0) {
        errno = -base;
        report(errfd, CLINUX_BIND_STEP_NAMESPACES);
    }
    *rel = a->destination;
    if (a->approot) {
        int app = root_path_open(base, a->approot, 0);
        if (app < 0) {
            errno = -app;
            report(errfd, CLINUX_BIND_STEP_DESTINATION);
        }
        *rel += strlen(a->approot);
        return app;
    }
    return base;
}

static _Noreturn void bind_in_pod(const void *arg, int errfd) {
    const struct bind_args *a = arg;
    const struct clinux_bind_spec *s = a->spec;
    int tree = open_tree(AT_FDCWD, s->source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
    struct stat st;
    if (tree < 0 || fstat(tree, &st) < 0)
        report(errfd, CLINUX_BIND_STEP_SOURCE);
    struct mount_attr readonly = {.attr_set = MOUNT_ATTR_RDONLY};
    if (s->read_only && mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &readonly, sizeof readonly) < 0)
        report(errfd, CLINUX_BIND_STEP_SOURCE);
    const char *rel;
    int base = join_pod_root(a, &rel, errfd);
    int flags = !s->make ? 0 : S_ISDIR(st.st_mode) ? ROOT_PATH_MKDIR : ROOT_PATH_MKFILE;
    int target = root_path_open(base, rel, flags);
    if (target < 0) {
        errno = -target;
        report(errfd, CLINUX_BIND_STEP_DESTINATION);
    }
    if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        report(errfd, CLINUX_BIND_STEP_MOUNT);
    _exit(0);
}

static _Noreturn void unbind_in_pod(const void *arg, int errfd) {
    const struct bind_args *a = arg;
    const char *rel;
    int base = join_pod_root(a, &rel, errfd);
    char name[ROOT_PATH_NAME_SIZE];
    int parent = root_path_open_parent(base, rel, 0, name);
    if (parent < 0) {
        errno = -parent;
        report(errfd, CLINUX_BIND_STEP_DESTINATION);
    }
    if (fchdir(parent) < 0)
        report(errfd, CLINUX_BIND_STEP_DESTINATION);
    if (umount2(name, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
        report(errfd, CLINUX_BIND_STEP_MOUNT);
    _exit(0);
}

// A child that exited 0 did its work; anything else without a report is a failure
// of the mechanism itself.
static int child_result(int status) {
    return status == 0 || status < 0 ? status : -EPROTO;
}

int clinux_pod_bind(const struct clinux_bind_spec *spec, int *failed_step) {
    struct bind_args args = {.spec = spec, .destination = spec->destination, .approot = spec->approot};
    bind_args_init(&args, spec->pid);
    return child_result(run_child(bind_in_pod, &args, CLINUX_BIND_STEP_SPAWN, failed_step));
}

int clinux_pod_unbind(int pid, const char *destination, const char *approot, int *failed_step) {
    struct bind_args args = {.destination = destination, .approot = approot};
    bind_args_init(&args, pid);
    return child_result(run_child(unbind_in_pod, &args, CLINUX_BIND_STEP_SPAWN, failed_step));
}

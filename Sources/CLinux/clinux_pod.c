#define _GNU_SOURCE
#include "clinux_pod.h"

#include "clinux_child.h"
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

int clinux_umount_detach(const char *path) {
    return umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0 ? 0 : errno;
}

// The process that becomes the command, already inside the pod.
static _Noreturn void enter_exec(const struct clinux_enter_spec *s, int errfd) {
    if (child_take_credentials(s->caps, s->ngroups, (const gid_t *)s->groups, s->gid, s->uid) < 0)
        child_report(errfd, CLINUX_ENTER_STEP_CREDENTIALS);
    child_exec(s->argv, s->envp, s->seccomp, s->seccomp_size, errfd, CLINUX_ENTER_STEP_EXEC, CLINUX_ENTER_STEP_SECCOMP);
}

// The first child: joins the pod, forks the command (a pid namespace applies
// to children only), waits and exits the way the command did.
static _Noreturn void enter_pod(const void *arg, int errfd) {
    const struct clinux_enter_spec *s = arg;
    child_join_pod(s->pid, true, errfd, CLINUX_ENTER_STEP_NAMESPACES);
    if (chroot(s->approot) < 0)
        child_report(errfd, CLINUX_ENTER_STEP_CHROOT);
    if (chdir(s->cwd) < 0)
        child_report(errfd, CLINUX_ENTER_STEP_CHDIR);

    struct sigaction dfl = {.sa_handler = SIG_DFL};
    sigaction(SIGCHLD, &dfl, NULL);  // waitpid needs it not ignored
    pid_t pid = fork();
    if (pid < 0)
        child_report(errfd, CLINUX_ENTER_STEP_NAMESPACES);
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
    // Like system(3): the terminal's ^C and ^\ are for the command.
    struct sigaction ignore = {.sa_handler = SIG_IGN}, old_int, old_quit;
    sigaction(SIGINT, &ignore, &old_int);
    sigaction(SIGQUIT, &ignore, &old_quit);
    int result = child_run(enter_pod, spec, CLINUX_ENTER_STEP_SPAWN, failed_step, NULL);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    return result;
}

// Bind and unbind: a child joins the pod's mount namespace and root (not its other
// namespaces: nothing runs there), resolves the destination inside the pod and
// mounts or unmounts.

struct bind_args {
    int pid;
    const struct clinux_bind_spec *spec;
    const char *destination, *approot;  // the spec's, or unbind's arguments
};

// Joins the pod's mount namespace and root; returns a descriptor of the directory
// the destination is resolved in (the app root, or the pod's root) and sets
// `*rel` to the destination relative to it.
static int join_pod_root(const struct bind_args *a, const char **rel, int errfd) {
    child_join_pod(a->pid, false, errfd, CLINUX_BIND_STEP_NAMESPACES);
    int base = root_path_open_root("/");
    if (base < 0) {
        errno = -base;
        child_report(errfd, CLINUX_BIND_STEP_NAMESPACES);
    }
    *rel = a->destination;
    if (a->approot) {
        int app = root_path_open(base, a->approot, 0);
        if (app < 0) {
            errno = -app;
            child_report(errfd, CLINUX_BIND_STEP_DESTINATION);
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
        child_report(errfd, CLINUX_BIND_STEP_SOURCE);
    struct mount_attr readonly = {.attr_set = MOUNT_ATTR_RDONLY};
    if (s->read_only && mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &readonly, sizeof readonly) < 0)
        child_report(errfd, CLINUX_BIND_STEP_SOURCE);
    const char *rel;
    int base = join_pod_root(a, &rel, errfd);
    int flags = !s->make ? 0 : S_ISDIR(st.st_mode) ? ROOT_PATH_MKDIR : ROOT_PATH_MKFILE;
    int target = root_path_open(base, rel, flags);
    if (target < 0) {
        errno = -target;
        child_report(errfd, CLINUX_BIND_STEP_DESTINATION);
    }
    if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        child_report(errfd, CLINUX_BIND_STEP_MOUNT);
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
        child_report(errfd, CLINUX_BIND_STEP_DESTINATION);
    }
    if (fchdir(parent) < 0)
        child_report(errfd, CLINUX_BIND_STEP_DESTINATION);
    if (umount2(name, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
        child_report(errfd, CLINUX_BIND_STEP_MOUNT);
    _exit(0);
}

// A child that exited 0 did its work; anything else without a report is a failure
// of the mechanism itself.
static int child_result(int status) {
    return status == 0 || status < 0 ? status : -EPROTO;
}

int clinux_pod_bind(const struct clinux_bind_spec *spec, int *failed_step) {
    struct bind_args args = {
        .pid = spec->pid, .spec = spec, .destination = spec->destination, .approot = spec->approot};
    return child_result(child_run(bind_in_pod, &args, CLINUX_BIND_STEP_SPAWN, failed_step, NULL));
}

int clinux_pod_unbind(int pid, const char *destination, const char *approot, int *failed_step) {
    struct bind_args args = {.pid = pid, .destination = destination, .approot = approot};
    return child_result(child_run(unbind_in_pod, &args, CLINUX_BIND_STEP_SPAWN, failed_step, NULL));
}

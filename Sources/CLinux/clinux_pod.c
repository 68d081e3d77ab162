#define _GNU_SOURCE
#include "clinux_pod.h"

#include "pod_common.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int clinux_umount_detach(const char *path) {
    return umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0 ? 0 : errno;
}

// Everything below up to clinux_pod_enter runs in forked children of a
// multithreaded process: async-signal-safe calls only (no malloc, no stdio).

// What a child reports through the CLOEXEC pipe; end of file means exec worked.
struct enter_failure {
    int step, error;
};

static _Noreturn void report(int fd, int step) {
    struct enter_failure f = {step, errno};
    ssize_t n = write(fd, &f, sizeof f);
    (void)n;
    _exit(127);
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
static _Noreturn void enter_pod(const struct clinux_enter_spec *s, char (*ns_paths)[PROC_PATH_SIZE],
                                const char *root_path, int errfd) {
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
    char ns_paths[ENTER_NAMESPACES][PROC_PATH_SIZE], root_path[PROC_PATH_SIZE];
    for (int i = 0; i < ENTER_NAMESPACES; i++)
        snprintf(ns_paths[i], sizeof ns_paths[i], "/proc/%d/ns/%s", spec->pid, enter_namespaces[i]);
    snprintf(root_path, sizeof root_path, "/proc/%d/root", spec->pid);
    *failed_step = CLINUX_ENTER_STEP_SPAWN;

    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return -errno;
    // Like system(3): the terminal's ^C and ^\ are for the command.
    struct sigaction ignore = {.sa_handler = SIG_IGN}, old_int, old_quit;
    sigaction(SIGINT, &ignore, &old_int);
    sigaction(SIGQUIT, &ignore, &old_quit);
    pid_t pid = fork();
    if (pid == 0) {
        close(pipefd[0]);
        enter_pod(spec, ns_paths, root_path, pipefd[1]);
    }
    int result = 0, error = errno;
    close(pipefd[1]);
    if (pid < 0)
        result = -error;
    else {
        struct enter_failure f;
        ssize_t n;
        do  // end of file: the command was exec'd
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
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    return result;
}

#define _GNU_SOURCE
#include "clinux_pod.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
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

static void reset_signals(void) {
    struct sigaction sa = {.sa_handler = SIG_DFL};
    for (int sig = 1; sig < NSIG; sig++)
        sigaction(sig, &sa, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static int limit_caps(unsigned long long mask) {
    // PR_CAPBSET_READ fails with EINVAL past the kernel's last capability.
    for (int cap = 0; cap < 64 && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
        if (!(mask >> cap & 1) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
            return -1;
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    if (syscall(SYS_capget, &h, d) < 0)
        return -1;
    d[0].inheritable &= (uint32_t)mask;
    d[1].inheritable &= (uint32_t)(mask >> 32);
    if (syscall(SYS_capset, &h, d) < 0)
        return -1;
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    return 0;
}

// The process that becomes the command, already inside the pod.
static _Noreturn void enter_exec(const struct clinux_enter_spec *s, int errfd) {
    // Capabilities first: dropping from the bounding set needs CAP_SETPCAP,
    // which a non-root uid no longer has.
    if (limit_caps(s->caps) < 0 || setgroups(s->ngroups, (const gid_t *)s->groups) < 0 ||
        setresgid(s->gid, s->gid, s->gid) < 0 || setresuid(s->uid, s->uid, s->uid) < 0 ||
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        report(errfd, CLINUX_ENTER_STEP_CREDENTIALS);
    if (errfd < 3)  // keep it clear of the stdio fds (when the caller had them closed)
        errfd = fcntl(errfd, F_DUPFD_CLOEXEC, 3);
    if (errfd > 3)
        syscall(SYS_close_range, 3, errfd - 1, 0);
    syscall(SYS_close_range, errfd + 1, ~0U, 0);
    reset_signals();
    environ = (char **)s->envp;  // execvp searches the PATH found here
    execvp(s->argv[0], s->argv);
    report(errfd, CLINUX_ENTER_STEP_EXEC);
}

// The first child: joins the pod, forks the command (a pid namespace applies
// to children only), waits and exits the way the command did.
static _Noreturn void enter_pod(const struct clinux_enter_spec *s, char (*ns_paths)[48], const char *root_path,
                                int errfd) {
    int fds[5], root;
    for (int i = 0; i < 5; i++)
        if ((fds[i] = open(ns_paths[i], O_RDONLY | O_CLOEXEC)) < 0)
            report(errfd, CLINUX_ENTER_STEP_NAMESPACES);
    if ((root = open(root_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        report(errfd, CLINUX_ENTER_STEP_NAMESPACES);
    for (int i = 0; i < 5; i++)  // the mount namespace last
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
    // Die of the same signal, without a core file of this process.
    int sig = WTERMSIG(status);
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    sigaction(sig, &dfl, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    _exit(128 + sig);
}

int clinux_pod_enter(const struct clinux_enter_spec *spec, int *failed_step) {
    static const char *const ns[5] = {"ipc", "uts", "net", "pid", "mnt"};
    char ns_paths[5][48], root_path[48];
    for (int i = 0; i < 5; i++)
        snprintf(ns_paths[i], sizeof ns_paths[i], "/proc/%d/ns/%s", spec->pid, ns[i]);
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

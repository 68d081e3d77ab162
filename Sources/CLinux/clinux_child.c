#define _GNU_SOURCE
#include "clinux_child.h"

#include "pod_common.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

// What a child reports through the CLOEXEC pipe.
struct child_failure {
    int step, error;
};

_Noreturn void child_report(int fd, int step) {
    struct child_failure f = {step, errno};
    ssize_t n = write(fd, &f, sizeof f);
    (void)n;
    _exit(127);
}

int child_run(void (*body)(const void *, int), const void *arg, int spawn_step, int *failed_step,
              volatile sig_atomic_t *child_pid) {
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
    if (child_pid && pid > 0)
        *child_pid = pid;
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
    if (child_pid)
        *child_pid = 0;
    close(pipefd[0]);
    return result;
}

// The namespaces joined, in order: the mount namespace last (the others are
// opened through the host's /proc, which it hides).
static const char *const pod_namespaces[] = {"ipc", "uts", "net", "pid", "mnt"};
#define POD_NAMESPACES (sizeof pod_namespaces / sizeof pod_namespaces[0])

void child_join_pod(int pid, bool all, int errfd, int step) {
    // Until it execs the command, this process (and its children) runs the host's rkt
    // binary inside the pod: not dumpable, no pod process can open its /proc/PID/exe
    // to write to that binary later (runc's CVE-2019-5736). exec resets it.
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    char path[CHILD_PROC_PATH_SIZE];
    int fds[POD_NAMESPACES];
    size_t first = all ? 0 : POD_NAMESPACES - 1;
    for (size_t i = first; i < POD_NAMESPACES; i++) {
        snprintf(path, sizeof path, "/proc/%d/ns/%s", pid, pod_namespaces[i]);
        if ((fds[i] = open(path, O_RDONLY | O_CLOEXEC)) < 0)
            child_report(errfd, step);
    }
    snprintf(path, sizeof path, "/proc/%d/root", pid);
    int root = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        child_report(errfd, step);
    for (size_t i = first; i < POD_NAMESPACES; i++)
        if (setns(fds[i], 0) < 0)
            child_report(errfd, step);
    if (fchdir(root) < 0 || chroot(".") < 0)
        child_report(errfd, step);
    for (size_t i = first; i < POD_NAMESPACES; i++)
        close(fds[i]);
    close(root);
}

int child_take_credentials(unsigned long long caps, size_t ngroups, const gid_t *groups, gid_t gid, uid_t uid) {
    // Capabilities first: dropping from the bounding set needs CAP_SETPCAP,
    // which a non-root uid no longer has.
    const char *failed;
    if (pod_limit_caps(caps, &failed) < 0 || setgroups(ngroups, groups) < 0 || setresgid(gid, gid, gid) < 0 ||
        setresuid(uid, uid, uid) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return -1;
    return 0;
}

_Noreturn void child_exec(char *const *argv, char *const *envp, const void *seccomp, size_t seccomp_size, int errfd,
                          int exec_step, int seccomp_step) {
    if (errfd < 3)  // keep it clear of the stdio fds (when the caller had them closed)
        errfd = fcntl(errfd, F_DUPFD_CLOEXEC, 3);
    if (errfd > 3)
        syscall(SYS_close_range, 3, errfd - 1, 0);
    syscall(SYS_close_range, errfd + 1, ~0U, 0);
    pod_reset_signals(NULL);
    environ = (char **)envp;  // execvp searches the PATH found here
    // Last before exec: nothing done for the command is filtered.
    if (seccomp && pod_seccomp_install(seccomp, seccomp_size) < 0)
        child_report(errfd, seccomp_step);
    execvp(argv[0], argv);
    child_report(errfd, exec_step);
}

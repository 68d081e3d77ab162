// CLinux's own helpers for the children that join pods (clinux_pod.c,
// clinux_debug.c). They run in forked copies of a multithreaded process:
// async-signal-safe calls only.
#ifndef CLINUX_CHILD_H
#define CLINUX_CHILD_H
#include <stdbool.h>
#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

/// Room for "/proc/PID/ns/NAME" or "/proc/PID/root".
#define CHILD_PROC_PATH_SIZE 48

/// Writes {step, errno} to the report pipe `fd` and exits 127.
_Noreturn void child_report(int fd, int step);

/// Forks a child that runs `body(arg, errfd)`: it reports a failed step with
/// child_report(errfd, ...), or execs, or exits. Waits for it. Returns its wait
/// status, or -errno with `*failed_step` set (`spawn_step` for pipe, fork and wait).
/// End of file on the pipe (every copy of `errfd` closed) means "no failure".
/// `child_pid`, if not NULL, gets the child's pid while it runs (for a signal
/// handler), 0 before and after.
int child_run(void (*body)(const void *, int), const void *arg, int spawn_step, int *failed_step,
              volatile sig_atomic_t *child_pid);

/// Joins the namespaces of the pod whose init is `pid`: with `all`, its ipc, uts,
/// net, pid and mount namespaces (the pid namespace applies to children), else its
/// mount namespace only; then chroots into the init's root. Reports `step` on failure.
void child_join_pod(int pid, bool all, int errfd, int step);

/// Capabilities (bounding set `caps`), groups, gid, uid and no_new_privs, in the
/// order that works for a root process becoming any user. Returns 0 or -1 (errno).
int child_take_credentials(unsigned long long caps, size_t ngroups, const gid_t *groups, gid_t gid, uid_t uid);

/// Closes every fd but stdio and `errfd`, resets the signals, installs the seccomp
/// filter `seccomp` (`seccomp_size` bytes; NULL: none) and execvp's argv with exactly
/// `envp` (its PATH is searched); reports `seccomp_step` or `exec_step` on failure.
_Noreturn void child_exec(char *const *argv, char *const *envp, const void *seccomp, size_t seccomp_size, int errfd,
                          int exec_step, int seccomp_step);

#endif

#ifndef POD_COMMON_H
#define POD_COMMON_H
// What rkt-stage1 (the pod's init) and CLinux (`rkt enter`, `rkt debug`) both
// do to a process about to become an app's: signals reset, capabilities limited,
// and a parent that dies the way its child did (async-signal-safe: called between
// fork and exec of multithreaded processes); and the console relay of an
// interactive app or debug session.
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/// Sets every signal disposition to default and the signal mask to `mask`
/// (NULL: nothing blocked).
void pod_reset_signals(const sigset_t *mask);

/// Drops from the bounding set every capability not in `mask` (bit n =
/// capability n), limits the inheritable set to it and clears the ambient set.
/// Returns 0, or -1 with errno set and `*failed` naming the call that failed.
int pod_limit_caps(uint64_t mask, const char **failed);

/// Installs seccomp filter `program` (`size` bytes of `struct sock_filter`) on the
/// calling thread: needs no_new_privs or CAP_SYS_ADMIN. Returns 0, or -1 with errno set.
int pod_seccomp_install(const void *program, size_t size);

/// Ends this process by signal `sig` (as a child it waited for did), with no
/// core file; `_exit(128 + sig)` if the signal does not kill.
_Noreturn void pod_die_by_signal(int sig);

/// Writes `path` to `out` (when not NULL) as one value of an overlayfs option:
/// `\`, `,` and `:` escaped with a backslash. Returns the length written (no NUL).
size_t pod_overlay_escape(char *out, const char *path);

/// Puts the terminal on stdin (if any) in raw mode until exit (atexit restores
/// it) and gives the pty `master` its window size; makes `master` non-blocking.
void pod_console_start(int master);

/// Relays stdin to `master` and `master` to stdout (`master` may be -1: nothing
/// to relay) until process `pid`, a child, ends; `sigfd` is a signalfd for
/// SIGCHLD, SIGWINCH (the window size is passed on) and the stop signals
/// SIGTERM, SIGINT, SIGHUP and SIGQUIT (SIGTERM is sent to `pid`). Then flushes
/// what the pty still holds, closes `master`, restores the terminal and returns
/// the wait status of `pid`.
int pod_console_relay(pid_t pid, int sigfd, int master);

#endif

#ifndef POD_COMMON_H
#define POD_COMMON_H
// What rkt-stage1 (the pod's init) and CLinux (`rkt enter`) both do to a process
// about to become an app's: signals reset, capabilities limited, and a parent
// that dies the way its child did. Async-signal-safe: called between fork and
// exec of multithreaded processes.
#include <signal.h>
#include <stdint.h>

/// Sets every signal disposition to default and the signal mask to `mask`
/// (NULL: nothing blocked).
void pod_reset_signals(const sigset_t *mask);

/// Drops from the bounding set every capability not in `mask` (bit n =
/// capability n), limits the inheritable set to it and clears the ambient set.
/// Returns 0, or -1 with errno set and `*failed` naming the call that failed.
int pod_limit_caps(uint64_t mask, const char **failed);

/// Ends this process by signal `sig` (as a child it waited for did), with no
/// core file; `_exit(128 + sig)` if the signal does not kill.
_Noreturn void pod_die_by_signal(int sig);

#endif

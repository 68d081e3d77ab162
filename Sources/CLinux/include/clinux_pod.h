#ifndef CLINUX_POD_H
#define CLINUX_POD_H
// Running pods: entering a running pod (`rkt enter`) and detaching mounts
// (`rkt gc`). Setting namespaces needs a single-threaded process, so this is
// done in C between fork and exec.
#include <stddef.h>

/// What `clinux_pod_enter` runs, and as whom.
struct clinux_enter_spec {
    int pid;              ///< host pid of the pod's init (PID 1 of the pod)
    const char *approot;  ///< app root inside the pod, e.g. "/opt/stage2/busybox/rootfs"
    const char *cwd;      ///< working directory inside the app root
    char *const *argv;    ///< NULL-terminated; argv[0] is searched in the PATH of envp
    char *const *envp;    ///< NULL-terminated, the complete environment
    unsigned uid, gid;
    size_t ngroups;  ///< supplementary groups
    const unsigned *groups;
    unsigned long long caps;  ///< capability bounding set, bit n = capability n
};

/// Steps reported in `*failed_step` when `clinux_pod_enter` returns -errno.
enum {
    CLINUX_ENTER_STEP_SPAWN = 0,        ///< pipe, fork or wait in the calling process
    CLINUX_ENTER_STEP_NAMESPACES = 1,   ///< opening /proc/PID/ns/... or /proc/PID/root, setns, fork
    CLINUX_ENTER_STEP_CHROOT = 2,       ///< chroot into the pod's root or the app root
    CLINUX_ENTER_STEP_CHDIR = 3,        ///< chdir to cwd
    CLINUX_ENTER_STEP_CREDENTIALS = 4,  ///< groups, gid, uid, capabilities, no_new_privs
    CLINUX_ENTER_STEP_EXEC = 5,         ///< execvp (ENOENT: not found in PATH)
};

/// Runs argv inside the pod as a process of the app, with the caller's stdin,
/// stdout and stderr, and waits for it. A first child joins the pod's ipc,
/// uts, net, pid and mount namespaces and its root, chroots into the app root
/// and changes to cwd; its child (in the pod's pid namespace) takes the
/// credentials and capabilities and execs. SIGINT and SIGQUIT are ignored in
/// the calling process while it waits, like system(3).
/// Returns the command's wait status (>= 0; a signal death is passed on as
/// such), or -errno when a step failed, with `*failed_step` set to the step
/// (CLINUX_ENTER_STEP_*).
int clinux_pod_enter(const struct clinux_enter_spec *spec, int *failed_step);

/// umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW). Returns 0 or the errno.
int clinux_umount_detach(const char *path);

#endif

#ifndef CLINUX_POD_H
#define CLINUX_POD_H
// Running pods: entering a running pod (`rkt enter`), mounting into and
// unmounting from it (`rkt bind`, `rkt unbind`) and detaching mounts (`rkt gc`).
// Joining a pod's namespaces needs a single-threaded process, so this is done in
// C, in forked children.
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
    const void *seccomp;      ///< the app's seccomp filter (`struct sock_filter` entries), or NULL
    size_t seccomp_size;      ///< its size in bytes
};

/// Steps reported in `*failed_step` when `clinux_pod_enter` returns -errno.
enum {
    CLINUX_ENTER_STEP_SPAWN = 0,        ///< pipe, fork or wait in the calling process
    CLINUX_ENTER_STEP_NAMESPACES = 1,   ///< opening /proc/PID/ns/... or /proc/PID/root, setns, fork
    CLINUX_ENTER_STEP_CHROOT = 2,       ///< chroot into the pod's root or the app root
    CLINUX_ENTER_STEP_CHDIR = 3,        ///< chdir to cwd
    CLINUX_ENTER_STEP_CREDENTIALS = 4,  ///< groups, gid, uid, capabilities, no_new_privs
    CLINUX_ENTER_STEP_EXEC = 5,         ///< execvp (ENOENT: not found in PATH)
    CLINUX_ENTER_STEP_SECCOMP = 6,      ///< installing the seccomp filter
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

/// What `clinux_pod_bind` mounts, and where.
struct clinux_bind_spec {
    int pid;                  ///< host pid of the pod's init
    const char *source;       ///< host path of a directory or file
    const char *destination;  ///< clean absolute path in the pod's root, e.g. "/opt/stage2/app/rootfs/tools"
    const char *approot;      ///< NULL, or the app root the destination is below: resolved inside it
    int read_only;            ///< the mount (and every mount below the source) read-only
    int make;                 ///< create a missing destination: a directory, or an empty file for a file source
};

/// Steps reported in `*failed_step` when `clinux_pod_bind` or `clinux_pod_unbind` return -errno.
enum {
    CLINUX_BIND_STEP_SPAWN = 0,        ///< pipe, fork or wait in the calling process
    CLINUX_BIND_STEP_SOURCE = 1,       ///< open_tree of the source, making it read-only
    CLINUX_BIND_STEP_NAMESPACES = 2,   ///< joining the pod's mount namespace and root
    CLINUX_BIND_STEP_DESTINATION = 3,  ///< resolving (or creating) the destination inside the pod
    CLINUX_BIND_STEP_MOUNT = 4,        ///< move_mount onto the destination, or umount2 of it
};

/// Bind-mounts the host's `source` (with the mounts below it) onto `destination`
/// in the running pod's mount namespace: a copy of the source's mount tree
/// (open_tree) is made on the host, then a child in the pod's mount namespace and
/// root attaches it (move_mount). Symlinks in the destination are resolved inside
/// the pod's root, or inside the app root for a destination below one, never
/// outside. Returns 0, or -errno with `*failed_step` (CLINUX_BIND_STEP_*).
int clinux_pod_bind(const struct clinux_bind_spec *spec, int *failed_step);

/// Detaches the mount on `destination` (resolved as in clinux_pod_bind, the last
/// component not followed) in the pod whose init is `pid`. EINVAL: not a mount
/// point. Returns 0, or -errno with `*failed_step` (CLINUX_BIND_STEP_*).
int clinux_pod_unbind(int pid, const char *destination, const char *approot, int *failed_step);

/// umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW). Returns 0 or the errno.
int clinux_umount_detach(const char *path);

#endif

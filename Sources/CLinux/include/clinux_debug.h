#ifndef CLINUX_DEBUG_H
#define CLINUX_DEBUG_H
// `rkt debug`: a session in a running pod's namespaces with a tools image's
// files, in a mount namespace of its own so nothing of it reaches the pod; or a
// throwaway session, in namespaces of its own, on an app's files as an exited
// pod left them or as an image has them.
#include <stddef.h>

/// Where the session's root comes from.
enum {
    /// The root is the tools image (an overlay: its tree below, the session's
    /// writes above); the app's root, live, at /target; the app's /proc, /dev and
    /// /sys at /proc, /dev and /sys.
    CLINUX_DEBUG_TOOLS_ROOT = 0,
    /// The root shows the app's root, live (each top-level entry bound in), with
    /// the tools image at `tools_dir`.
    CLINUX_DEBUG_APP_ROOT = 1,
};

/// What `clinux_debug_session` sets up and runs.
struct clinux_debug_spec {
    int pid;              ///< host pid of the pod's init; 0: a throwaway session
    const char *approot;  ///< the app's root in the pod, e.g. "/opt/stage2/app/rootfs"
    /// Throwaway sessions: the app's files as an overlay (`target_layers`, top
    /// first, NULL-terminated; the session's writes in `target_upper`); the
    /// session's root is assembled on `mount_point` (an empty host directory: only
    /// the session's mount namespace sees what is mounted there), with its own
    /// /dev, /proc and /sys, and the session gets `hostname` and a network
    /// namespace with only loopback.
    const char *const *target_layers;
    const char *target_upper, *target_work;
    const char *mount_point;
    const char *hostname;
    int mode;  ///< CLINUX_DEBUG_TOOLS_ROOT or CLINUX_DEBUG_APP_ROOT
    /// The tools overlay (host paths): the tools image's tree below, the session's
    /// writes in `tools_upper` (`tools_work`: an empty directory on its file system).
    const char *tools_tree, *tools_upper, *tools_work;
    const char *tools_dir;  ///< CLINUX_DEBUG_APP_ROOT: where the tools appear, e.g. "/.rkt-debug"
    const char *cwd;        ///< working directory in the session's root
    char *const *argv;      ///< NULL-terminated; argv[0] is searched in the PATH of envp
    char *const *envp;      ///< NULL-terminated, the complete environment
    unsigned uid, gid;
    size_t ngroups;
    const unsigned *groups;
    unsigned long long caps;  ///< capability bounding set, bit n = capability n
    /// -1, or a pty pair (from the app's devpts instance): the command gets the
    /// slave as its controlling terminal and stdio, the terminal on stdin and
    /// stdout is relayed to the master. Throwaway sessions: -1, and `make_pty`
    /// asks for one from the session's own devpts.
    int pty_master, pty_slave;
    int make_pty;
    /// -1, or a file the session's first process appends "pid=N\nmntns=N\n" to
    /// (the host pid of the session's reaper, its mount namespace's inode).
    int record_fd;
};

/// Steps reported in `*failed_step` when `clinux_debug_session` returns -errno.
enum {
    CLINUX_DEBUG_STEP_SPAWN = 0,        ///< pipe, fork or wait in the calling process
    CLINUX_DEBUG_STEP_TOOLS = 1,        ///< making the tools overlay
    CLINUX_DEBUG_STEP_NAMESPACES = 2,   ///< joining the pod's namespaces, making the session's mount namespace
    CLINUX_DEBUG_STEP_ROOT = 3,         ///< building the session's root and entering it
    CLINUX_DEBUG_STEP_TERMINAL = 4,     ///< the pty as controlling terminal
    CLINUX_DEBUG_STEP_CHDIR = 5,        ///< chdir to cwd
    CLINUX_DEBUG_STEP_CREDENTIALS = 6,  ///< groups, gid, uid, capabilities, no_new_privs
    CLINUX_DEBUG_STEP_EXEC = 7,         ///< execvp (ENOENT: not found in PATH, or no interpreter)
};

/// Opens a new pty of the devpts instance whose ptmx is `ptmx` (e.g. an app's
/// /dev/pts/ptmx through /proc/PID/root): the master unlocked, the slave opened
/// from it (TIOCGPTPEER), both close-on-exec and without becoming a controlling
/// terminal. Returns 0 or the errno.
int clinux_open_pty(const char *ptmx, int *master, int *slave);

/// Runs argv in a debug session of the pod whose init is `spec->pid` and waits for
/// it. Three processes: the first (host pid namespace) makes the tools overlay,
/// joins the pod's ipc, uts, net, pid and mount namespaces, makes a mount
/// namespace of its own from the pod's, builds the session's root there and
/// relays the terminal; the second (in the pod's pid namespace) reaps the session
/// and, when the command ends or the first process dies, kills every process left
/// in the session's mount namespace; the third takes the credentials and execs.
/// SIGINT and SIGQUIT are ignored in the calling process while it waits.
/// Returns the command's wait status (>= 0), or -errno with `*failed_step` set
/// (CLINUX_DEBUG_STEP_*).
int clinux_debug_session(const struct clinux_debug_spec *spec, int *failed_step);

#endif

// rkt-stage1: the pod's supervisor (main.c), its init (init.c), the plan
// reader (plan.c) and the console relay (console.c).
#ifndef STAGE1_H
#define STAGE1_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pod_common.h"

enum step_kind { STEP_MOUNT, STEP_MKNOD, STEP_SYMLINK, STEP_READONLY };

// One mount, mknod, symlink or readonly record, run in file order before
// pivot_root.
struct step {
    enum step_kind kind;
    const char *src;      // mount source (NULL = none); symlink target
    const char *target;   // mount point; mknod path; symlink path; readonly mount
    const char *fstype;   // NULL = none
    const char *data;     // NULL = none
    unsigned long flags;  // MS_* bits
    char mk;              // 'd', 'f' or '-'
    mode_t mode;          // mknod mode, type bits included
    unsigned major, minor;
};

enum stdin_mode { STDIN_NULL, STDIN_INHERIT, STDIN_CONSOLE };

struct app {
    const char *name;
    const char *approot;  // as seen after pivot_root
    const char *cwd;
    char **argv, **envp;  // NULL-terminated
    char **prestart;      // appc event handlers' argv; NULL = none
    char **poststop;
    uid_t uid;
    gid_t gid;
    size_t ngroups;
    gid_t *groups;
    uint64_t caps;  // bounding set mask
    enum stdin_mode stdin_mode;
    bool no_new_privs;
    bool has_oom;
    int oom;         // oom_score_adj, if has_oom
    char **cgroups;  // cgroup directories to join, or NULL (then the init's)
    size_t ncgroups;
    int *cgroup_fds;            // their cgroup.procs, opened by the init before pivot_root
    const void *seccomp;        // the filter program (owned by the plan), or NULL
    size_t seccomp_size;        // its size in bytes
    pid_t pid;                  // main process while it runs, else 0
    sigset_t sent;              // signals the init sent it to stop it
    pid_t poststop_pid;         // post-stop handler while it runs, else 0
    int64_t poststop_deadline;  // CLOCK_MONOTONIC ms: SIGKILL then
    bool poststop_killed;
};

struct plan {
    const char *root;      // the stage1 rootfs, absolute (the pod directory + stage1/rootfs)
    const char *hostname;  // NULL = leave as is
    const char *netns;     // the network namespace file to join; NULL = the host's
    bool ipc_host;         // keep the host's IPC namespace
    char **cgroups;        // the init's cgroup directories, or NULL
    size_t ncgroups;
    struct step *steps;
    size_t nsteps;
    struct app *apps;
    size_t napps;
    struct app *console;  // the app with `stdin console`, or NULL
    char **owned;         // strings the parser made (absolute paths, overlay options)
    size_t nowned;
};

extern bool debug;

// Reads and validates the plan, its pod paths taken relative to the working
// directory; on any error prints `stage1: bad plan: ...` and exits 254.
void plan_load(const char *path, struct plan *plan);

// Parses and validates the plan in `buf` (the plan keeps pointers into it), its
// pod paths taken relative to `base` (the pod directory, absolute and clean).
// Returns 0, or -1 with the reason in `error` and nothing allocated.
int plan_parse(char *buf, size_t size, const char *base, struct plan *plan, char *error, size_t error_size);

// Frees what plan_parse allocated (not the buffer).
void plan_free(struct plan *plan);

// The environment of an app without an `env` record.
extern char *plan_no_env[];

// Whether `path` is absolute, shorter than PATH_MAX, with no empty, `.` or `..`
// component and no trailing slash.
bool plan_path_is_clean(const char *path);

// Whether `path` is the plan's root or below it (by its text).
bool plan_path_in_root(const struct plan *plan, const char *path);

// PID 1 of the pod. `sock` is the socketpair end shared with the supervisor.
_Noreturn void pod_init(struct plan *plan, int sock);

// SCM_RIGHTS over a unix socket. recv_fd returns -1 on EOF or error.
int send_fd(int sock, int fd);
int recv_fd(int sock);

#endif

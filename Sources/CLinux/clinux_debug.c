#define _GNU_SOURCE
#include "clinux_debug.h"
#include "clinux_render.h"

#include "clinux_child.h"
#include "pod_common.h"
#include "pod_net.h"
#include "root_path.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

// The three processes of a session (see clinux_debug.h): the first builds it and
// relays the terminal, the second reaps it, the third becomes the command. The
// first is forked from a multithreaded process, but everything it uses is safe
// after fork in glibc; the others are forks of single-threaded processes.

struct debug_args {
    const struct clinux_debug_spec *spec;
    pid_t caller;
};

// The signals the first two processes act on, blocked from the start and taken
// by signalfd (first) or sigwaitinfo (second).
static void session_signals(sigset_t *set) {
    sigemptyset(set);
    int sigs[] = {SIGCHLD, SIGWINCH, SIGTERM, SIGINT, SIGHUP, SIGQUIT};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaddset(set, sigs[i]);
}

// Reports `step` with errno = -code when code < 0; returns code otherwise.
static int check(int code, int errfd, int step) {
    if (code < 0) {
        errno = -code;
        child_report(errfd, step);
    }
    return code;
}

// Creates the file system configured on the fsopen context `fs` (closed) and
// returns it as a detached mount; `step` is reported on failure.
static int create_mount(int fs, int step, int errfd) {
    if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        child_report(errfd, step);
    int mount = fsmount(fs, FSMOUNT_CLOEXEC, 0);
    if (mount < 0)
        child_report(errfd, step);
    close(fs);
    return mount;
}

// A detached overlay mount (nothing attached on the host): `lowers` (top first,
// NULL-terminated) below, `upper` above; `step` is reported on failure.
static int detached_overlay(const char *const *lowers, const char *upper, const char *work, int step, int errfd) {
    int mount = clinux_overlay_mount(lowers, upper, work);
    if (mount < 0) {
        errno = -mount;
        child_report(errfd, step);
    }
    return mount;
}

// A new file system `type` (tmpfs, devpts), detached, with the string options in
// `options` (NULL-terminated key, value pairs; a NULL value sets a flag).
static int detached_fs(const char *type, const char *const *options, int errfd) {
    int fs = fsopen(type, FSOPEN_CLOEXEC);
    if (fs < 0)
        child_report(errfd, CLINUX_DEBUG_STEP_ROOT);
    for (const char *const *o = options; o && *o; o += 2)
        if (fsconfig(fs, o[1] ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, o[0], o[1], 0) < 0)
            child_report(errfd, CLINUX_DEBUG_STEP_ROOT);
    return create_mount(fs, CLINUX_DEBUG_STEP_ROOT, errfd);
}

// An empty tmpfs, detached: the root of a session that shows the app's root.
static int empty_root(int errfd) {
    static const char *const options[] = {"mode", "0755", NULL};
    return detached_fs("tmpfs", options, errfd);
}

// Attaches `tree` (a detached mount) at `path` inside the session's root `root`,
// resolved there (symlinks never leave it); missing directories are made.
static void attach(int tree, int root, const char *path, int make, int errfd) {
    int target = check(root_path_open(root, path, make), errfd, CLINUX_DEBUG_STEP_ROOT);
    if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        child_report(errfd, CLINUX_DEBUG_STEP_ROOT);
    close(target);
    close(tree);
}

// A copy of the mount tree at `path` inside `dir`, the last component not followed.
static int clone_tree(int dir, const char *path, int errfd) {
    int tree =
        open_tree(dir, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
    if (tree < 0)
        child_report(errfd, CLINUX_DEBUG_STEP_ROOT);
    return tree;
}

// CLINUX_DEBUG_TOOLS_ROOT: the app's root (`app`, a copy of its mount tree) at
// /target; its /proc (the pod's pid namespace), /dev (its devpts: the session's
// pty) and /sys at the root's.
static void tools_root(int root, int app, int errfd) {
    attach(app, root, "target", ROOT_PATH_MKDIR, errfd);
    int target = check(root_path_open(root, "target", 0), errfd, CLINUX_DEBUG_STEP_ROOT);
    const char *shared[] = {"proc", "dev", "sys"};
    for (size_t i = 0; i < sizeof shared / sizeof shared[0]; i++) {
        int place = root_path_open(target, shared[i], 0);
        if (place == -ENOENT)
            continue;
        check(place, errfd, CLINUX_DEBUG_STEP_ROOT);
        attach(clone_tree(place, "", errfd), root, shared[i], ROOT_PATH_MKDIR, errfd);
        close(place);
    }
    close(target);
}

// One top-level entry of the app's root, for CLINUX_DEBUG_APP_ROOT: a copy of its
// mount tree (a directory or file) or a symlink's target.
struct top_entry {
    char name[256];
    int tree;  // -1 for a symlink
    bool directory;
    char *link;
};

// Every top-level entry of the app's root, read before the root is covered.
static struct top_entry *top_entries(int app, const char *tools_dir, size_t *count, int errfd) {
    int fd = openat(app, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *dir = fd < 0 ? NULL : fdopendir(fd);
    if (!dir)
        child_report(errfd, CLINUX_DEBUG_STEP_ROOT);
    struct top_entry *entries = NULL;
    size_t n = 0;
    struct dirent *entry;
    while ((errno = 0, entry = readdir(dir))) {
        const char *name = entry->d_name;
        if (!strcmp(name, ".") || !strcmp(name, "..") || !strcmp(name, tools_dir + 1))
            continue;
        struct stat st;
        struct top_entry *grown = realloc(entries, (n + 1) * sizeof *entries);
        if (!grown || fstatat(app, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            child_report(errfd, CLINUX_DEBUG_STEP_ROOT);
        entries = grown;
        struct top_entry *e = &entries[n++];
        snprintf(e->name, sizeof e->name, "%s", name);
        e->directory = S_ISDIR(st.st_mode);
        e->tree = -1;
        e->link = NULL;
        if (S_ISLNK(st.st_mode)) {
            e->link = calloc(1, 4096);
            if (!e->link || readlinkat(app, name, e->link, 4095) < 0)
                child_report(errfd, CLINUX_DEBUG_STEP_ROOT);
        } else
            e->tree = clone_tree(app, name, errfd);
    }
    if (errno)
        child_report(errfd, CLINUX_DEBUG_STEP_ROOT);
    closedir(dir);
    *count = n;
    return entries;
}

// CLINUX_DEBUG_APP_ROOT: the app's top-level entries in the empty root `root`:
// directories and files bound (live, with the mounts below them), symlinks
// copied; the tools at `tools_dir`.
static void app_root(int root, struct top_entry *entries, size_t count, int tools, const char *tools_dir, int errfd) {
    for (size_t i = 0; i < count; i++) {
        struct top_entry *e = &entries[i];
        if (e->link) {
            if (symlinkat(e->link, root, e->name) < 0)
                child_report(errfd, CLINUX_DEBUG_STEP_ROOT);
            free(e->link);
        } else
            attach(e->tree, root, e->name, e->directory ? ROOT_PATH_MKDIR : ROOT_PATH_MKFILE, errfd);
    }
    free(entries);
    attach(tools, root, tools_dir, ROOT_PATH_MKDIR, errfd);
}

// In the session's own mount namespace (a copy of the pod's, chrooted at the
// pod's root): the session's root is built over the app's root (covering it in
// this namespace only) from copies of the app's mounts taken first, and becomes
// / (pivot_root; the pod's root is detached).
static void build_root(const struct clinux_debug_spec *s, int tools, int errfd) {
    int pod = check(root_path_open_root("/"), errfd, CLINUX_DEBUG_STEP_ROOT);
    int app = check(root_path_open(pod, s->approot, 0), errfd, CLINUX_DEBUG_STEP_ROOT);
    int app_tree = -1;
    struct top_entry *entries = NULL;
    size_t count = 0;
    if (s->mode == CLINUX_DEBUG_TOOLS_ROOT)
        app_tree = clone_tree(app, "", errfd);
    else
        entries = top_entries(app, s->tools_dir, &count, errfd);
    int top = s->mode == CLINUX_DEBUG_TOOLS_ROOT ? tools : empty_root(errfd);
    if (move_mount(top, "", app, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        child_report(errfd, CLINUX_DEBUG_STEP_ROOT);
    int root = check(root_path_open(pod, s->approot, 0), errfd, CLINUX_DEBUG_STEP_ROOT);
    if (s->mode == CLINUX_DEBUG_TOOLS_ROOT)
        tools_root(root, app_tree, errfd);
    else
        app_root(root, entries, count, tools, s->tools_dir, errfd);
    if (fchdir(root) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
        child_report(errfd, CLINUX_DEBUG_STEP_ROOT);
    close(root);
    close(app);
    close(pod);
}

// Throwaway sessions: /dev as stage1 gives an app (a tmpfs with the usual nodes,
// its own devpts instance, /dev/shm) at `dev` inside `root`.
static void make_dev(int root, const char *dev, int errfd) {
    static const char *const dev_options[] = {"mode", "0755", NULL};
    static const char *const pts_options[] = {"newinstance", NULL, "ptmxmode", "0666", "mode", "0620", NULL};
    static const char *const shm_options[] = {"mode", "1777", NULL};
    attach(detached_fs("tmpfs", dev_options, errfd), root, dev, ROOT_PATH_MKDIR, errfd);
    int d = check(root_path_open(root, dev, 0), errfd, CLINUX_DEBUG_STEP_ROOT);
    int fd = openat(d, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        child_report(errfd, CLINUX_DEBUG_STEP_ROOT);
    static const struct {
        const char *name;
        unsigned major, minor;
    } nodes[] = {{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};
    mode_t mask = umask(0);
    for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++)
        if (mknodat(fd, nodes[i].name, S_IFCHR | 0666, makedev(nodes[i].major, nodes[i].minor)) < 0)
            child_report(errfd, CLINUX_DEBUG_STEP_ROOT);
    umask(mask);
    static const char *const links[][2] = {{"pts/ptmx", "ptmx"},
                                           {"/proc/self/fd", "fd"},
                                           {"/proc/self/fd/0", "stdin"},
                                           {"/proc/self/fd/1", "stdout"},
                                           {"/proc/self/fd/2", "stderr"}};
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
        if (symlinkat(links[i][0], fd, links[i][1]) < 0)
            child_report(errfd, CLINUX_DEBUG_STEP_ROOT);
    attach(detached_fs("devpts", pts_options, errfd), fd, "pts", ROOT_PATH_MKDIR, errfd);
    attach(detached_fs("tmpfs", shm_options, errfd), fd, "shm", ROOT_PATH_MKDIR, errfd);
    close(fd);
    close(d);
}

// Throwaway sessions, in the session's own namespaces (the first process made
// them; its children are in the new pid namespace): the app's files (an overlay
// whose writes are the session's) and the tools, assembled on the mount point,
// which becomes / (pivot_root; the host's root is detached in this namespace).
static void build_throwaway_root(const struct clinux_debug_spec *s, int tools, int errfd) {
    int target = detached_overlay(s->target_layers, s->target_upper, s->target_work, CLINUX_DEBUG_STEP_ROOT, errfd);
    if (unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET) < 0 ||
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        child_report(errfd, CLINUX_DEBUG_STEP_NAMESPACES);
    if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
        child_report(errfd, CLINUX_DEBUG_STEP_NAMESPACES);
    if (pod_loopback_up() < 0)
        child_report(errfd, CLINUX_DEBUG_STEP_NAMESPACES);
    int point = open(s->mount_point, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (point < 0)
        child_report(errfd, CLINUX_DEBUG_STEP_ROOT);
    int top = s->mode == CLINUX_DEBUG_TOOLS_ROOT ? tools : target;
    if (move_mount(top, "", point, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        child_report(errfd, CLINUX_DEBUG_STEP_ROOT);
    close(top);
    int root = open(s->mount_point, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (root < 0)
        child_report(errfd, CLINUX_DEBUG_STEP_ROOT);
    if (s->mode == CLINUX_DEBUG_TOOLS_ROOT)
        attach(target, root, "target", ROOT_PATH_MKDIR, errfd);
    else
        attach(tools, root, s->tools_dir, ROOT_PATH_MKDIR, errfd);
    make_dev(root, "dev", errfd);
    const char *places[] = {"proc", "sys"};  // mounted by the reaper, in the new pid namespace
    for (size_t i = 0; i < 2; i++)
        close(check(root_path_open(root, places[i], ROOT_PATH_MKDIR), errfd, CLINUX_DEBUG_STEP_ROOT));
    if (fchdir(root) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
        child_report(errfd, CLINUX_DEBUG_STEP_ROOT);
    close(root);
    close(point);
}

// The third process: the command, in the session's root, on the pty if any.
static _Noreturn void session_command(const struct clinux_debug_spec *s, int errfd) {
    setsid();
    if (s->pty_slave >= 0) {
        if (ioctl(s->pty_slave, TIOCSCTTY, 0) < 0)
            child_report(errfd, CLINUX_DEBUG_STEP_TERMINAL);
        for (int i = 0; i < 3; i++)
            if (dup2(s->pty_slave, i) < 0)
                child_report(errfd, CLINUX_DEBUG_STEP_TERMINAL);
    }
    if (chdir(s->cwd) < 0)
        child_report(errfd, CLINUX_DEBUG_STEP_CHDIR);
    if (child_take_credentials(s->caps, s->ngroups, (const gid_t *)s->groups, s->gid, s->uid) < 0)
        child_report(errfd, CLINUX_DEBUG_STEP_CREDENTIALS);
    child_exec(s->argv, s->envp, NULL, 0, errfd, CLINUX_DEBUG_STEP_EXEC, CLINUX_DEBUG_STEP_EXEC);
}

static unsigned long long namespace_inode(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (unsigned long long)st.st_ino : 0;
}

// SIGKILLs every process of the session but this one: those in its mount
// namespace, and its children (orphans come here: it is a subreaper), until
// none is left. /proc is the pod's (the reaper is in the pod's pid namespace).
static void kill_session(void) {
    unsigned long long mine = namespace_inode("/proc/self/ns/mnt");
    pid_t self = getpid();
    for (int round = 0; round < 100; round++) {
        int found = 0;
        DIR *proc = opendir("/proc");
        struct dirent *entry;
        while (proc && (entry = readdir(proc))) {
            char *end;
            long pid = strtol(entry->d_name, &end, 10);
            if (*end || pid <= 0 || pid == self)
                continue;
            char path[64];
            snprintf(path, sizeof path, "/proc/%ld/ns/mnt", pid);
            if (namespace_inode(path) == mine) {
                kill((pid_t)pid, SIGKILL);
                found++;
            }
        }
        if (proc)
            closedir(proc);
        char children[64];
        snprintf(children, sizeof children, "/proc/self/task/%d/children", self);
        FILE *f = fopen(children, "re");
        long child;
        while (f && fscanf(f, "%ld", &child) == 1) {
            kill((pid_t)child, SIGKILL);
            found++;
        }
        if (f)
            fclose(f);
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        if (!found)
            return;
        usleep(10000);
    }
}

// What `ps` shows for the reaper (a fork of rkt: it would show rkt's command line):
// its name, and its argument area overwritten (PR_SET_NAME, /proc/self/stat's
// arg_start and arg_end, fields 48 and 49).
static void name_reaper(void) {
    static const char name[] = "rkt-debug-session";
    prctl(PR_SET_NAME, name, 0, 0, 0);
    char text[1024];
    int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof text - 1);
    if (fd >= 0)
        close(fd);
    char *p = n > 0 ? (text[n] = 0, strrchr(text, ')')) : NULL;
    unsigned long start = 0, end = 0;
    for (int field = 2; p && *p && field < 49; p++)  // p at the space before field field+1
        if (*p == ' ' && ++field >= 48)
            (field == 48 ? &start : &end)[0] = strtoul(p + 1, NULL, 10);
    if (start && end > start + sizeof name) {
        memset((void *)start, 0, end - start);
        memcpy((void *)start, name, sizeof name);
    }
}

// The second process, in the pod's pid namespace: forks the command, reaps
// everything of the session, and ends it (every process of it killed) when the
// command ends, or on SIGTERM (the first process relays stop signals and dies
// with the caller: its death comes here as SIGTERM). Exits as the command did.
// `alive` is the read end of a pipe whose write end only the first process holds: its
// end of file says the first process is gone (getppid cannot: the parent lives outside
// this pid namespace, so it reads 0 before the parent's death and after it alike).
static _Noreturn void session_reaper(const struct clinux_debug_spec *s, int errfd, const sigset_t *signals, int alive) {
    prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
    struct pollfd gone = {alive, POLLIN, 0};
    if (poll(&gone, 1, 0) != 0)  // the first process died before the line above took effect
        _exit(254);
    close(alive);
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    if (s->pid == 0 && (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0 ||
                        mount("sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0))
        child_report(errfd, CLINUX_DEBUG_STEP_ROOT);  // the pid namespace's first process: its own /proc
    name_reaper();
    if (s->pty_master >= 0)
        close(s->pty_master);
    pid_t command = fork();
    if (command < 0)
        child_report(errfd, CLINUX_DEBUG_STEP_SPAWN);
    if (command == 0)
        session_command(s, errfd);
    if (s->pty_slave >= 0)
        close(s->pty_slave);
    close(errfd);
    int status = 0;
    for (bool done = false; !done;) {
        siginfo_t si;
        if (sigwaitinfo(signals, &si) < 0)
            continue;
        if (si.si_signo == SIGCHLD) {
            int st;
            pid_t pid;
            while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
                if (pid == command) {
                    status = st;
                    done = true;
                }
        } else if (si.si_signo != SIGWINCH) {
            status = si.si_signo;  // as if killed by it
            done = true;
        }
    }
    kill_session();
    if (WIFEXITED(status))
        _exit(WEXITSTATUS(status));
    pod_die_by_signal(WTERMSIG(status));
}

// Appends the reaper's host pid and the session's mount namespace to the record.
static void write_record(int fd, pid_t reaper, int proc) {
    struct stat st;
    if (fd < 0 || fstatat(proc, "thread-self/ns/mnt", &st, 0) < 0)
        return;
    char text[96];
    int n = snprintf(text, sizeof text, "pid=%d\nmntns=%llu\n", reaper, (unsigned long long)st.st_ino);
    ssize_t written = write(fd, text, (size_t)n);
    (void)written;
}

// The first process (the host's pid namespace).
static _Noreturn void session_builder(const void *arg, int errfd) {
    const struct debug_args *a = arg;
    const struct clinux_debug_spec *s = a->spec;
    // The signals first: the caller's handlers are inherited, and one of them taking
    // the SIGTERM of the caller's death (below) would lose it. Blocked, it waits for
    // the relay.
    sigset_t signals;
    session_signals(&signals);
    pod_reset_signals(&signals);  // the caller ignores SIGINT and SIGQUIT: not we
    prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
    if (getppid() != a->caller)
        _exit(254);
    int proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);  // the host's
    if (proc < 0)
        child_report(errfd, CLINUX_DEBUG_STEP_NAMESPACES);
    const char *tools_layers[] = {s->tools_tree, NULL};
    int tools = detached_overlay(tools_layers, s->tools_upper, s->tools_work, CLINUX_DEBUG_STEP_TOOLS, errfd);
    if (s->pid > 0) {
        child_join_pod(s->pid, true, errfd, CLINUX_DEBUG_STEP_NAMESPACES);
        // A mount namespace of the session's own: nothing mounted from here on
        // reaches the pod's (or the host's).
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
            child_report(errfd, CLINUX_DEBUG_STEP_NAMESPACES);
        build_root(s, tools, errfd);
    } else
        build_throwaway_root(s, tools, errfd);
    int master = s->pty_master, slave = s->pty_slave;
    if (s->make_pty && (master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC)) >= 0) {
        int unlock = 0;
        if (ioctl(master, TIOCSPTLCK, &unlock) < 0 ||
            (slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
            child_report(errfd, CLINUX_DEBUG_STEP_TERMINAL);
    } else if (s->make_pty)
        child_report(errfd, CLINUX_DEBUG_STEP_TERMINAL);
    struct clinux_debug_spec session = *s;
    session.pty_master = master;
    session.pty_slave = slave;
    s = &session;
    int alive[2];
    if (pipe2(alive, O_CLOEXEC) < 0)
        child_report(errfd, CLINUX_DEBUG_STEP_SPAWN);
    pid_t reaper = fork();
    if (reaper < 0)
        child_report(errfd, CLINUX_DEBUG_STEP_SPAWN);
    if (reaper == 0) {
        close(alive[1]);
        session_reaper(s, errfd, &signals, alive[0]);
    }
    close(alive[0]);  // alive[1] stays open while this process lives
    write_record(s->record_fd, reaper, proc);
    if (s->pty_slave >= 0)
        close(s->pty_slave);
    close(errfd);
    int sigfd = signalfd(-1, &signals, SFD_CLOEXEC);
    if (sigfd < 0) {
        kill(reaper, SIGTERM);
        _exit(254);
    }
    if (s->pty_master >= 0)
        pod_console_start(s->pty_master);
    int status = pod_console_relay(reaper, sigfd, s->pty_master);
    if (WIFEXITED(status))
        _exit(WEXITSTATUS(status));
    pod_die_by_signal(WTERMSIG(status));
}

int clinux_open_pty(const char *ptmx, int *master, int *slave) {
    int unlock = 0;
    *master = open(ptmx, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (*master < 0)
        return errno;
    if (ioctl(*master, TIOCSPTLCK, &unlock) < 0 ||
        (*slave = ioctl(*master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0) {
        int error = errno;
        close(*master);
        return error;
    }
    return 0;
}

// The session's first process while it runs: the caller's SIGTERM and SIGHUP end
// the session (as its own stop signals would), not just the caller.
static volatile sig_atomic_t session_pid;

static void forward_stop(int sig) {
    (void)sig;
    if (session_pid > 0)
        kill((pid_t)session_pid, SIGTERM);
}

int clinux_debug_session(const struct clinux_debug_spec *spec, int *failed_step) {
    struct debug_args args = {.spec = spec, .caller = getpid()};
    // Like system(3): the terminal's ^C and ^\ are for the session.
    struct sigaction ignore = {.sa_handler = SIG_IGN}, forward = {.sa_handler = forward_stop};
    struct sigaction old_int, old_quit, old_term, old_hup;
    sigaction(SIGINT, &ignore, &old_int);
    sigaction(SIGQUIT, &ignore, &old_quit);
    sigaction(SIGTERM, &forward, &old_term);
    sigaction(SIGHUP, &forward, &old_hup);
    // Whoever started us may have left them blocked (and exec keeps the mask).
    sigset_t stops, old_mask;
    sigemptyset(&stops);
    sigaddset(&stops, SIGTERM);
    sigaddset(&stops, SIGHUP);
    pthread_sigmask(SIG_UNBLOCK, &stops, &old_mask);
    int result = child_run(session_builder, &args, CLINUX_DEBUG_STEP_SPAWN, failed_step, &session_pid);
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
    return result;
}

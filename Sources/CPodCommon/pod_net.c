#define _GNU_SOURCE
#include "pod_net.h"

#include "pod_common.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define RECORD "net/teardown"
#define RECORD_LIMIT (1 << 20)
#define DEFAULT_TIMEOUT_MS 30000

int pod_loopback_up(void) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct ifreq ifr = {0};
    strcpy(ifr.ifr_name, "lo");
    int rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
    if (rc == 0) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
    }
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

// What the namespace's child reports when a step fails.
struct netns_failure {
    int step;
    int code;
};

static const char *const netns_steps[] = {"unshare network namespace", "bring up lo", "bind network namespace"};

int pod_netns_create(const char *path, const char **failed) {
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path || (size_t)(slash - path) >= sizeof dir) {
        *failed = "network namespace path";
        return EINVAL;
    }
    memcpy(dir, path, (size_t)(slash - path));
    dir[slash - path] = 0;
    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        *failed = "mkdir";
        return errno;
    }
    int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (fd < 0) {
        *failed = "create";
        return errno;
    }
    close(fd);
    int report[2];
    if (pipe2(report, O_CLOEXEC) < 0) {
        *failed = "pipe";
        return errno;
    }
    // A child makes the namespace, so that no thread of the caller changes its own.
    pid_t pid = fork();
    if (pid == 0) {
        struct netns_failure f = {0, 0};
        if (unshare(CLONE_NEWNET) < 0)
            f = (struct netns_failure){0, errno};
        else if (pod_loopback_up() < 0)
            f = (struct netns_failure){1, errno};
        else if (mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) < 0)
            f = (struct netns_failure){2, errno};
        if (f.code && write(report[1], &f, sizeof f) < 0)
            _exit(2);
        _exit(f.code ? 1 : 0);
    }
    close(report[1]);
    if (pid < 0) {
        close(report[0]);
        unlink(path);
        *failed = "fork";
        return errno;
    }
    struct netns_failure f = {0, 0};
    ssize_t n = read(report[0], &f, sizeof f);
    close(report[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (n == (ssize_t)sizeof f && f.code) {
        unlink(path);
        *failed = netns_steps[f.step];
        return f.code;
    }
    return 0;
}

int pod_netns_remove(const char *path) {
    if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
        return errno;
    if (unlink(path) < 0 && errno != ENOENT)
        return errno;
    return 0;
}

// Moves `*fd` above 2, so that dup2 onto 0..2 cannot clobber another of them.
static void lift(int *fd) {
    if (*fd >= 0 && *fd <= 2)
        *fd = fcntl(*fd, F_DUPFD, 3);
}

int pod_net_plugin(const char *plugin, char *const vars[], int in_fd, int out_fd, int err_fd, int timeout_ms,
                   int *status) {
    size_t n = 0, nvars = 0;
    for (char **e = environ; e && *e; e++)
        n++;
    while (vars[nvars])
        nvars++;
    char **env = calloc(n + nvars + 2, sizeof *env);
    if (!env)
        return ENOMEM;
    size_t k = 0;
    bool has_path = false;
    for (char **e = environ; e && *e; e++)
        if (strncmp(*e, "CNI_", 4)) {
            env[k++] = *e;
            has_path |= !strncmp(*e, "PATH=", 5);
        }
    // Plugins run iptables and the IPAM plugins by name.
    static char default_path[] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    if (!has_path)
        env[k++] = default_path;
    for (size_t i = 0; i < nvars; i++)
        env[k++] = vars[i];
    char *const argv[] = {(char *)plugin, NULL};
    int report[2];
    if (pipe2(report, O_CLOEXEC) < 0) {
        free(env);
        return errno;
    }
    pid_t pid = fork();
    if (pid == 0) {
        // Only async-signal-safe calls here: the caller may have threads.
        setpgid(0, 0);
        pod_reset_signals(NULL);
        int fds[3] = {in_fd, out_fd, err_fd};
        for (int i = 0; i < 3; i++)
            lift(&fds[i]);
        if (fds[0] < 0)
            fds[0] = open("/dev/null", O_RDONLY);
        if (fds[1] < 0)
            fds[1] = open("/dev/null", O_WRONLY);
        for (int i = 0; i < 3; i++)
            if (fds[i] >= 0)
                dup2(fds[i], i);
        syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
        execve(plugin, argv, env);
        int code = errno;
        if (write(report[1], &code, sizeof code) < 0)
            _exit(127);
        _exit(127);
    }
    int fork_error = errno;
    free(env);
    close(report[1]);
    if (pid < 0) {
        close(report[0]);
        return fork_error;
    }
    int code = 0;
    ssize_t got = read(report[0], &code, sizeof code);
    close(report[0]);
    if (got == (ssize_t)sizeof code) {
        while (waitpid(pid, status, 0) < 0 && errno == EINTR) {
        }
        return code;
    }
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    bool timed_out = false;
    if (pidfd >= 0) {
        struct pollfd pfd = {pidfd, POLLIN, 0};
        int rc;
        while ((rc = poll(&pfd, 1, timeout_ms)) < 0 && errno == EINTR) {
        }
        timed_out = rc == 0;
        close(pidfd);
    }
    if (timed_out) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
    }
    while (waitpid(pid, status, 0) < 0 && errno == EINTR) {
    }
    return timed_out ? ETIMEDOUT : 0;
}

// Reads `name` in `dirfd` whole (at most `limit` bytes, NUL added); NULL if absent.
static char *read_file_at(int dirfd, const char *name, size_t limit, size_t *size) {
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char *buf = malloc(limit + 1);
    size_t len = 0;
    ssize_t n;
    while (buf && len < limit && (n = read(fd, buf + len, limit - len)) > 0)
        len += (size_t)n;
    close(fd);
    if (buf)
        buf[len] = 0;
    *size = len;
    return buf;
}

// The record's tokens, checked: NULL if it is not one this code wrote.
struct record {
    char *buf;
    int timeout_ms;
    const char *container;
    const char *path;
    const char **nets;  // 4 tokens per plugin call
    size_t nnets;
};

static bool parse_record(char *buf, size_t size, struct record *r) {
    size_t ntok = 0;
    for (size_t i = 0; i < size; i++)
        ntok += buf[i] == 0;
    if (size == 0 || buf[size - 1] != 0)
        return false;
    const char **tok = calloc(ntok + 1, sizeof *tok);
    if (!tok)
        return false;
    size_t t = 0;
    for (size_t i = 0; i < size; i += strlen(buf + i) + 1)
        tok[t++] = buf + i;
    if (t < 8 || strcmp(tok[0], "cni-teardown") || strcmp(tok[1], "1") || strcmp(tok[2], "timeout") ||
        strcmp(tok[4], "container") || strcmp(tok[6], "path") || (t - 8) % 5) {
        free(tok);
        return false;
    }
    r->timeout_ms = atoi(tok[3]) > 0 ? atoi(tok[3]) : DEFAULT_TIMEOUT_MS;
    r->container = tok[5];
    r->path = tok[7];
    r->nnets = (t - 8) / 5;
    for (size_t i = 0; i < r->nnets; i++)
        if (strcmp(tok[8 + i * 5], "net") || tok[9 + i * 5][0] != '/') {
            free(tok);
            return false;
        }
    // Keep the 4 values of each call together, the keyword dropped.
    for (size_t i = 0; i < r->nnets; i++)
        memmove(&tok[i * 4], &tok[9 + i * 5], 4 * sizeof *tok);
    r->nets = tok;
    return true;
}

// What a failed plugin printed (its CNI error object), on one line.
static void print_output(int fd, int err_fd) {
    char buf[512];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return;
    buf[n] = 0;
    for (ssize_t i = 0; i < n; i++)
        if (buf[i] == '\n' || buf[i] == '\t')
            buf[i] = ' ';
    dprintf(err_fd, ": %s", buf);
}

static int delete_one(int pod_dirfd, const struct record *r, const char *const *net, const char *netns,
                      const char *prefix, int err_fd) {
    const char *plugin = net[0], *conf = net[1];
    char command[] = "CNI_COMMAND=DEL";
    char container[256], netns_var[PATH_MAX + 16], ifname[64], args[4096], path[8192];
    snprintf(container, sizeof container, "CNI_CONTAINERID=%s", r->container);
    snprintf(netns_var, sizeof netns_var, "CNI_NETNS=%s", netns);
    snprintf(ifname, sizeof ifname, "CNI_IFNAME=%s", net[2]);
    snprintf(args, sizeof args, "CNI_ARGS=%s", net[3]);
    snprintf(path, sizeof path, "CNI_PATH=%s", r->path);
    char *const vars[] = {command, container, netns_var, ifname, args, path, NULL};
    int in = openat(pod_dirfd, conf, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        dprintf(err_fd, "%sCNI DEL of %s: %s: %s\n", prefix, plugin, conf, strerror(errno));
        return 1;
    }
    int out = memfd_create("cni-del", MFD_CLOEXEC);
    int status = 0;
    int code = pod_net_plugin(plugin, vars, in, out, err_fd, r->timeout_ms, &status);
    close(in);
    int failed = 0;
    if (code) {
        dprintf(err_fd, "%sCNI DEL of %s for %s: %s\n", prefix, plugin, conf,
                code == ETIMEDOUT ? "timed out" : strerror(code));
        failed = 1;
    } else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
        dprintf(err_fd, "%sCNI DEL of %s for %s failed", prefix, plugin, conf);
        if (out >= 0)
            print_output(out, err_fd);
        dprintf(err_fd, "\n");
        failed = 1;
    }
    if (out >= 0)
        close(out);
    return failed;
}

int pod_net_teardown(int pod_dirfd, const char *given_netns, int flags, const char *prefix, int err_fd, int locked_fd) {
    int lock = openat(pod_dirfd, "net", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (lock >= 0)
        while (flock(lock, LOCK_EX) < 0 && errno == EINTR) {
        }
    if (locked_fd >= 0) {
        if (write(locked_fd, "", 1) < 0) {
            // the waiting side is gone: nothing to tell
        }
        close(locked_fd);
    }
    size_t size = 0, netns_size = 0;
    char *buf = read_file_at(pod_dirfd, RECORD, RECORD_LIMIT, &size);
    char *netns = read_file_at(pod_dirfd, "netns", PATH_MAX, &netns_size);
    int failures = 0;
    struct record r = {0};
    if (buf && !parse_record(buf, size, &r)) {
        dprintf(err_fd, "%s%s: not a tear-down record; left as it is\n", prefix, RECORD);
        failures++;
    }
    // A namespace whose file is gone (a reboot, say) is passed as none: the plugins
    // still release what they hold on the host.
    struct stat st;
    const char *ns_path = given_netns ? given_netns : netns && netns[0] == '/' && stat(netns, &st) == 0 ? netns : "";
    for (size_t i = r.nnets; i-- > 0;)
        failures += delete_one(pod_dirfd, &r, &r.nets[i * 4], ns_path, prefix, err_fd);
    bool force = flags & POD_NET_FORCE;
    if ((!failures || force) && !given_netns && netns && netns[0] == '/') {
        int code = pod_netns_remove(netns);
        if (code) {
            dprintf(err_fd, "%sremove network namespace %s: %s\n", prefix, netns, strerror(code));
            failures++;
        }
    }
    if (!failures || force) {
        unlinkat(pod_dirfd, RECORD, 0);
        unlinkat(pod_dirfd, "netns", 0);
    }
    free(r.nets);
    free(buf);
    free(netns);
    if (lock >= 0)
        close(lock);
    return failures;
}

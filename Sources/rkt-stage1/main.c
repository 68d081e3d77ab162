#define _GNU_SOURCE
// rkt-stage1, exec'd by `rkt run` as `stage1/rootfs/init [--debug] UUID` in
// the pod directory. This process is the pod's supervisor: it reads the plan,
// creates the pod's init (PID 1 of a new pid namespace, see init.c), relays
// the console if an app has one, and exits with the init's exit code. A pod
// with its own network runs in the namespace stage0 made (so that `nsenter -n
// -t PID` on this process sees it too), and this process tears the network
// down through the CNI plugins, from the host's namespace, when the pod ends.
#include "stage1.h"

#include "pod_net.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

bool debug;

// What rkt reads to know a --stage1-path is an rkt-stage1, and which plans it reads
// (PodRunner.checkStage1): keep the version in step with plan.c.
__attribute__((used)) static const char stage1_marker[] = "rkt-stage1: reads stage1/plan version 5";

// The host's network namespace, while this process is in the pod's (-1: it is not),
// and the file of the pod's.
static int host_netns = -1;
static const char *pod_netns;

// The pod is over: its networks go. The plugins take tens of milliseconds, so a
// child (in the host's pid and network namespaces, holding nothing of the pod
// but its tear-down lock) does it while this process reports the pod's end; rkt
// gc and rm wait for that lock before they look.
static int finish(int code) {
    const char *netns = pod_netns;
    if (host_netns < 0)
        return code;
    // The pod's pid namespace, whose init is gone, takes no new process.
    int pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
    if (pidns < 0 || setns(pidns, CLONE_NEWPID) < 0 || setns(host_netns, CLONE_NEWNET) < 0) {
        fprintf(stderr, "stage1: return to the host's namespaces: %s; the network is left for rkt gc\n",
                strerror(errno));
        return code;
    }
    close(pidns);
    close(host_netns);
    host_netns = -1;
    // The namespace's file goes now (the host's mount table is as it was when rkt run
    // returns); the child holds the namespace open for the plugins.
    int nsfd = open(netns, O_RDONLY);
    if (nsfd < 0) {
        pod_net_teardown(AT_FDCWD, NULL, 0, "stage1: ", 2, -1);
        return code;
    }
    int removed = pod_netns_remove(netns);
    if (removed)
        fprintf(stderr, "stage1: remove network namespace %s: %s\n", netns, strerror(removed));
    char path[64];  // the namespace as the plugins reach it, through this process's descriptor
    snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)getpid(), nsfd);
    int locked[2];
    pid_t pid = pipe2(locked, 0) == 0 ? fork() : -1;
    if (pid == 0) {
        setsid();  // not in the terminal's process group: Ctrl-C at the shell does not cut it short
        // Behind whatever runs next (the next pod's start, say): the plugins and their
        // iptables runs are some 60 ms of CPU that nobody waits for, unless rkt gc.
        if (setpriority(PRIO_PROCESS, 0, 19) < 0 && debug)
            fprintf(stderr, "stage1: setpriority: %s\n", strerror(errno));
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, 0);
            dup2(null, 1);
        }
        // Keeps only stdio, the namespace and the pipe (not the pod's lock).
        int low = nsfd < locked[1] ? nsfd : locked[1], high = nsfd < locked[1] ? locked[1] : nsfd;
        if (low > 3)
            syscall(SYS_close_range, 3, low - 1, 0);
        if (high > low + 1)
            syscall(SYS_close_range, low + 1, high - 1, 0);
        syscall(SYS_close_range, high + 1, ~0U, 0);
        snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)getpid(), nsfd);
        _exit(pod_net_teardown(AT_FDCWD, removed ? NULL : path, 0, "stage1: ", 2, locked[1]) ? 1 : 0);
    }
    if (pid < 0) {
        pod_net_teardown(AT_FDCWD, removed ? NULL : path, 0, "stage1: ", 2, -1);
        close(nsfd);
        return code;
    }
    close(nsfd);
    close(locked[1]);
    char byte;
    while (read(locked[0], &byte, 1) < 0 && errno == EINTR) {
    }
    close(locked[0]);
    return code;
}

static _Noreturn void die(const char *what) {
    fprintf(stderr, "stage1: %s: %s\n", what, strerror(errno));
    exit(finish(254));
}

// Joins the pod's network namespace, keeping a way back for the tear-down.
static void join_network(const char *netns) {
    int fd = open(netns, O_RDONLY | O_CLOEXEC);
    host_netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || host_netns < 0 || setns(fd, CLONE_NEWNET) < 0) {
        fprintf(stderr, "stage1: join network namespace %s: %s\n", netns, strerror(errno));
        if (host_netns >= 0)
            close(host_netns);
        host_netns = -1;
        pod_net_teardown(AT_FDCWD, NULL, 0, "stage1: ", 2, -1);
        exit(254);
    }
    close(fd);
    pod_netns = netns;
}

// `--check-plan FILE`: parses the plan as a pod would and prints it one token
// per line (NUL shown as such), without running anything; for tests of what
// rkt writes. Exit 0, or 254 with the reason.
static int check_plan(const char *path) {
    struct plan plan;
    plan_load(path, &plan);
    printf("root %s\nsteps %zu\n", plan.root, plan.nsteps);
    for (size_t i = 0; i < plan.nsteps; i++) {
        const struct step *s = &plan.steps[i];
        static const char *kinds[] = {"mount", "mknod", "symlink", "readonly"};
        printf("%s %s %s\n", kinds[s->kind], s->target, s->src ? s->src : "-");
    }
    for (size_t i = 0; i < plan.napps; i++) {
        const struct app *a = &plan.apps[i];
        printf("app %s uid %u gid %u caps %llx nonewprivs %d cwd %s\n", a->name, (unsigned)a->uid, (unsigned)a->gid,
               (unsigned long long)a->caps, a->no_new_privs, a->cwd);
        for (char **arg = a->argv; *arg; arg++)
            printf("  exec %s\n", *arg);
        for (char **env = a->envp; *env; env++)
            printf("  env %s\n", *env);
    }
    plan_free(&plan);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "--check-plan"))
        return check_plan(argv[2]);
    const char *uuid = NULL;
    bool usage_error = false;
    for (int i = 1; i < argc && !usage_error; i++) {
        if (!strcmp(argv[i], "--debug"))
            debug = true;
        else if (argv[i][0] != '-' && !uuid)
            uuid = argv[i];
        else
            usage_error = true;
    }
    if (usage_error)
        uuid = NULL;
    if (!uuid) {
        fputs("usage: stage1/rootfs/init [--debug] UUID\n", stderr);
        return 254;
    }

    // Not dumpable, and so neither the pod's init nor an app before its exec: a pod
    // process cannot open /proc/1/exe or /proc/1/root (this binary is hard-linked into
    // the pod, and is the host's) unless it has CAP_SYS_PTRACE. exec makes the app
    // dumpable again. (runc's CVE-2019-5736 went through /proc/PID/exe.)
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

    // rkt (Swift, Dispatch) leaves signals blocked and may have ignored some.
    // The ones handled here stay blocked from the start (read from a signalfd,
    // none lost); the init inherits them blocked too.
    sigset_t set;
    sigemptyset(&set);
    int sigs[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGWINCH};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaddset(&set, sigs[i]);
    pod_reset_signals(&set);

    struct plan plan;
    plan_load("stage1/plan", &plan);
    // The plan's root must be this pod's (stage1 runs in the pod directory).
    struct stat root, ours;
    if (stat(plan.root, &root) < 0 || stat("stage1/rootfs", &ours) < 0 || root.st_dev != ours.st_dev ||
        root.st_ino != ours.st_ino) {
        fprintf(stderr, "stage1: bad plan: root \"%s\" is not this pod's stage1/rootfs\n", plan.root);
        return 254;
    }
    if (debug)
        fprintf(stderr, "stage1: pod %s: %zu apps, root %s\n", uuid, plan.napps, plan.root);
    if (plan.netns)
        join_network(plan.netns);

    int sigfd = signalfd(-1, &set, SFD_CLOEXEC);
    if (sigfd < 0)
        die("signalfd");
    signal(SIGPIPE, SIG_IGN);

    // The socket carries the console's pty master; its closing also tells the
    // init that the supervisor is gone.
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        die("socketpair");
    if (unshare(CLONE_NEWPID) < 0)
        die("unshare pid namespace");
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        close(sv[0]);
        close(sigfd);
        pod_init(&plan, sv[1]);
    }
    close(sv[1]);

    int master = plan.console ? recv_fd(sv[0]) : -1;  // -1: the init failed before sending it
    if (master >= 0) {
        pod_console_start(master);
        // The init starts the apps once the pty has its size.
        if (write(sv[0], "", 1) != 1 && debug)
            fprintf(stderr, "stage1: the init is gone\n");
    }
    int status = pod_console_relay(pid, sigfd, master);
    if (WIFSIGNALED(status))
        return finish(128 + WTERMSIG(status));
    return finish(WEXITSTATUS(status));
}

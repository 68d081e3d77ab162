#define _GNU_SOURCE
#include "pod_common.h"

#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

void pod_reset_signals(const sigset_t *mask) {
    struct sigaction sa = {.sa_handler = SIG_DFL};
    for (int sig = 1; sig < NSIG; sig++)
        sigaction(sig, &sa, NULL);  // fails harmlessly for SIGKILL, SIGSTOP and libc's own
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, mask ? mask : &none, NULL);
}

int pod_limit_caps(uint64_t mask, const char **failed) {
    // PR_CAPBSET_READ fails with EINVAL past the kernel's last capability.
    for (int cap = 0; cap < 64 && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++)
        if (!(mask >> cap & 1) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
            *failed = "drop capability";
            return -1;
        }
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &header, data) < 0) {
        *failed = "capget";
        return -1;
    }
    data[0].inheritable &= (uint32_t)mask;
    data[1].inheritable &= (uint32_t)(mask >> 32);
    if (syscall(SYS_capset, &header, data) < 0) {
        *failed = "capset";
        return -1;
    }
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    return 0;
}

int pod_seccomp_install(const void *program, size_t size) {
    struct sock_fprog prog = {.len = (unsigned short)(size / sizeof(struct sock_filter)),
                              .filter = (struct sock_filter *)program};
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

_Noreturn void pod_die_by_signal(int sig) {
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    sigaction(sig, &dfl, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    _exit(128 + sig);
}

size_t pod_overlay_escape(char *out, const char *path) {
    size_t n = 0;
    for (const char *c = path; *c; c++) {
        if (*c == '\\' || *c == ',' || *c == ':') {
            if (out)
                out[n] = '\\';
            n++;
        }
        if (out)
            out[n] = *c;
        n++;
    }
    return n;
}

#define _GNU_SOURCE
// The console relay between the user's terminal and a pty master: stage1's
// supervisor relays the interactive app's console, `rkt debug` its session's.
#include "pod_common.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

// The user's terminal, restored on every exit path (atexit).
static struct termios saved_tty;
static bool tty_raw;

static void restore_tty(void) {
    if (tty_raw)
        tcsetattr(0, TCSANOW, &saved_tty);
    tty_raw = false;
}

static void copy_winsize(int master) {
    struct winsize ws;
    if (ioctl(0, TIOCGWINSZ, &ws) == 0)
        ioctl(master, TIOCSWINSZ, &ws);
}

// Bytes read from one fd, not yet written to the other.
struct buf {
    char data[4096];
    size_t len, off;
};

static bool fill(struct buf *b, int fd, bool *eof) {
    ssize_t n = read(fd, b->data, sizeof b->data);
    if (n > 0) {
        b->len = (size_t)n;
        b->off = 0;
        return true;
    }
    if (n == 0 || (errno != EINTR && errno != EAGAIN))
        *eof = true;  // EIO on the master: no slave is open any more
    return false;
}

// Returns false when `fd` can take no more (the bytes are dropped).
static bool drain(struct buf *b, int fd) {
    ssize_t n = write(fd, b->data + b->off, b->len - b->off);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return true;
    if (n <= 0) {
        b->len = b->off = 0;
        return false;
    }
    b->off += (size_t)n;
    if (b->off == b->len)
        b->len = b->off = 0;
    return true;
}

void pod_console_start(int master) {
    fcntl(master, F_SETFL, O_NONBLOCK);
    if (isatty(0) && tcgetattr(0, &saved_tty) == 0) {
        struct termios raw = saved_tty;
        cfmakeraw(&raw);
        atexit(restore_tty);
        if (tcsetattr(0, TCSANOW, &raw) == 0)
            tty_raw = true;
    }
    copy_winsize(master);
}

int pod_console_relay(pid_t pid, int sigfd, int master) {
    bool in_open = master >= 0, out_open = master >= 0, stdout_ok = true, in_tty = isatty(0);
    struct buf to_master = {.len = 0}, to_stdout = {.len = 0};
    int status = 0;
    for (bool done = false; !done;) {
        struct pollfd p[4] = {{sigfd, POLLIN, 0}};
        int n = 1, in = -1, m = -1, out = -1;
        if (in_open && to_master.len == 0)
            p[in = n++] = (struct pollfd){0, POLLIN, 0};
        if (master >= 0) {
            short ev = (out_open && to_stdout.len == 0 ? POLLIN : 0) | (to_master.len ? POLLOUT : 0);
            if (ev)
                p[m = n++] = (struct pollfd){master, ev, 0};
        }
        if (to_stdout.len)
            p[out = n++] = (struct pollfd){1, POLLOUT, 0};
        if (poll(p, (nfds_t)n, -1) < 0)
            continue;

        if (p[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(sigfd, &si, sizeof si) == sizeof si) {
                if (si.ssi_signo == SIGCHLD)
                    done = waitpid(pid, &status, WNOHANG) == pid;
                else if (si.ssi_signo == SIGWINCH) {
                    if (master >= 0)
                        copy_winsize(master);
                } else
                    kill(pid, SIGTERM);  // SIGTERM, SIGINT, SIGHUP, SIGQUIT: stop it
            }
        }
        if (in >= 0 && p[in].revents) {
            bool eof = false;
            fill(&to_master, 0, &eof);
            if (eof) {
                in_open = false;
                // A script piped in: let the app see end of input (^D at line start).
                if (!in_tty && to_master.len == 0) {
                    to_master.data[0] = 4;
                    to_master.len = 1;
                }
            }
        }
        if (m >= 0 && (p[m].revents & POLLOUT) && !drain(&to_master, master))
            in_open = false;
        // POLLHUP or POLLERR can come with output still pending: read only into an empty buffer.
        if (m >= 0 && (p[m].revents & ~POLLOUT) && out_open && to_stdout.len == 0) {
            bool eof = false;
            fill(&to_stdout, master, &eof);
            if (eof) {
                // The app side is closed: nothing more to relay either way.
                out_open = in_open = false;
                to_master.len = to_master.off = 0;
            }
        }
        if (out >= 0 && p[out].revents && stdout_ok && !drain(&to_stdout, 1))
            stdout_ok = false;
        if (!stdout_ok)
            to_stdout.len = to_stdout.off = 0;
    }

    // The process is gone (for stage1, the init and with it every process of the
    // pod): flush what the console still holds.
    if (master >= 0) {
        bool eof = !out_open;
        while (stdout_ok) {
            if (!to_stdout.len && (eof || !fill(&to_stdout, master, &eof)))
                break;
            if (!drain(&to_stdout, 1))
                stdout_ok = false;
            else if (to_stdout.len) {
                struct pollfd o = {1, POLLOUT, 0};
                poll(&o, 1, 1000);
            }
        }
        close(master);
    }
    restore_tty();
    return status;
}

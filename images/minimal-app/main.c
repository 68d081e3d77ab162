/*
 * minimal-app: the app image to debug (the guide's image-to-patch.aci).
 *
 * Prints "minimal-app: tick N" every two seconds (flushed, so it shows up in logs and
 * under strace at once), exits 0 with a message on SIGTERM or SIGINT, and with
 * --exit-after=N after about N seconds. Built statically: the image holds this binary
 * and nothing else, no shell, no libc.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TICK_SECONDS 2

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig) { stop_signal = sig; }

static void usage(FILE *to) {
    fputs("usage: minimal-app [--exit-after=SECONDS]\n"
          "Prints a tick every " "2" " seconds; exits 0 on SIGTERM, SIGINT or after SECONDS.\n",
          to);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    long exit_after = -1;
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--exit-after=", 13) == 0) {
            char *end;
            errno = 0;
            exit_after = strtol(argv[i] + 13, &end, 10);
            if (errno || end == argv[i] + 13 || *end || exit_after < 0) {
                fprintf(stderr, "minimal-app: bad --exit-after value: %s\n", argv[i] + 13);
                return 2;
            }
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "minimal-app: unknown argument: %s\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }

    /* No SA_RESTART: a signal cuts the sleep short. A handler is needed anyway: as
     * PID 1 of a container, signals without one are ignored. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("minimal-app: started, pid %ld\n", (long)getpid());
    fflush(stdout);

    double start = now();
    for (unsigned long tick = 1;; tick++) {
        printf("minimal-app: tick %lu\n", tick);
        fflush(stdout);
        double deadline = now() + TICK_SECONDS;
        for (;;) {
            if (stop_signal) {
                printf("minimal-app: got %s, exiting\n", stop_signal == SIGTERM ? "SIGTERM" : "SIGINT");
                fflush(stdout);
                return 0;
            }
            double t = now();
            if (exit_after >= 0 && t - start >= (double)exit_after) {
                printf("minimal-app: %ld seconds passed (--exit-after), exiting\n", exit_after);
                fflush(stdout);
                return 0;
            }
            if (t >= deadline) break;
            double wait = deadline - t;
            if (exit_after >= 0 && start + (double)exit_after - t < wait) wait = start + (double)exit_after - t;
            struct timespec ts = {(time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9)};
            nanosleep(&ts, NULL); /* EINTR on a signal: the loop checks stop_signal */
        }
    }
}

#define _GNU_SOURCE
#include "clinux_render.h"
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int clinux_syncfs(int fd) {
    return syncfs(fd);
}

int clinux_clone_file(int src, int dst) {
    return ioctl(dst, FICLONE, src);
}

unsigned long long clinux_makedev(unsigned int major_number, unsigned int minor_number) {
    return (unsigned long long)makedev(major_number, minor_number);
}

unsigned int clinux_major(unsigned long long dev) {
    return major((dev_t)dev);
}

unsigned int clinux_minor(unsigned long long dev) {
    return minor((dev_t)dev);
}

int clinux_o_path(void) {
    return O_PATH;
}

#define _GNU_SOURCE
#include "clinux_render.h"
#include "pod_common.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
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

// Each lower layer is its own "lowerdir+" (Linux 6.8), which takes any path; older
// kernels get one "lowerdir" option (fsconfig takes strings of at most 256 bytes).
static int set_lowers(int fs, const char *const *lowers) {
    if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", lowers[0], 0) == 0) {
        for (size_t i = 1; lowers[i]; i++)
            if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", lowers[i], 0) < 0)
                return -errno;
        return 0;
    }
    size_t n = 1;
    for (size_t i = 0; lowers[i]; i++)
        n += pod_overlay_escape(NULL, lowers[i]) + 1;
    char *option = malloc(n), *p = option;
    if (!option)
        return -ENOMEM;
    for (size_t i = 0; lowers[i]; i++) {
        if (i)
            *p++ = ':';
        p += pod_overlay_escape(p, lowers[i]);
    }
    *p = 0;
    int result = fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir", option, 0) < 0 ? -errno : 0;
    free(option);
    return result;
}

int clinux_overlay_mount(const char *const *lowers, const char *upper, const char *work) {
    int fs = fsopen("overlay", FSOPEN_CLOEXEC);
    if (fs < 0)
        return -errno;
    int result = set_lowers(fs, lowers);
    // upperdir and workdir are unescaped by overlayfs.
    const char *dirs[][2] = {{"upperdir", upper}, {"workdir", work}};
    for (size_t i = 0; i < 2 && result == 0; i++) {
        char escaped[2 * 4096 + 1];
        if (strlen(dirs[i][1]) >= 4096) {
            result = -ENAMETOOLONG;
            break;
        }
        escaped[pod_overlay_escape(escaped, dirs[i][1])] = 0;
        if (fsconfig(fs, FSCONFIG_SET_STRING, dirs[i][0], escaped, 0) < 0)
            result = -errno;
    }
    if (result == 0 && fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        result = -errno;
    if (result == 0 && (result = fsmount(fs, FSMOUNT_CLOEXEC, 0)) < 0)
        result = -errno;
    close(fs);
    return result;
}

#ifndef CLINUX_RENDER_H
#define CLINUX_RENDER_H
// Linux calls and macros used by ImageRender that Swift cannot reach directly
// (GNU-only declarations, ioctl request macros, function-like macros).
#include <sys/types.h>

/// syncfs(fd): flushes the file system holding `fd`. Returns 0 or -1 with errno.
int clinux_syncfs(int fd);

/// ioctl(dst, FICLONE, src): shares `src`'s blocks with `dst` (reflink) where the
/// file system supports it. Returns 0 or -1 with errno (EOPNOTSUPP, EXDEV, EINVAL...).
int clinux_clone_file(int src, int dst);

/// makedev(major, minor).
unsigned long long clinux_makedev(unsigned int major_number, unsigned int minor_number);

/// major(dev) and minor(dev).
unsigned int clinux_major(unsigned long long dev);
unsigned int clinux_minor(unsigned long long dev);

/// A detached overlay mount, attached nowhere (it goes with its last descriptor):
/// `lowers` (top first, NULL-terminated) below `upper`, with `work`. Returns a mount
/// descriptor (its files are reached through /proc/self/fd/N) or -errno.
int clinux_overlay_mount(const char *const *lowers, const char *upper, const char *work);

/// The O_PATH open flag (a handle for *at calls that needs no read permission).
int clinux_o_path(void);

#endif

#ifndef ROOT_PATH_H
#define ROOT_PATH_H
#include <stddef.h>
// Paths resolved inside a root directory, the way a chroot would see them, without
// ever letting the kernel follow a symlink: every component is opened with
// O_NOFOLLOW relative to the directory before it, symlinks are read and resolved
// here (absolute ones from the root, `..` never above the root), and the result is
// a file descriptor, not a path, so nothing can be swapped in between the check
// and the use. Magic links (/proc/self/root, /proc/PID/fd/N) are refused, and the
// walk refuses every symlink on procfs. Where the path exists, one openat2 call with
// RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS does the same in the kernel. The model is
// runc's filepath-securejoin and libpathrs.
//
// Shared by stage1 (C, every mount, device and link it makes inside a pod) and
// stage0 (Swift, through LinuxSystem's RootDirectory). Plain C, no allocation
// beyond the stack of directory fds, usable in a static binary.

/// Flags for root_path_open.
enum {
    /// Missing components are created as directories (mode 0755), the last one too.
    ROOT_PATH_MKDIR = 1,
    /// Missing parents are created as directories, a missing last component as an
    /// empty regular file (mode 0644).
    ROOT_PATH_MKFILE = 2,
    /// A symlink as the last component is the result itself, not followed.
    ROOT_PATH_NOFOLLOW = 4,
};

/// The most symlinks one resolution follows (then ELOOP), as Linux's MAXSYMLINKS.
#define ROOT_PATH_MAX_LINKS 40

/// Resolves `path` (absolute or relative: both start at the root) inside the
/// directory `rootfd`. Returns an O_PATH, close-on-exec descriptor of what it names,
/// or -errno: ENOENT (missing, nothing created), ENOTDIR, ELOOP (too many links, or
/// a link on procfs), ENAMETOOLONG, or the error of a creation.
int root_path_open(int rootfd, const char *path, int flags);

/// Resolves `path` inside `rootfd` as root_path_open does and writes the result
/// to `out` as an absolute path inside the root ("/usr/lib"). Components from the
/// first missing one on are kept as text (`..` among them applied to it). Returns
/// 0 or -errno (ENAMETOOLONG when `size` is too small).
int root_path_resolve(int rootfd, const char *path, char *out, size_t size);

/// open(path, O_PATH | O_DIRECTORY | O_CLOEXEC): a root for the calls above.
/// Returns the descriptor or -errno.
int root_path_open_root(const char *path);

/// Room for a file name and its NUL (NAME_MAX + 1).
#define ROOT_PATH_NAME_SIZE 256

/// Resolves every component of `path` but the last inside `rootfd`, as
/// root_path_open (ROOT_PATH_MKDIR creates the missing ones), and returns an O_PATH
/// descriptor of that directory, with the last component copied to `name`. The last
/// component must be a plain name (not missing, `.` or `..`: EINVAL).
int root_path_open_parent(int rootfd, const char *path, int flags, char name[ROOT_PATH_NAME_SIZE]);

#endif

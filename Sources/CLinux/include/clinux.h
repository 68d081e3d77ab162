#ifndef CLINUX_H
#define CLINUX_H
// The project's one shim for Linux system calls that Swift cannot reach
// directly (GNU-only declarations, flags behind _GNU_SOURCE).
#include <sys/types.h>

/// open(dir, O_TMPFILE | access | O_CLOEXEC, mode): an unnamed file in `dir`;
/// `access` is O_WRONLY or O_RDWR.
int clinux_open_unnamed(const char *dir, int access, mode_t mode);

/// renameat2(RENAME_NOREPLACE): rename that fails with EEXIST instead of replacing.
int clinux_rename_noreplace(const char *from, const char *to);

/// sync_file_range(SYNC_FILE_RANGE_WRITE): starts write-back of a range, without waiting.
int clinux_start_write_back(int fd, long long offset, long long length);

/// mkostemp(template, O_CLOEXEC).
int clinux_mkostemp_cloexec(char *template_path);

/// True when open(2) failed because the file system has no O_TMPFILE.
int clinux_tmpfile_unsupported(int error_number);

/// Copies everything from `in` at `offset` to the end of input onto `out`'s current
/// position: copy_file_range where the kernel can, read/write otherwise.
/// Returns 0, or the errno of the failure.
int clinux_copy_rest(int in, long long offset, int out);

/// Copies the first `size` bytes of `in` to `out` (empty, same size expected) at the same
/// offsets, data extents only (SEEK_DATA/SEEK_HOLE): holes stay holes. Returns 0 or the
/// errno of the failure.
int clinux_copy_sparse(int in, int out, long long size);

/// The symbolic name of errno value `code` ("EPERM"), or NULL if it has none.
const char *clinux_errno_name(int code);

#endif

#define _GNU_SOURCE
#include "clinux.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int clinux_open_unnamed(const char *dir, int access, mode_t mode) {
    return open(dir, O_TMPFILE | access | O_CLOEXEC, mode);
}

int clinux_rename_noreplace(const char *from, const char *to) {
    return renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
}

int clinux_start_write_back(int fd, long long offset, long long length) {
    return sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE);
}

int clinux_mkostemp_cloexec(char *template_path) {
    return mkostemp(template_path, O_CLOEXEC);
}

const char *clinux_errno_name(int code) {
    return strerrorname_np(code);
}

int clinux_tmpfile_unsupported(int error_number) {
    return error_number == EOPNOTSUPP || error_number == EISDIR || error_number == EINVAL;
}

static int copy_by_hand(int in, off_t offset, int out) {
    char buffer[1 << 16];
    for (;;) {
        ssize_t n = pread(in, buffer, sizeof buffer, offset);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (n == 0)
            return 0;
        offset += n;
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(out, buffer + done, (size_t)(n - done));
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                return errno;
            }
            done += w;
        }
    }
}

int clinux_copy_rest(int in, long long offset, int out) {
    off_t position = (off_t)offset;
    for (;;) {
        ssize_t n = copy_file_range(in, &position, out, NULL, 1 << 30, 0);
        if (n > 0)
            continue;
        if (n == 0)
            return 0;
        if (errno == EINTR)
            continue;
        if (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)
            return copy_by_hand(in, position, out);
        return errno;
    }
}

// Copies [offset, offset + length) of `in` to the same offset of `out`.
static int copy_range(int in, int out, off_t offset, off_t length) {
    off_t from = offset, to = offset;
    while (length > 0) {
        ssize_t n = copy_file_range(in, &from, out, &to, (size_t)length, 0);
        if (n > 0) {
            length -= n;
            continue;
        }
        if (n == 0)
            return EIO;  // the file shrank under us
        if (errno == EINTR)
            continue;
        if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
            return errno;
        char buffer[1 << 16];
        while (length > 0) {
            ssize_t r = pread(in, buffer, length < (off_t)sizeof buffer ? (size_t)length : sizeof buffer, from);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                return r < 0 ? errno : EIO;
            for (ssize_t done = 0; done < r;) {
                ssize_t w = pwrite(out, buffer + done, (size_t)(r - done), to + done);
                if (w < 0) {
                    if (errno == EINTR)
                        continue;
                    return errno;
                }
                done += w;
            }
            from += r;
            to += r;
            length -= r;
        }
    }
    return 0;
}

int clinux_copy_sparse(int in, int out, long long size) {
    off_t data = 0;
    while (data < size) {
        data = lseek(in, data, SEEK_DATA);
        if (data < 0) {
            if (errno == ENXIO)
                break;  // only a hole is left
            if (errno != EINVAL)
                return errno;
            data = 0;  // no SEEK_DATA here: all of it is data
            int err = copy_range(in, out, 0, size);
            if (err)
                return err;
            break;
        }
        off_t hole = lseek(in, data, SEEK_HOLE);
        if (hole < 0)
            return errno;
        if (hole > size)
            hole = size;
        int err = copy_range(in, out, data, hole - data);
        if (err)
            return err;
        data = hole;
    }
    return ftruncate(out, size) < 0 ? errno : 0;
}

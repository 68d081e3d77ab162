#define _GNU_SOURCE
#include "clinux.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

int clinux_open_tmpfile(const char *dir, mode_t mode) {
    return open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
}

int clinux_rename_noreplace(const char *from, const char *to) {
    return renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
}

int clinux_mkostemp_cloexec(char *template_path) {
    return mkostemp(template_path, O_CLOEXEC);
}

int clinux_tmpfile_unsupported(int error_number) {
    return error_number == EOPNOTSUPP || error_number == EISDIR || error_number == EINVAL;
}

#include <unistd.h>

int clinux_open_scratch(const char *dir) {
    return open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
}

static int copy_by_hand(int in, off_t offset, int out) {
    char buffer[1 << 16];
    for (;;) {
        ssize_t n = pread(in, buffer, sizeof buffer, offset);
        if (n < 0) { if (errno == EINTR) continue; return errno; }
        if (n == 0) return 0;
        offset += n;
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(out, buffer + done, (size_t)(n - done));
            if (w < 0) { if (errno == EINTR) continue; return errno; }
            done += w;
        }
    }
}

int clinux_copy_rest(int in, long long offset, int out) {
    off_t position = (off_t)offset;
    for (;;) {
        ssize_t n = copy_file_range(in, &position, out, NULL, 1 << 30, 0);
        if (n > 0) continue;
        if (n == 0) return 0;
        if (errno == EINTR) continue;
        if (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)
            return copy_by_hand(in, position, out);
        return errno;
    }
}

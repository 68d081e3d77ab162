#include <seccomp.h>
#include <stdint.h>

// libseccomp's action macros that take an argument, for Swift (which imports only
// constant macros).
static inline uint32_t cseccomp_act_errno(uint16_t code) {
    return SCMP_ACT_ERRNO(code);
}

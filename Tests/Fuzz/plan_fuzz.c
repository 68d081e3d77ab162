// libFuzzer target for stage1's plan reader (Sources/rkt-stage1/plan.c): any
// input must either parse into a plan whose every step path is clean and under
// its root and every app root rkt's, or be refused; never crash, leak or read
// out of bounds. Built and run by scripts/fuzz-plan.sh.
#include "../../Sources/rkt-stage1/stage1.h"

#include <stdlib.h>
#include <string.h>

bool debug;

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
    char *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    struct plan plan;
    char error[512];
    if (plan_parse(buf, size, "/var/lib/rkt/pods/run/pod", &plan, error, sizeof error) == 0) {
        if (!plan.root || plan.root[0] != '/' || !plan.napps)
            abort();
        for (size_t i = 0; i < plan.nsteps; i++)
            if (!plan_path_is_clean(plan.steps[i].target) || !plan_path_in_root(&plan, plan.steps[i].target))
                abort();
        for (size_t i = 0; i < plan.napps; i++)
            if (!plan.apps[i].argv || plan.apps[i].argv[0][0] != '/' ||
                strncmp(plan.apps[i].approot, "/opt/stage2/", 12))
                abort();
        plan_free(&plan);
    }
    free(buf);
    return 0;
}

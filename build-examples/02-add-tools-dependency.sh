#!/usr/bin/env bash
# 02: give a minimal image (no shell, no tools) a tools image as a dependency, in one
# command. rkt then unpacks the tools under the app's own files: the app's rootfs
# gains /bin/sh, busybox, strace and gdb without rebuilding the app image.
#
# Needs `make images` first (it writes out/images/debug-image.aci and
# out/images/image-to-patch.aci, the guide's names).
#
#   ACTOOL=path/to/actool bash build-examples/02-add-tools-dependency.sh
example=02
. "$(dirname "$0")/image-common.sh"
work_on_copies 02-add-tools-dependency
dependencies() { # the "dependencies" of an image's manifest, as JSON
    "$ACTOOL" cat-manifest "$1" |
        python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin).get("dependencies", []), indent=4))'
}

echo "dependencies before:"
dependencies image-to-patch.aci

# The tools image's name, image ID and version/os/arch labels are read from the file.
step "$ACTOOL" patch-manifest --add-dependency=debug-image.aci --replace image-to-patch.aci

echo
echo "dependencies after:"
dependencies image-to-patch.aci

# The dependency names the exact tools image:
want=$("$ACTOOL" image-id debug-image.aci)
got=$("$ACTOOL" cat-manifest image-to-patch.aci | python3 -c 'import json, sys; print(json.load(sys.stdin)["dependencies"][0]["imageID"])')
[ "$got" = "$want" ] || { echo "02: the dependency's imageID is $got, not $want" >&2; exit 1; }
step "$ACTOOL" --debug validate image-to-patch.aci
echo
echo "patched image: $PWD/image-to-patch.aci (depends on $want)"

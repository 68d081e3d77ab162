# Sourced by examples 02-03 (after setting `example`): actool, and copies of the guide's
# images to patch (--replace rewrites a file in place), in OUT/NAME, made the current
# directory. ACTOOL names the binary (default: on PATH); IMAGES where `make images` wrote.
set -euo pipefail
ACTOOL=${ACTOOL:-actool}
command -v "$ACTOOL" >/dev/null 2>&1 || { echo "$example: actool not found ('$ACTOOL'); set ACTOOL=path/to/actool" >&2; exit 1; }
IMAGES=${IMAGES:-out/images}
OUT=${OUT:-out/examples}
for f in debug-image.aci image-to-patch.aci; do
    [ -f "$IMAGES/$f" ] || { echo "$example: $IMAGES/$f not found; run 'make images' first (or set IMAGES=DIR)" >&2; exit 1; }
done

work_on_copies() { # name
    local work=$OUT/$1
    rm -rf "$work"
    mkdir -p "$work"
    cp "$IMAGES/debug-image.aci" "$IMAGES/image-to-patch.aci" "$work/"
    cd "$work"
}

step() { printf '\n$ %s\n' "$*"; "$@"; }

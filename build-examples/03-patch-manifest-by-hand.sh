#!/usr/bin/env bash
# 03: the debugging guide's manual way to add a dependency: dump the manifest, add a
# "dependencies" entry with the tools image's ID right before "app", and put the
# manifest back with `patch-manifest --manifest`. (02 does the same in one command.)
#
# Needs `make images` first (out/images/debug-image.aci and image-to-patch.aci).
#
#   ACTOOL=path/to/actool bash build-examples/03-patch-manifest-by-hand.sh
example=03
. "$(dirname "$0")/image-common.sh"
work_on_copies 03-patch-manifest-by-hand

# 1. The tools image's ID and name. (The guide gets the ID from `rkt fetch
#    debug-image.aci`, which prints the short form; the full ID works everywhere.)
tools_id=$("$ACTOOL" image-id debug-image.aci)
tools_name=$("$ACTOOL" cat-manifest debug-image.aci | python3 -c 'import json, sys; print(json.load(sys.stdin)["name"])')
echo "tools image: $tools_name $tools_id"

# 2. The app image's manifest, one key per line.
printf '\n$ %s\n' "$ACTOOL cat-manifest --pretty-print image-to-patch.aci > manifest.json"
"$ACTOOL" cat-manifest --pretty-print image-to-patch.aci >manifest.json

# 3. Insert the dependency right before "app" (the line before it, the end of
#    "labels", already ends with a comma). The edit in Python, no jq needed.
#    Unlike the guide's snippet, the entry has an "imageName": the spec requires it,
#    and without it `actool validate` and `rkt fetch` reject the patched image
#    ("imageName cannot be empty"), though `patch-manifest --manifest` writes it
#    unchecked, as actool does.
python3 - manifest.json "$tools_name" "$tools_id" <<'PY'
import sys
path, image_name, image_id = sys.argv[1], sys.argv[2], sys.argv[3]
lines = open(path).read().split("\n")
at = next(i for i, line in enumerate(lines) if line.startswith('    "app": {'))
lines[at:at] = [
    '    "dependencies": [',
    '        {',
    '            "imageName": "%s",' % image_name,
    '            "imageID": "%s"' % image_id,
    '        }',
    '    ],',
]
open(path, "w").write("\n".join(lines))
PY
step cat manifest.json

# 4. Check it, then put it into the image (--replace: in place).
step "$ACTOOL" validate --type=manifest manifest.json
step "$ACTOOL" patch-manifest --manifest manifest.json --replace image-to-patch.aci

# 5. The image now carries the new manifest.
step "$ACTOOL" cat-manifest --pretty-print image-to-patch.aci
got=$("$ACTOOL" cat-manifest image-to-patch.aci | python3 -c 'import json, sys; print(json.load(sys.stdin)["dependencies"][0]["imageID"])')
[ "$got" = "$tools_id" ] || { echo "03: the dependency's imageID is $got, not $tools_id" >&2; exit 1; }
step "$ACTOOL" --debug validate image-to-patch.aci

#!/usr/bin/env bash
# Hostile images and pages, each against a baseline timed in the same run: the work an
# attacker can make rkt and actool do with a few bytes must stay proportional to them.
#   Benchmarks/bombs.sh [--runs N] [--depth N]
# 1. A DEPTH-deep directory chain (a 50 KiB image): `rkt image render` from a fresh store
#    (import, extraction into a layer, render into a tree) vs Python creating the same
#    chain once with os.mkdir (the kernel's share of the work, done twice by us).
# 2. A 428-byte image holding a 2 GiB sparse file: `rkt image render` vs
#    `cp --sparse=always` of the same file, and the disk space the rendered file takes.
# 3. A 1 MiB discovery page of bare `&` on loopback: `actool discover` vs `curl` of it.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=5 depth=3000
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs=$2; shift 2 ;;
        --depth) depth=$2; shift 2 ;;
        *) echo "usage: $0 [--runs N] [--depth N]" >&2; exit 2 ;;
    esac
done
[ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH"
scripts/install-deps.sh
command -v curl >/dev/null || { echo "$0: needs curl (apt-get install curl)" >&2; exit 1; }
bin="$(scripts/build-release.sh actool rkt)"
actool=$bin/actool rkt=$bin/rkt
work=$(mktemp -d /var/tmp/rkt-bomb-bench.XXXXXX)
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

compare() { # label ours baseline [prepare]
    hyperfine --style none -N -i -w 1 -r "$runs" ${4:+--prepare "$4"} --export-csv "$work/r.csv" "$2" "$3" >/dev/null 2>&1 \
        || hyperfine --style none -i -w 1 -r "$runs" ${4:+--prepare "$4"} --export-csv "$work/r.csv" "$2" "$3" >/dev/null
    awk -F, -v label="$1" 'NR==2{ours=$4} NR==3{base=$4} END{
        printf "%-46s ours %9.1f ms   baseline %9.1f ms   ratio %.2f\n", label, ours*1000, base*1000, ours/base }' "$work/r.csv"
}
manifest='{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/%s","labels":[{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}]}'

# 1. Depth.
python3 - "$work/deep.aci" "$depth" "$(printf "$manifest" deep)" <<'PY'
import io, sys, tarfile
path, depth, manifest = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as t:
    info = tarfile.TarInfo("manifest"); info.size = len(manifest); t.addfile(info, io.BytesIO(manifest))
    name = "rootfs"
    for _ in range(depth + 1):
        info = tarfile.TarInfo(name); info.type = tarfile.DIRTYPE; info.mode = 0o755; t.addfile(info)
        name += "/d"
PY
cat > "$work/mkchain.py" <<PY
import os, sys
os.chdir(sys.argv[1])
for _ in range($depth):
    os.mkdir("d"); os.chdir("d")
PY
# Outputs are moved aside between runs, not deleted: ext4 scans past the inodes of a tree
# deleted a moment ago when it allocates new ones, which would time the file system's
# bookkeeping, not ours (both sides: ours 0.8 s -> 1.9 s, Python 0.09 s -> 1.7 s).
mkdir "$work/trash"
aside="mv $work/out $work/chain $work/trash/ 2>/dev/null; mv $work/trash $work/trash.\$\$ 2>/dev/null; mkdir -p $work/trash $work/chain"
fresh="$aside; mv $work/store $work/trash/ 2>/dev/null; $rkt --dir=$work/store --insecure-options=image fetch $work/deep.aci"
compare "render, $depth directories deep (fresh store)" \
    "$rkt --dir=$work/store image render example.com/deep $work/out" "python3 $work/mkchain.py $work/chain" "$fresh"
compare "render, $depth deep (layer cached)" \
    "$rkt --dir=$work/store image render example.com/deep $work/out" "python3 $work/mkchain.py $work/chain" "$aside"

# 2. Sparse.
mkdir -p "$work/sparse/rootfs"
printf "$manifest" sparse > "$work/sparse/manifest"
truncate -s 2G "$work/sparse/rootfs/big"
tar -C "$work/sparse" --sparse --format=gnu -czf "$work/sparse.aci" manifest rootfs
"$rkt" --dir="$work/store2" --insecure-options=image fetch "$work/sparse.aci" >/dev/null
compare "render, a 2 GiB sparse file ($(stat -c %s "$work/sparse.aci") B image)" \
    "$rkt --dir=$work/store2 image render example.com/sparse $work/sout" \
    "cp --sparse=always $work/sparse/rootfs/big $work/scopy" "rm -rf $work/sout $work/scopy"
rm -rf "$work/sout"; "$rkt" --dir="$work/store2" image render example.com/sparse "$work/sout"
echo "  rendered file: apparent $(stat -c %s "$work/sout/rootfs/big") B, on disk $(( $(stat -c %b "$work/sout/rootfs/big") * 512 )) B"

# 3. Discovery.
mkdir -p "$work/www"
python3 -c "import sys; sys.stdout.write('<meta name=\"ac-discovery\" content=\"127.0.0.1 http://h/' + '&' * (1 << 20) + '\">')" > "$work/www/page.html"
cat > "$work/serve.py" <<'PY'
import http.server, sys
page = open(sys.argv[1], "rb").read()
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        self.send_response(200); self.send_header("Content-Length", str(len(page))); self.end_headers(); self.wfile.write(page)
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(sys.argv[2], "w").write(str(s.server_address[1])); s.serve_forever()
PY
python3 "$work/serve.py" "$work/www/page.html" "$work/port" & server=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.05; done
port=$(cat "$work/port")
compare "discover, a 1 MiB page of bare '&'" \
    "$actool discover --insecure --port=$port 127.0.0.1/app" "curl -s -o /dev/null http://127.0.0.1:$port/app?ac-discovery=1"

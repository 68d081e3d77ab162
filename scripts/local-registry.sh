#!/usr/bin/env bash
# Starts Debian's docker-registry on 127.0.0.1 (TLS, a self-signed certificate for
# 127.0.0.1, a free port) for the benchmarks and the build examples; its storage,
# certificate, access log (DIR/access.log) and errors (DIR/registry.err) go to DIR.
# Prints "PID PORT" once it answers; stop it with kill PID.
#   read -r pid port < <(scripts/local-registry.sh DIR)
set -euo pipefail
dir=${1:?usage: $0 DIR}
mkdir -p "$dir"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/key.pem" -out "$dir/cert.pem" -days 1 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$dir/registry.yml" <<YML
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $dir/storage
http:
  addr: 127.0.0.1:$port
  tls:
    certificate: $dir/cert.pem
    key: $dir/key.pem
YML
docker-registry serve "$dir/registry.yml" >"$dir/access.log" 2>"$dir/registry.err" </dev/null &
pid=$!
for _ in $(seq 100); do
    if curl -sk -o /dev/null "https://127.0.0.1:$port/v2/"; then
        echo "$pid $port"
        exit 0
    fi
    sleep 0.1
done
kill "$pid" 2>/dev/null || true
echo "local-registry: docker-registry did not start (see $dir/registry.err)" >&2
exit 1

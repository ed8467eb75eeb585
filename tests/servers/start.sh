#!/bin/sh
# Starts pixpipe's test servers (s3rver, dynalite and fauxqs behind
# SigV4-verifying gates, and a Lambda Runtime API emulator; see README.md) in
# the background, all on 127.0.0.1 free ports.
#   tests/servers/start.sh DIR
# DIR receives the S3 data, servers.log, pid and env (shell `export` lines:
# PIXPIPE_TEST_S3, PIXPIPE_TEST_DYNAMODB, PIXPIPE_TEST_SQS, PIXPIPE_TEST_GATE_ADMIN,
# PIXPIPE_TEST_LAMBDA_API, PIXPIPE_TEST_LAMBDA_ADMIN and the credentials); env is also printed, so `eval "$(start.sh DIR)"` works.
# Stop them with tests/servers/stop.sh DIR.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
mkdir -p "$1"
dir=$(cd "$1" && pwd)
buckets="pixpipe-src pixpipe-out"
timeout_s=${PIXPIPE_SERVERS_TIMEOUT:-15}

# Alive and not a zombie (the process may be reparented to an init that
# does not reap, where kill -0 would still succeed).
alive() {
    [ -r "/proc/$1/stat" ] && ! sed 's/.*) //' "/proc/$1/stat" | grep -q '^Z'
}

fail() {
    echo "start.sh: $*" >&2
    if [ -s "$dir/servers.log" ]; then
        echo "--- $dir/servers.log:" >&2
        tail -n 40 "$dir/servers.log" >&2
    fi
    exit 1
}

command -v node >/dev/null 2>&1 || fail "node is not installed (Debian: apt-get install nodejs npm)"
[ -f "$here/node_modules/s3rver/package.json" ] && [ -f "$here/node_modules/dynalite/package.json" ] &&
    [ -f "$here/node_modules/fauxqs/package.json" ] ||
    fail "the pinned servers are not installed: run  npm ci --prefix $here"

rm -f "$dir/ready" "$dir/env" "$dir/pid"
# shellcheck disable=SC2086
node --openssl-legacy-provider "$here/servers.js" "$dir" $buckets >"$dir/ready" 2>"$dir/servers.log" &
pid=$!
echo "$pid" >"$dir/pid"

# servers.js prints its ready line only once every server has answered it.
tries=$((timeout_s * 20))
while ! grep -q '"ready":true' "$dir/ready" 2>/dev/null; do
    alive "$pid" || fail "the servers exited before they were ready"
    tries=$((tries - 1))
    if [ "$tries" -le 0 ]; then
        kill "$pid" 2>/dev/null || true
        fail "the servers were not ready after ${timeout_s}s"
    fi
    sleep 0.05
done

field() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$dir/ready"; }
[ "$(field pid)" = "$pid" ] || { kill "$pid"; fail "the ready line is not from the process started ($pid)"; }

cat >"$dir/env" <<ENV
export PIXPIPE_TEST_S3=http://127.0.0.1:$(field s3)
export PIXPIPE_TEST_DYNAMODB=http://127.0.0.1:$(field dynamodb)
export PIXPIPE_TEST_GATE_ADMIN=http://127.0.0.1:$(field admin)
export PIXPIPE_TEST_LAMBDA_API=127.0.0.1:$(field lambda)
export PIXPIPE_TEST_LAMBDA_ADMIN=http://127.0.0.1:$(field lambda_admin)
export PIXPIPE_TEST_AWS_ACCESS_KEY_ID=S3RVER
export PIXPIPE_TEST_AWS_SECRET_ACCESS_KEY=S3RVER
export PIXPIPE_TEST_AWS_REGION=us-east-1
export PIXPIPE_TEST_S3_BUCKETS='$buckets'
export PIXPIPE_TEST_SERVERS_PID=$pid
ENV
# No SQS server on a Node older than fauxqs needs (servers.log says so).
sqs=$(field sqs)
if [ -n "$sqs" ] && [ "$sqs" != 0 ]; then
    echo "export PIXPIPE_TEST_SQS=http://127.0.0.1:$sqs" >>"$dir/env"
fi
cat "$dir/env"

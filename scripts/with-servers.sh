#!/bin/sh
# Runs a command with pixpipe's test servers up: s3rver, dynalite and fauxqs behind
# SigV4-verifying gates (tests/servers/README.md), their addresses and
# credentials exported as PIXPIPE_TEST_*; stops them afterwards whatever the
# command does, and exits with the command's status.
#   scripts/with-servers.sh CMD [ARG...]
# Without Node.js the command runs without servers (the AWS tests skip),
# except under CI, where that is an error.  PIXPIPE_NO_SERVERS=1 skips them.
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
srv=$root/tests/servers

if [ -n "${PIXPIPE_NO_SERVERS:-}" ]; then
    exec "$@"
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    if [ -n "${CI:-}" ]; then
        echo "with-servers: node and npm are needed for the AWS tests (scripts/deps.sh installs them)" >&2
        exit 1
    fi
    echo "with-servers: no Node.js here: the AWS tests will be skipped" >&2
    exec "$@"
fi

# The pinned packages, installed again when the lock file changed.
if [ ! -f "$srv/node_modules/.package-lock.json" ] ||
   [ "$srv/package-lock.json" -nt "$srv/node_modules/.package-lock.json" ]; then
    echo "with-servers: npm ci --prefix tests/servers" >&2
    npm ci --prefix "$srv" --no-audit --no-fund --loglevel=error >&2 || exit 1
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/pixpipe-servers.XXXXXX") || exit 1
cleanup() {
    sh "$srv/stop.sh" "$dir"
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

sh "$srv/start.sh" "$dir" >/dev/null || exit 1
. "$dir/env"
echo "with-servers: S3 $PIXPIPE_TEST_S3, DynamoDB $PIXPIPE_TEST_DYNAMODB, SQS ${PIXPIPE_TEST_SQS:-none}, admin $PIXPIPE_TEST_GATE_ADMIN" >&2
"$@"
status=$?
exit $status

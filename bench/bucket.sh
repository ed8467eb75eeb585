#!/bin/sh
# `make bench-bucket`: a bucket's life at scale against the test servers
# (s3rver, fauxqs; tests/servers), each figure printed as it is measured:
#
#   1. listing: BUCKET_LIST objects (default 100 000) listed by a backfill
#      whose trigger takes none of them, so only the listing is timed;
#      peak RSS beside a listing of a tenth as many shows it stays flat;
#   2. backfill: BUCKET_IMAGES photos-like JPEGs (default 10 000) through
#      `pixpipe run s3://pixpipe-src/uploads/`, then the same command with
#      --only-stale (no change: no image work), then with a changed
#      pipeline (every image again, nothing else);
#   3. worker: BUCKET_MESSAGES S3 event messages (default 1000) drained by
#      two `pixpipe worker` processes, one killed with SIGKILL half-way;
#      every image must be recorded and no message left.
#
#   sh bench/bucket.sh BUILD        BUILD holds pixpipe and mkimage
#
# Timings are wall clock from GNU time, on whatever else the machine runs:
# quote them as rates of this machine, not as targets.
set -eu

BUILD=$(cd "$1" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${PIXPIPE_TEST_S3:-}" ]; then
    exec sh "$SRC/scripts/with-servers.sh" sh "$0" "$@"
fi
[ -n "${PIXPIPE_TEST_SQS:-}" ] || { echo "bench-bucket: no SQS test server (fauxqs needs Node >= 20)" >&2; exit 1; }

PIXPIPE=$BUILD/pixpipe
N_LIST=${BUCKET_LIST:-100000}
N_IMG=${BUCKET_IMAGES:-10000}
N_MSG=${BUCKET_MESSAGES:-1000}
W=$BUILD/bench/bucket
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench-bucket: $TIME is missing (Debian: apt-get install time)" >&2; exit 1; }
rm -rf "$W"
mkdir -p "$W"
cd "$W"

export AWS_ACCESS_KEY_ID="$PIXPIPE_TEST_AWS_ACCESS_KEY_ID"
export AWS_SECRET_ACCESS_KEY="$PIXPIPE_TEST_AWS_SECRET_ACCESS_KEY"
export AWS_REGION="$PIXPIPE_TEST_AWS_REGION"
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL 2>/dev/null || true
NODE="node"
SEED="env NODE_NO_WARNINGS=1 NODE_PATH=$SRC/tests/servers/node_modules $NODE $SRC/bench/bucket.js"

# Seconds since the epoch with centiseconds.
now() { date +%s.%N | cut -c1-13; }
# elapsed LATER EARLIER: seconds between two now()s.
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a - b }'; }
# Runs a command under GNU time; $W/$1.time gets "wall_s rss_kib cpu_s"
# (cpu: pixpipe's own user + system time, its job processes included).
timed() {
    name=$1
    shift
    "$TIME" -f '%e %M %U %S' -o "$name.time" "$@" >"$name.out" 2>"$name.err" || {
        echo "bench-bucket: $name failed:" >&2
        tail -n 20 "$name.err" >&2
        exit 1
    }
}
wall() { cut -d' ' -f1 "$1.time"; }
cpu() { awk '{ printf "%.1f", $3 + $4 }' "$1.time"; }
rss_mib() { awk '{ printf "%.1f", $2 / 1024 }' "$1.time"; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }

pipeline() { # NAME QUALITY TRIGGER_PREFIX TRIGGER_SUFFIX
    cat >"$1.yaml" <<YAML
name: bench-bucket
source:      { storage: s3, endpoint: "\${PIXPIPE_TEST_S3}", path_style: true }
destination: { storage: s3, bucket: pixpipe-out, endpoint: "\${PIXPIPE_TEST_S3}",
               path_style: true, key: "{key}.{rendition}.{ext}" }
metadata:    { backend: sqlite, path: ./md.db }
trigger:     { bucket: pixpipe-src, prefix: "$3", suffix: "$4" }
output:      { rendition: main, format: jpeg, quality: $2 }
stages:
  - resize:        { width: 320, height: 320 }
  - thumbnail:     { name: thumb, width: 96, height: 96, crop: centre }
  - metadata-sink: {}
YAML
}

"$BUILD/mkimage" one.jpg 640 480 >/dev/null
echo "bench-bucket: one source is $(stat -c %s one.jpg) bytes (640x480 JPEG); load $(cut -d' ' -f1-3 /proc/loadavg)"

# --- 1. listing ---------------------------------------------------------
small=$((N_LIST / 10))
t0=$(now)
$SEED put pixpipe-src list "$N_LIST" /dev/null
$SEED put pixpipe-src small "$small" /dev/null
echo "bench-bucket: seeded $((N_LIST + small)) empty objects in $(elapsed "$(now)" "$t0") s"
pipeline none 80 "" .none
for p in small list; do
    timed "$p" "$PIXPIPE" run -q -p none.yaml "s3://pixpipe-src/$p/"
    got=$(sed -n 's/^listed \([0-9]*\).*/\1/p' "$p.out")
    echo "bench-bucket: listed $got keys in $(wall "$p") s ($(rate "$got" "$(wall "$p")") keys/s; pixpipe's CPU $(cpu "$p") s), peak RSS $(rss_mib "$p") MiB"
done

# --- 2. backfill ----------------------------------------------------------
t0=$(now)
$SEED put pixpipe-src uploads "$N_IMG" one.jpg
echo "bench-bucket: seeded $N_IMG images in $(elapsed "$(now)" "$t0") s"
pipeline q80 80 uploads/ .jpg
pipeline q70 70 uploads/ .jpg
timed backfill "$PIXPIPE" run -q -p q80.yaml s3://pixpipe-src/uploads/
echo "bench-bucket: backfill: $(tail -n 1 backfill.out)"
echo "bench-bucket: backfill of $N_IMG in $(wall backfill) s ($(rate "$N_IMG" "$(wall backfill)") images/s; CPU $(cpu backfill) s), peak RSS $(rss_mib backfill) MiB"
timed again "$PIXPIPE" run -q -p q80.yaml --only-stale s3://pixpipe-src/uploads/
echo "bench-bucket: unchanged, --only-stale: $(tail -n 1 again.out)"
echo "bench-bucket: unchanged run in $(wall again) s ($(rate "$N_IMG" "$(wall again)") sources/s; CPU $(cpu again) s)"
timed changed "$PIXPIPE" run -q -p q70.yaml --only-stale s3://pixpipe-src/uploads/
echo "bench-bucket: changed pipeline, --only-stale: $(tail -n 1 changed.out)"
echo "bench-bucket: changed run in $(wall changed) s ($(rate "$N_IMG" "$(wall changed)") images/s)"

# --- 3. worker --------------------------------------------------------------
rm -f md.db md.db-wal md.db-shm
url=$($SEED queue bench-bucket 10)
$SEED send "$url" pixpipe-src uploads "$N_MSG"
echo "bench-bucket: $($SEED left "$url") messages queued"
records() { sqlite3 md.db "SELECT count(*) FROM images WHERE status = 'ok'" 2>/dev/null || echo 0; }
# RSS of a worker and its job processes, in KiB.
tree_rss() {
    pids="$1 $(pgrep -P "$1" | tr '\n' ' ')"
    for p in $pids; do sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$p/status" 2>/dev/null; done |
        awk '{ s += $1 } END { print s + 0 }'
}
t0=$(now)
"$PIXPIPE" worker -p q80.yaml -j 1 --queue "$url" --visibility 10 --until-empty \
    --log-format text >w1.log 2>&1 &
w1=$!
"$PIXPIPE" worker -p q80.yaml -j 1 --queue "$url" --visibility 10 \
    --log-format text >w2.log 2>&1 &
w2=$!
killed=0
: >rss.txt
while kill -0 "$w1" 2>/dev/null; do
    echo "$(elapsed "$(now)" "$t0") $(tree_rss "$w1") $(records)" >>rss.txt
    if [ "$killed" = 0 ] && [ "$(records)" -ge $((N_MSG / 2)) ]; then
        kill -9 "$w2"
        killed=1
        at=$(elapsed "$(now)" "$t0")
        echo "bench-bucket: worker 2 killed with SIGKILL at $(records) records, $at s ($(rate "$(records)" "$at") messages/s by two workers until then)"
    fi
    sleep 1
done
wait "$w1" || { echo "bench-bucket: worker 1 failed:"; tail -n 20 w1.log; exit 1; } >&2
[ "$killed" = 1 ] || kill -9 "$w2" 2>/dev/null || true
took=$(elapsed "$(now)" "$t0")
left=$($SEED left "$url")
got=$(records)
echo "bench-bucket: worker: $got of $N_MSG images recorded, $left messages left, in $took s ($(rate "$N_MSG" "$took") messages/s with the kill and one visibility timeout)"
awk 'NR > 3 { if (min == "" || $2 < min) min = $2; if ($2 > max) max = $2 }
     END { printf "bench-bucket: worker 1 RSS (worker and its job process) over the run: %.1f to %.1f MiB\n", min / 1024, max / 1024 }' rss.txt
[ "$got" = "$N_MSG" ] && [ "$left" = 0 ] || { echo "bench-bucket: the worker lost work" >&2; exit 1; }

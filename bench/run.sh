#!/bin/sh
# `make bench`: pixpipe's default pipeline against the floor (bench-floor,
# the same pixel work as a bare libvips program) and sharp, side by side in
# one hyperfine run per size and machine shape; vipsthumbnail and
# ImageMagick beside it at 6 and 12 MP; peak memory from GNU time; bytes
# and SSIM of fixed quality against `quality: auto`; then
# bench/report.py writes docs/performance.md and the plots.
#
#   sh bench/run.sh BUILD     BUILD holds pixpipe, mkimage, bench-floor,
#                             similarity-probe and bench-quality
#
# BENCH_QUICK=1 is a smoke run (6 and 12 MP, two images each, 2 runs) that
# writes its report to BUILD/bench/performance.md instead of docs/.
# Everything lands in BUILD/bench: inputs/ (kept between runs), work/
# (outputs, remade each run) and results/ (hyperfine JSON, RSS figures).
# About 15 minutes on an idle 2-core machine (docs/performance.md says how
# long the last run took).
set -eu

BUILD=$(cd "$1" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
B=$BUILD/bench
IN=$B/inputs
W=$B/work
R=$B/results
export PIXPIPE="$BUILD/pixpipe" FLOOR="$BUILD/bench-floor" SHARP_WORK="$SRC/bench/sharp/work.js"
WORK="sh $SRC/bench/work.sh"
QUICK=${BENCH_QUICK:-0}
START=$(date +%s)

if [ "$QUICK" = 1 ]; then
    IN=$B/inputs-quick
    SIZES="6 12" PEER_SIZES="12" RUNS=2 WARMUP=0 PEER_RUNS=2 LONG_RUN=100
else
    SIZES="6 12 24 48 96" PEER_SIZES="6 12" RUNS=7 WARMUP=1 PEER_RUNS=5 LONG_RUN=1000
fi

for tool in "$FLOOR" "$BUILD/similarity-probe" "$BUILD/bench-quality"; do
    [ -x "$tool" ] || { echo "bench: $tool is missing (make $tool)" >&2; exit 1; }
done
[ -d "$SRC/bench/sharp/node_modules/sharp" ] || { echo "bench: sharp is not installed (sh bench/deps.sh)" >&2; exit 1; }
sh "$SRC/bench/inputs.sh" "$BUILD" "$IN"
rm -rf "$W" "$R"
mkdir -p "$W/pp" "$W/pn" "$W/fl" "$W/sh" "$W/vt" "$W/im" "$R"
printf 'runs=%s\nwarmup=%s\npeer_runs=%s\nquick=%s\nlong_run=%s\nload=%s\nstart=%s\n' \
    "$RUNS" "$WARMUP" "$PEER_RUNS" "$QUICK" "$LONG_RUN" "$(cut -d' ' -f1-3 /proc/loadavg)" \
    "$START" > "$R/settings.txt"
/usr/bin/node -e 'const s = require(process.argv[1]); console.log(`${s.versions.sharp} (libvips ${s.versions.vips})`)' \
    "$SRC/bench/sharp/node_modules/sharp" > "$R/sharp-version.txt"

# The default pipeline without describe: the work the floor and sharp do.
sed '/^  - describe:/d' "$SRC/pipelines/default.yaml" > "$B/no-describe.yaml"
if grep -q 'describe:' "$B/no-describe.yaml"; then
    echo "bench: describe is still in $B/no-describe.yaml" >&2
    exit 1
fi

# What report.py needs to know of the inputs: size, images per run, pixels.
for d in "$IN"/*mp; do
    set -- "$d"/*.jpg
    printf '%s\t%s\t%s\t%s\n' "$(basename "$d" mp)" "$#" "$(vipsheader -f width "$1")" \
        "$(vipsheader -f height "$1")"
done | sort -n > "$R/sets.tsv"
[ -f "$IN/source.txt" ] && cp "$IN/source.txt" "$R/inputs-source.txt"

# hyperfine over "name dir command" triples, each timed command under GNU
# time, which appends the run's peak RSS (KiB, the largest process of the
# run) to a file per command: the peak memory comes from the very runs that
# are timed.  Each command's --prepare empties its own folder only, so after
# the run every tool's last outputs are there to compare.
# timed TABLE MP RUNS [NAME DIR COMMAND]...
timed() {
    t=$1 mp=$2 runs=$3
    shift 3
    n=0
    while [ $# -ge 3 ]; do
        n=$((n + 1))
        eval "name_$n=\$1 dir_$n=\$2 cmd_$n=\$3"
        shift 3
    done
    set --
    i=1 name="" dir="" cmd=""
    while [ "$i" -le "$n" ]; do
        eval "name=\$name_$i dir=\$dir_$i cmd=\$cmd_$i"
        rss=$R/rss-$t-$mp-$name.txt
        : > "$rss"
        set -- "$@" --prepare "rm -rf $dir/out $dir/*.jpg" -n "$name" \
            "/usr/bin/time -a -o $rss -f %M $cmd"
        i=$((i + 1))
    done
    echo "== $t: ${mp} MP ($(ls "$IN/${mp}mp" | wc -l) images per run)"
    ${HF:-hyperfine} --style basic --warmup "$WARMUP" --runs "$runs" \
        --export-json "$R/$t-$mp.json" "$@"
}

# pixpipe (default pipeline and without describe), the floor and sharp on
# one size.  One vCPU, as a Lambda function under 1769 MB runs: all pinned
# to one core, one libvips thread, one image at a time.  2 cores: pixpipe
# -j 2, two floor processes side by side with half the files each, sharp
# two images at a time with its default threads; libvips' default threads
# everywhere else.
# shape onecpu|twocore MP
shape() {
    t=$1 mp=$2
    files="$IN/${mp}mp/*.jpg"
    if [ "$t" = onecpu ]; then
        j="-j 1" floor=floor sharp="UV_THREADPOOL_SIZE=1 BENCH_SHARP_CONCURRENCY=1 BENCH_SHARP_JOBS=1"
    else
        j="-j 2" floor=floor-pair sharp="BENCH_SHARP_JOBS=2"
    fi
    timed "$t" "$mp" "$RUNS" \
        pixpipe "$W/pp" "env PIXPIPE_ARGS='$j' $WORK pixpipe $W/pp $files" \
        pixpipe-nodescribe "$W/pn" "env PIXPIPE_ARGS='$j -p $B/no-describe.yaml' $WORK pixpipe $W/pn $files" \
        floor "$W/fl" "$WORK $floor $W/fl $files" \
        sharp "$W/sh" "env $sharp $WORK sharp $W/sh $files"
}

for mp in $SIZES; do
    (
        export VIPS_CONCURRENCY=1
        HF="taskset -c 0 hyperfine"
        shape onecpu "$mp"
    )
    # Same renditions? The floor must match pixpipe's to the pixel; sharp's
    # decoder, resampler and text differ, so only its sizes must.
    sh "$SRC/bench/compare.sh" "$W/fl" "$W/pn/out" 0.5 > "$R/compare-$mp-floor.txt" 2>&1 || true
    sh "$SRC/bench/compare.sh" "$W/sh" "$W/pn/out" 255 > "$R/compare-$mp-sharp.txt" 2>&1 || true
    tail -n 1 "$R/compare-$mp-floor.txt" "$R/compare-$mp-sharp.txt"
    # The bytes the default pipeline stores per image, for the cost view.
    if [ "$mp" = 12 ]; then
        for f in "$W/pp/out"/*.jpg; do
            printf '%s\t%s\n' "$(basename "$f")" "$(stat -c %s "$f")"
        done > "$R/renditions-12.tsv"
    fi
    shape twocore "$mp"
done

# The tools a user would reach for on Debian, on 2 cores, as they run.
for mp in $PEER_SIZES; do
    # ImageMagick's hint: the large rendition's box, within the image.
    IM_HINT=$(awk -v mp="$mp" '$1 == mp { printf "%dx%d", $3 < 1600 ? $3 : 1600, $4 < 1600 ? $4 : 1600 }' "$R/sets.tsv")
    export IM_HINT
    files="$IN/${mp}mp/*.jpg"
    timed peers "$mp" "$PEER_RUNS" \
        pixpipe "$W/pp" "$WORK pixpipe $W/pp $files" \
        vipsthumbnail "$W/vt" "$WORK vipsthumbnail $W/vt $files" \
        imagemagick "$W/im" "$WORK imagemagick $W/im $files"
done

# Peak memory of one picture of the largest size through the default
# pipeline, alone.
big=${SIZES##* }
rm -rf "$W/pp/out"
(cd "$W/pp" && /usr/bin/time -v -o "$R/single-$big.txt" "$PIXPIPE" run -q "$IN/${big}mp/img00.jpg")
echo "== one ${big} MP picture: $(grep 'Maximum resident' "$R/single-$big.txt")"

# -j 2 against -j 1 on the 12 MP set, in one hyperfine: with libvips' own
# threads (its default: one per core), and with one libvips thread per
# image, where only pixpipe's jobs run side by side.
jmp=12
echo "== jobs: -j 1 and -j 2 at ${jmp} MP"
jset="$IN/${jmp}mp/*.jpg"
hyperfine --style basic --warmup "$WARMUP" --runs "$PEER_RUNS" --prepare "rm -rf $W/pp/out" \
    --export-json "$R/jobs-$jmp.json" \
    -n "pixpipe -j 1" "PIXPIPE_ARGS='-j 1' $WORK pixpipe $W/pp $jset" \
    -n "pixpipe -j 2" "PIXPIPE_ARGS='-j 2' $WORK pixpipe $W/pp $jset" \
    -n "pixpipe -j 1 (1 thread)" "VIPS_CONCURRENCY=1 PIXPIPE_ARGS='-j 1' $WORK pixpipe $W/pp $jset" \
    -n "pixpipe -j 2 (1 thread)" "VIPS_CONCURRENCY=1 PIXPIPE_ARGS='-j 2' $WORK pixpipe $W/pp $jset"

# What isolation costs (docs/architecture.md, "Isolation"): the same work
# in worker processes (the default) and in threads of one process
# (PIXPIPE_ISOLATION=off), paired in one hyperfine run: the 12 MP set with
# -j 2 on 2 cores and -j 1 on one vCPU, and a cold start (one 1 MP image,
# so that starting is most of the run).
echo "== isolation: worker processes against in-process at ${jmp} MP"
ONE="taskset -c 0 env VIPS_CONCURRENCY=1"
hyperfine --style basic --warmup "$WARMUP" --runs "$RUNS" --prepare "rm -rf $W/pp/out" \
    --export-json "$R/isolation-$jmp.json" \
    -n "processes -j 2" "PIXPIPE_ARGS='-j 2' $WORK pixpipe $W/pp $jset" \
    -n "in-process -j 2" "PIXPIPE_ISOLATION=off PIXPIPE_ARGS='-j 2' $WORK pixpipe $W/pp $jset" \
    -n "processes -j 1, one vCPU" "$ONE PIXPIPE_ARGS='-j 1' $WORK pixpipe $W/pp $jset" \
    -n "in-process -j 1, one vCPU" "$ONE PIXPIPE_ISOLATION=off PIXPIPE_ARGS='-j 1' $WORK pixpipe $W/pp $jset"
hyperfine --style basic --warmup 2 --runs "$((RUNS * 3))" --prepare "rm -rf $W/pp/out" \
    --export-json "$R/isolation-cold.json" \
    -n "processes, cold" "PIXPIPE_ARGS='-j 1' $WORK pixpipe $W/pp $IN/1mp/img00.jpg" \
    -n "in-process, cold" "PIXPIPE_ISOLATION=off PIXPIPE_ARGS='-j 1' $WORK pixpipe $W/pp $IN/1mp/img00.jpg"

# Bytes against similarity on the 12 MP set (report.py, bytes_section and
# quality_section): bench/bytes.sh runs the default pipeline at fixed
# qualities and with `quality: auto`, and sharp, scoring each large
# rendition with similarity-probe against the same rendition written
# losslessly; bench-quality then times Q82 against quality: auto encoding
# those lossless renditions, in one process.
echo "== bytes and SSIM on the corpus photos"
if sh "$SRC/bench/bytes.sh" "$BUILD" "$IN/12mp" "$W/bytes" "$R/bytes.tsv"; then
    cp "$W/bytes/target.txt" "$R/bytes-target.txt"
    target=$(sed -n 's/^target=//p' "$R/bytes-target.txt")
    VIPS_CONCURRENCY=1 taskset -c 0 "$BUILD/bench-quality" "$target" "$RUNS" \
        "$W/bytes/ref/out"/*-large.png > "$R/quality.tsv"
else
    echo "bench: the bytes table is left out (bench/bytes.sh failed)" >&2
fi

# Memory over a long run: LONG_RUN hard links to the 1 MP images (the
# folder walk does not follow symbolic links), one pixpipe run, VmRSS of
# the supervisor and its workers sampled every 0.2 s with the count of
# images written so far.
echo "== memory over $LONG_RUN images"
L=$B/long
rm -rf "$L"
mkdir -p "$L/in" "$L/cwd"
set -- "$IN"/1mp/*.jpg
n=$# i=0 src=""
while [ "$i" -lt "$LONG_RUN" ]; do
    eval "src=\${$((i % n + 1))}"
    ln "$src" "$(printf '%s/in/p%04d.jpg' "$L" "$i")"
    i=$((i + 1))
done
/usr/bin/python3 "$SRC/bench/rss.py" "$R/long.tsv" "$L/cwd" "$PIXPIPE" run -q "$L/in"
rm -rf "$L"

echo "end=$(date +%s)" >> "$R/settings.txt"
out=$SRC/docs/performance.md
img=$SRC/docs/img/perf.png
if [ "$QUICK" = 1 ]; then
    out=$B/performance.md img=$B/perf.png
fi
PIXPIPE="$PIXPIPE" /usr/bin/python3 "$SRC/bench/report.py" "$R" "$out" "$img"

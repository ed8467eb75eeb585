#!/bin/sh
# `make bench`: pixpipe's default pipeline side by side with vipsthumbnail
# and ImageMagick on the same photos, timed by hyperfine, peak memory from
# GNU time; then bench/report.py writes docs/performance.md and the plot.
#
#   sh bench/run.sh BUILD          BUILD holds pixpipe and mkimage
#
# BENCH_QUICK=1 is a smoke run (small sizes, 2 runs) that writes its report
# to BUILD/bench/performance.md instead of docs/.
# Everything lands in BUILD/bench: inputs/ (kept between runs), work/
# (outputs, remade each run) and results/ (hyperfine JSON, RSS figures).
set -eu

BUILD=$(cd "$1" && pwd)
SRC=$(cd "$(dirname "$0")/.." && pwd)
B=$BUILD/bench
IN=$B/inputs
W=$B/work
R=$B/results
export PIXPIPE="$BUILD/pixpipe"
WORK="sh $SRC/bench/work.sh"
QUICK=${BENCH_QUICK:-0}

if [ "$QUICK" = 1 ]; then
    IN=$B/inputs-quick
    SIZES="1 6 12" ONE_CPU_SIZES="6" RUNS=2 WARMUP=0 BIG_RUNS=2 LONG_RUN=100
else
    SIZES="1 6 12 24 48 96" ONE_CPU_SIZES="6 12" RUNS=5 WARMUP=1 BIG_RUNS=3 LONG_RUN=1000
fi

sh "$SRC/bench/inputs.sh" "$BUILD" "$IN"
rm -rf "$W" "$R"
mkdir -p "$W/pp" "$W/vt" "$W/im" "$R"
CLEAR="rm -rf $W/pp/out $W/vt/* $W/im/*"
HF=hyperfine
printf 'runs=%s\nwarmup=%s\nbig_runs=%s\nquick=%s\nlong_run=%s\nload=%s\n' \
    "$RUNS" "$WARMUP" "$BIG_RUNS" "$QUICK" "$LONG_RUN" "$(cut -d' ' -f1-3 /proc/loadavg)" > "$R/settings.txt"

# hyperfine on the three tools for one size. Each timed command runs under
# GNU time, which appends the run's peak RSS (KiB) to a file per tool: the
# peak memory comes from the very runs that are timed.
# side_by_side TABLE SIZE RUNS
side_by_side() {
    t=$1 mp=$2 runs=$3
    files="$IN/${mp}mp/*.jpg"
    # ImageMagick's hint: the large rendition's box, within the image.
    IM_HINT=$(awk -v mp="$mp" '$1 == mp { printf "%dx%d", $3 < 1600 ? $3 : 1600, $4 < 1600 ? $4 : 1600 }' "$R/sets.tsv")
    export IM_HINT
    set --
    for tool in pixpipe vipsthumbnail imagemagick; do
        case $tool in
        pixpipe) d=$W/pp ;; vipsthumbnail) d=$W/vt ;; imagemagick) d=$W/im ;;
        esac
        rss=$R/rss-$t-$mp-$tool.txt
        : > "$rss"
        set -- "$@" -n "$tool" "/usr/bin/time -a -o $rss -f %M $WORK $tool $d $files"
    done
    echo "== $t: ${mp} MP ($(ls "$IN/${mp}mp" | wc -l) images per run)"
    $HF --style basic --warmup "$WARMUP" --runs "$runs" --prepare "$CLEAR" \
        --export-json "$R/$t-$mp.json" "$@"
}

# What report.py needs to know of the inputs: size, images per run, pixels.
for mp in $SIZES; do
    set -- "$IN/${mp}mp"/*.jpg
    printf '%s\t%s\t%s\t%s\n' "$mp" "$#" "$(vipsheader -f width "$1")" "$(vipsheader -f height "$1")"
done > "$R/sets.tsv"
[ -f "$IN/source.txt" ] && cp "$IN/source.txt" "$R/inputs-source.txt"

for mp in $SIZES; do
    runs=$RUNS
    [ "$mp" = 96 ] && runs=$BIG_RUNS
    side_by_side main "$mp" "$runs"
done

# One vCPU, as a Lambda function under 1769 MB: every tool pinned to one
# core, libvips and ImageMagick told to use one thread, pixpipe one job.
for mp in $ONE_CPU_SIZES; do
    (
        export VIPS_CONCURRENCY=1 MAGICK_THREAD_LIMIT=1 OMP_NUM_THREADS=1 PIXPIPE_ARGS="-j 1"
        HF="taskset -c 0 hyperfine"
        side_by_side onecpu "$mp" "$RUNS"
    )
done

# Peak memory of one picture of the largest size through the default
# pipeline, alone (the side-by-side runs above take two at once).
big=${SIZES##* }
rm -rf "$W/pp/out"
(cd "$W/pp" && /usr/bin/time -v -o "$R/single-$big.txt" "$PIXPIPE" run -q "$IN/${big}mp/img00.jpg")
echo "== one ${big} MP picture: $(grep 'Maximum resident' "$R/single-$big.txt")"

# -j 2 against -j 1 on the 12 MP set (6 MP in a quick run), in one
# hyperfine: with libvips' own threads (its default: one per core), and with
# one libvips thread per image, where only pixpipe's jobs run side by side.
jmp=12
[ "$QUICK" = 1 ] && jmp=6
echo "== jobs: -j 1 and -j 2 at ${jmp} MP"
jset="$IN/${jmp}mp/*.jpg"
hyperfine --style basic --warmup "$WARMUP" --runs "$RUNS" --prepare "rm -rf $W/pp/out" \
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
hyperfine --style basic --warmup "$WARMUP" --runs "$((RUNS + 2))" --prepare "rm -rf $W/pp/out" \
    --export-json "$R/isolation-$jmp.json" \
    -n "processes -j 2" "PIXPIPE_ARGS='-j 2' $WORK pixpipe $W/pp $jset" \
    -n "in-process -j 2" "PIXPIPE_ISOLATION=off PIXPIPE_ARGS='-j 2' $WORK pixpipe $W/pp $jset" \
    -n "processes -j 1, one vCPU" "$ONE PIXPIPE_ARGS='-j 1' $WORK pixpipe $W/pp $jset" \
    -n "in-process -j 1, one vCPU" "$ONE PIXPIPE_ISOLATION=off PIXPIPE_ARGS='-j 1' $WORK pixpipe $W/pp $jset"
hyperfine --style basic --warmup 2 --runs "$((RUNS * 4))" --prepare "rm -rf $W/pp/out" \
    --export-json "$R/isolation-cold.json" \
    -n "processes, cold" "PIXPIPE_ARGS='-j 1' $WORK pixpipe $W/pp $IN/1mp/img00.jpg" \
    -n "in-process, cold" "PIXPIPE_ISOLATION=off PIXPIPE_ARGS='-j 1' $WORK pixpipe $W/pp $IN/1mp/img00.jpg"

# What describe adds to the default pipeline (docs/stages.md, "describe"):
# the same set with and without the stage, paired in one hyperfine run, on
# one vCPU (a Lambda's shape) and with -j 2 on 2 cores.  The stage's own
# milliseconds are also in every record's timings_ms (describe.*).
echo "== describe: the default pipeline with and without it at ${jmp} MP"
sed '/^  - describe:/d' "$SRC/pipelines/default.yaml" > "$B/no-describe.yaml"
! grep -q 'describe:' "$B/no-describe.yaml"
hyperfine --style basic --warmup "$WARMUP" --runs "$((RUNS + 2))" --prepare "rm -rf $W/pp/out" \
    --export-json "$R/describe-$jmp.json" \
    -n "with describe, one vCPU" "$ONE PIXPIPE_ARGS='-j 1' $WORK pixpipe $W/pp $jset" \
    -n "without describe, one vCPU" "$ONE PIXPIPE_ARGS='-j 1 -p $B/no-describe.yaml' $WORK pixpipe $W/pp $jset" \
    -n "with describe -j 2" "PIXPIPE_ARGS='-j 2' $WORK pixpipe $W/pp $jset" \
    -n "without describe -j 2" "PIXPIPE_ARGS='-j 2 -p $B/no-describe.yaml' $WORK pixpipe $W/pp $jset"

# Memory over a long run: LONG_RUN hard links to the 1 MP images (the
# folder walk does not follow symbolic links), one pixpipe run, VmRSS of
# the supervisor and its workers sampled every 0.2 s with the count of
# images written so far.
echo "== memory over $LONG_RUN images"
L=$B/long
rm -rf "$L"
mkdir -p "$L/in" "$L/cwd"
set -- "$IN"/1mp/*.jpg
n=$#
i=0
while [ "$i" -lt "$LONG_RUN" ]; do
    eval "src=\${$((i % n + 1))}"
    ln "$src" "$(printf '%s/in/p%04d.jpg' "$L" "$i")"
    i=$((i + 1))
done
/usr/bin/python3 "$SRC/bench/rss.py" "$R/long.tsv" "$L/cwd" "$PIXPIPE" run -q "$L/in"
rm -rf "$L"

out=$SRC/docs/performance.md
img=$SRC/docs/img/perf.png
if [ "$QUICK" = 1 ]; then
    out=$B/performance.md img=$B/perf.png
fi
/usr/bin/python3 "$SRC/bench/report.py" "$R" "$out" "$img"

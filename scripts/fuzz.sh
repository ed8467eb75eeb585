#!/bin/sh
# `make fuzz [FUZZ_SECONDS=N]`: builds the libFuzzer targets of tests/fuzz
# with clang under ASan+UBSan into build-fuzz/, writes their seed corpora
# from the tree, runs each target for N seconds (default 60) and prints one
# line per target with its executions.  Fails when any target crashes,
# times out or runs out of memory; the input is then in
# build-fuzz/crashes/TARGET/.  docs/testing.md says what each target covers.
#   scripts/fuzz.sh [SECONDS] [TARGET...]     TARGET: event, pipeline, ...
set -eu
cd "$(dirname "$0")/.."

seconds=${1:-60}
if [ $# -gt 0 ]; then shift; fi
# (libFuzzer reads -max_total_time=0 as "no limit")
case $seconds in '' | *[!0-9]* | 0) echo "fuzz.sh: SECONDS must be a number of seconds, not '$seconds'" >&2; exit 2 ;; esac

OUT=build-fuzz
CLANG=/usr/bin/clang
MAKE=${MAKE:-make}
# The libraries the core links, as the Makefile names them (one list).
PKGS=$(sed -n 's/^PKGS *:= *//p' Makefile)
[ -n "$PKGS" ] || { echo "fuzz.sh: no PKGS line in the Makefile" >&2; exit 2; }
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"

targets=${*:-$(for f in tests/fuzz/fuzz_*.c; do n=${f#tests/fuzz/fuzz_}; echo "${n%.c}"; done)}
for t in $targets; do
    [ -f "tests/fuzz/fuzz_$t.c" ] || { echo "fuzz.sh: no target '$t' (tests/fuzz/fuzz_$t.c)" >&2; exit 2; }
done

# The core objects, the bundled plugins (fuzz_pipeline loads them from
# build-fuzz/plugins) and tools/mkimage (camera images for the exif seeds),
# by the Makefile's own rules, compiled by clang with coverage but without
# libFuzzer's main().
plugins=$(for d in plugins/*/; do d=${d%/}; echo "$OUT/plugins/${d##*/}.so"; done)
fuzz_make() {
    # shellcheck disable=SC2086
    $MAKE -s --no-print-directory BUILD=$OUT CC=$CLANG CFLAGS="-O1 -g" \
        SANFLAGS="-fsanitize=fuzzer-no-link $SAN" "$@"
}
# shellcheck disable=SC2086
fuzz_make $OUT/libpixcore.a $plugins
fuzz_make $OUT/mkimage >$OUT/mkimage.log 2>&1 ||
    echo "fuzz.sh: $OUT/mkimage did not build ($OUT/mkimage.log); the exif seeds go without it" >&2

# Each target: its file, the plugin sources its "Links:" line names, and
# the core library.  Relinked when any of them is newer than the binary.
for t in $targets; do
    src=tests/fuzz/fuzz_$t.c bin=$OUT/fuzz_$t
    extra=$(sed -n 's/^ \* Links: //p' "$src")
    if [ -f "$bin" ] && [ -z "$(find "$src" tests/fuzz/fuzz.h $extra $OUT/libpixcore.a -newer "$bin")" ]; then
        continue
    fi
    echo "  FUZZ    $bin"
    # shellcheck disable=SC2086
    $CLANG -std=c11 -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE -O1 -g \
        -fsanitize=fuzzer $SAN -Iinclude -Icore -Iplugins/metadata-sink \
        $(pkg-config --cflags $PKGS) -o "$bin" "$src" $extra $OUT/libpixcore.a \
        $(pkg-config --libs $PKGS) -ldl -lpthread -lm
done

# Seeds from the tree (tests, pipelines, docs) and from images made here.
/usr/bin/python3 tests/fuzz/seeds.py "$OUT/corpus" $targets

# The runs, one after the other (the cores are shared).  The corpus folder
# keeps what each run found for the next one.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp"
failed=""
for t in $targets; do
    mkdir -p "$OUT/crashes/$t" "$OUT/corpus/$t" "$OUT/logs"
    log=$OUT/logs/$t.log
    rc=0
    "$OUT/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$OUT/crashes/$t/" \
        "$OUT/corpus/$t" >"$log" 2>&1 || rc=$?
    # "Done N runs in S second(s)" when the run ended on time; after a crash
    # the final stats (or else the last status line "#N ...") have the count.
    done_line=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 \2/p' "$log" | tail -n 1)
    runs=${done_line% *} secs=${done_line#* }
    if [ -z "$done_line" ]; then
        secs="<$seconds"
        runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
        [ -n "$runs" ] || runs=$(sed -n 's/^#\([0-9]*\)[[:space:]].*/\1/p' "$log" | tail -n 1)
    fi
    corpus=$(find "$OUT/corpus/$t" -type f | wc -l)
    if [ "$rc" -eq 0 ]; then
        printf 'fuzz %-9s %10s runs in %s s, corpus %s inputs: ok\n' "$t" "${runs:-?}" "$secs" "$corpus"
    else
        failed="$failed $t"
        printf 'fuzz %-9s %10s runs in %s s: FAILED (exit %s)\n' "$t" "${runs:-?}" "$secs" "$rc"
        grep -aE '^(==[0-9]+==ERROR|SUMMARY|fuzz check failed|.*runtime error)' "$log" | head -n 5 | sed 's/^/    /'
        sed -n 's/.*Test unit written to \(.*\)/    input: \1/p' "$log"
        echo "    log: $log"
    fi
done
if [ -n "$failed" ]; then
    echo "fuzz: failed:$failed (replay: build-fuzz/fuzz_TARGET FILE)" >&2
    exit 1
fi

#!/bin/sh
# Runs pixpipe's core paths (the default pipeline: every bundled stage)
# under valgrind and fails on memory errors or
# definite leaks (GLib's and libvips' one-off global allocations are
# "still reachable" and not counted).
set -eu
build=$(cd "${1:-build}" && pwd)
src=$(pwd)
supp=$src/tests/valgrind.supp
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$build/mkimage" "$dir/a.jpg" 1800 1200 "$dir/b.png" 300 400
printf '\377\330\377\340 not a jpeg' > "$dir/corrupt.jpg"
cd "$dir"
# The default pipeline, with a job time limit valgrind's slowdown (some
# 50x) cannot reach.
sed 's/^limits: *{ */limits: { job_timeout: 15m, /' "$src/pipelines/default.yaml" > pipe.yaml
grep -q 'job_timeout: 15m' pipe.yaml
# libvips' optional format modules (HEIF, JPEG XL, ImageMagick, PDF,
# OpenSlide) stay unloaded: the core paths need none of them, and on a CPU
# whose CPUID hides RDTSCP valgrind 3.19 reports one that has it, so libhwy
# (under the JPEG XL module) executes RDTSCP while loading and dies of
# SIGILL.  libvips looks for its modules under $VIPSHOME/lib.
VIPSHOME=$dir/no-vips-modules
export VIPSHOME
vg="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
    --show-leak-kinds=definite --suppressions=$supp"
set +e
VIPS_NOVECTOR=1 PIXPIPE_KEEP_PLUGINS=1 $vg "$build/pixpipe" run -p pipe.yaml -j 2 a.jpg corrupt.jpg missing.jpg b.png > run.log 2>&1
rc=$?
set -e
if [ "$rc" -ne 1 ]; then
    cat run.log
    echo "memcheck: pixpipe run under valgrind exited $rc (want 1: two inputs fail)" >&2
    exit 1
fi
grep -q "2 processed, 2 failed, 0 skipped" run.log
# The jobs run in forked worker processes, which valgrind follows: their
# errors and leaks are reported on lines marked ==PID==, with exit codes
# the supervisor does not pass on.
if grep -q '^==[0-9]*==' run.log; then
    cat run.log
    echo "memcheck: valgrind found errors in a pixpipe process (above)" >&2
    exit 1
fi
VIPS_NOVECTOR=1 $vg "$build/pixpipe" validate > validate.log 2>&1 || { cat validate.log; exit 1; }
# quality: auto, the encoder's search (trials, SSIM passes), on the large
# rendition (a sample of tiles) and on a WebP thumbnail (compared whole).
sed -e 's/^output: .*/output: { rendition: large, format: jpeg, quality: auto, quality_target: 0.96 }/' \
    -e 's/^\(  - thumbnail: *{.*\)quality: 80 }/\1format: webp, quality: auto }/' pipe.yaml > auto.yaml
grep -q 'format: webp, quality: auto' auto.yaml
VIPS_NOVECTOR=1 $vg "$build/pixpipe" run -p auto.yaml a.jpg > auto.log 2>&1 || { cat auto.log; exit 1; }
if grep -q '^==[0-9]*==' auto.log || ! grep -q "1 processed, 0 failed" auto.log; then
    cat auto.log
    echo "memcheck: quality: auto under valgrind (above)" >&2
    exit 1
fi
echo "memcheck: no memory errors or definite leaks (run -j 2 with bad inputs: the supervisor and its workers; validate; quality: auto)"

#!/bin/sh
# Makes the benchmark inputs: JPEG (Q90) photos at 1, 6, 12, 24, 48 and
# 96 megapixels, a set of several per size, under OUT/<MP>mp/.
#
#   sh bench/inputs.sh BUILD OUT
#
# With the corpus (../shared/corpus/images) present, each input is a crop of
# a quilt of three real photos (two phone pictures and a camera picture,
# flipped and repeated), so it compresses and decodes like a photo at that
# size. Without it, BUILD/mkimage makes photo-like noise instead. Inputs
# already made are kept (OUT/.done-<MP> marks a finished size), so re-runs
# start at once.
set -eu

BUILD=$1
OUT=$2
SRC=$(cd "$(dirname "$0")/.." && pwd)
CORPUS="$SRC/../shared/corpus/images"

# SIZE:COUNT. Fewer large images: they take seconds each.
SETS="1:8 6:8 12:8 24:4 48:4 96:2"
[ "${BENCH_QUICK:-0}" = 1 ] && SETS="1:2 6:2 12:2"

PHOTOS="exif-samples/jpg/mobile/jolla.jpg sharp/2569067123_aca715a2ee_o.jpg
exif-samples/jpg/mobile/HMD_Nokia_8.3_5G.jpg"

have_corpus() {
    for p in $PHOTOS; do [ -f "$CORPUS/$p" ] || return 1; done
}

# 4:3 dimensions of a MP-megapixel picture.
dims() {
    awk -v mp="$1" 'BEGIN { w = int(sqrt(mp * 1e6 * 4 / 3) + 0.5); printf "%d %d\n", w, int(w * 3 / 4 + 0.5) }'
}

# A 5x5 quilt of 2600x1950 crops of the photos (13000x9750, 127 MP), in
# vips' own format so crops of it are cheap. The first cell is the phone
# photo, whose EXIF block the inputs inherit, as camera files carry one.
make_quilt() {
    t=$OUT/tiles
    mkdir -p "$t"
    i=0 cells=""
    for p in $PHOTOS; do
        vips crop "$CORPUS/$p" "$t/$i.v" 0 0 2600 1950
        vips flip "$t/$i.v" "$t/${i}f.v" horizontal
        i=$((i + 1))
    done
    for n in $(seq 0 24); do
        case $((n % 6)) in
        0) c=0 ;; 1) c=1 ;; 2) c=2 ;; 3) c=0f ;; 4) c=1f ;; 5) c=2f ;;
        esac
        cells="${cells:+$cells }$t/$c.v"
    done
    vips arrayjoin "$cells" "$OUT/quilt.tmp.v" --across 5
    mv "$OUT/quilt.tmp.v" "$OUT/quilt.v"
    rm -rf "$t"
}

mkdir -p "$OUT"
need=""
for set in $SETS; do
    mp=${set%%:*}
    [ -f "$OUT/.done-$mp" ] || need="$need $set"
done
[ -z "$need" ] && exit 0

if have_corpus; then
    echo "bench: making inputs from the corpus photos:$need"
    [ -f "$OUT/quilt.v" ] || make_quilt
    echo corpus > "$OUT/source.txt"
else
    echo "bench: no corpus at $CORPUS; generating photo-like inputs:$need"
    echo generated > "$OUT/source.txt"
fi

for set in $need; do
    mp=${set%%:*} count=${set#*:}
    set -- $(dims "$mp")
    w=$1 h=$2
    d=$OUT/${mp}mp
    rm -rf "$d"
    mkdir -p "$d"
    i=0
    while [ "$i" -lt "$count" ]; do
        f=$(printf '%s/img%02d.jpg' "$d" "$i")
        if [ -f "$OUT/quilt.v" ]; then
            # A different window of the quilt for each image.
            left=$(((i * 997) % (13000 - w + 1)))
            top=$(((i * 613) % (9750 - h + 1)))
            vips crop "$OUT/quilt.v" "$f[Q=90]" "$left" "$top" "$w" "$h"
        else
            "$BUILD/mkimage" "$f[Q=90]" "$w" "$h"
        fi
        i=$((i + 1))
    done
    touch "$OUT/.done-$mp"
done
rm -f "$OUT/quilt.v"

#!/bin/sh
# The input of docs/performance.md's bytes table (report.py, bytes_section):
# the large rendition of each photo made several ways, its bytes, and its
# luma SSIM (BUILD/similarity-probe, the metric `quality: auto` aims at)
# against the same rendition written losslessly (PNG) by the same tool.
#
#   sh bench/bytes.sh BUILD FALLBACK_SET WORK_DIR OUT.tsv
#
# The photos: real photographs of ../shared/corpus/images (CORPUS_PHOTOS
# below; the HEIC one turned into a PNG first, which sharp's prebuilt
# libvips cannot read), or, without the corpus, the JPEGs in FALLBACK_SET.
# Methods: the default pipeline (without describe) at JPEG Q82 (its
# default); the target, the SSIM Q82 gives the hardest photo of the set,
# so that every photo is at least as good as the worst one is now;
# `quality: auto` at that target; sharp at Q82, with its mozjpeg settings
# at Q82, and with mozjpeg at the lowest quality (a bisection over whole
# runs) whose worst photo reaches the same target.  sharp's renditions are
# scored against sharp's own lossless copy: its resampler differs from
# libvips 8.14's, which must not count as loss.
# OUT.tsv: photo, method, bytes, ssim, tab-separated, with that header;
# WORK_DIR/target.txt: target=, mozjpeg_quality=, photos= lines.
set -eu

BUILD=$(cd "$1" && pwd)
FALLBACK=$(cd "$2" && pwd) W=$3 OUT=$4
SRC=$(cd "$(dirname "$0")/.." && pwd)
CORPUS="$SRC/../shared/corpus/images"
P=$BUILD/pixpipe
PROBE=$BUILD/similarity-probe
SHARP_WORK="$SRC/bench/sharp/work.js"
[ -x "$PROBE" ] || { echo "bytes.sh: $PROBE is missing" >&2; exit 1; }
rm -rf "$W"
mkdir -p "$W/set"

# Four 6-12 MP photographs (two phones, a camera, an iPhone HEIC) and three
# smaller ones, written by others (see the corpus's README for each origin
# and licence); nothing of them is kept in the project.
CORPUS_PHOTOS="sharp/2569067123_aca715a2ee_o.jpg exif-samples/jpg/mobile/jolla.jpg
exif-samples/jpg/mobile/HMD_Nokia_8.3_5G.jpg libvips/Example1.heic sharp/Landscape_1.jpg
sharp/Portrait_1.jpg exif-samples/jpg/gps/DSCN0010.jpg"
have=1
for p in $CORPUS_PHOTOS; do [ -f "$CORPUS/$p" ] || have=0; done
if [ "$have" = 1 ]; then
    for p in $CORPUS_PHOTOS; do
        case $p in
        *.heic) vips copy "$CORPUS/$p" "$W/set/$(basename "$p" .heic).png" ;;
        *) ln -s "$CORPUS/$p" "$W/set/$(basename "$p")" ;;
        esac
    done
    photos=$(echo $CORPUS_PHOTOS)
else
    echo "bytes.sh: no corpus at $CORPUS; using $FALLBACK" >&2
    for f in "$FALLBACK"/*.jpg; do ln -s "$f" "$W/set/"; done
    photos="$(ls "$FALLBACK" | tr '\n' ' ')(bench inputs)"
fi

# The default pipeline less describe, with its output line replaced.
variant() {
    sed -e '/^  - describe:/d' -e "s|^output: .*|output:      $2|" \
        "$SRC/pipelines/default.yaml" > "$W/$1.yaml"
    grep -q "^output:      $2" "$W/$1.yaml"
}
run_variant() {
    mkdir -p "$W/$1"
    (cd "$W/$1" && "$P" run -q -p "$W/$1.yaml" "$W/set"/* > /dev/null)
}
score() {
    "$PROBE" "$1" "$2" | awk 'END { print $NF }'
}
variant ref "{ rendition: large, format: png }"
variant q82 "{ rendition: large, format: jpeg, quality: 82 }"
run_variant ref
run_variant q82

# The target: the worst Q82 score of the set.
target=1
for ref in "$W"/ref/out/*-large.png; do
    s=$(score "$ref" "$W/q82/out/$(basename "$ref" .png).jpg")
    target=$(awk -v a="$target" -v b="$s" 'BEGIN { printf "%.4f", (b < a ? b : a) - 0.00005 }')
done
# rounded down to 4 places, so that the hardest photo's own Q82 reaches it
target=$(awk -v t="$target" 'BEGIN { printf "%.4f", int(t * 10000) / 10000 }')
variant auto "{ rendition: large, format: jpeg, quality: auto, quality_target: $target }"
run_variant auto

sharp_run() { # DIR, then environment assignments
    d=$1
    shift
    mkdir -p "$W/$d"
    env "$@" /usr/bin/node "$SHARP_WORK" "$W/$d" "$W/set"/*
}
sharp_worst() { # DIR: the worst score of sharp's large renditions there
    worst=1
    for ref in "$W"/sharp-ref/*-large.png; do
        s=$(score "$ref" "$W/$1/$(basename "$ref" .png).jpg")
        worst=$(awk -v a="$worst" -v b="$s" 'BEGIN { print (b < a ? b : a) }')
    done
    echo "$worst"
}
sharp_run sharp-ref BENCH_SHARP_LARGE=png
sharp_run sharp BENCH_SHARP_QUALITY=82
sharp_run sharp-moz BENCH_SHARP_QUALITY=82 BENCH_SHARP_MOZJPEG=1
# mozjpeg's lowest quality whose worst photo reaches the target: a
# bisection over whole runs of the set, between 30 and 100
lo=29 hi=100
while [ $((hi - lo)) -gt 1 ]; do
    mid=$(((lo + hi) / 2))
    rm -rf "$W/sharp-moz-try"
    sharp_run sharp-moz-try BENCH_SHARP_QUALITY=$mid BENCH_SHARP_MOZJPEG=1
    if awk -v w="$(sharp_worst sharp-moz-try)" -v t="$target" 'BEGIN { exit !(w >= t) }'; then
        hi=$mid
    else
        lo=$mid
    fi
done
rm -rf "$W/sharp-moz-try"
sharp_run sharp-moz-target BENCH_SHARP_QUALITY=$hi BENCH_SHARP_MOZJPEG=1

printf 'target=%s\nmozjpeg_quality=%s\nphotos=%s\n' "$target" "$hi" "$photos" > "$W/target.txt"
printf 'photo\tmethod\tbytes\tssim\n' > "$OUT.tmp"
for ref in "$W"/ref/out/*-large.png; do
    photo=$(basename "$ref" -large.png)
    for m in q82 auto; do
        f=$W/$m/out/$photo-large.jpg
        case $m in auto) label="pixpipe quality: auto" ;; *) label="pixpipe Q82" ;; esac
        printf '%s\t%s\t%s\t%s\n' "$photo" "$label" "$(stat -c %s "$f")" "$(score "$ref" "$f")"
    done
    for m in sharp:"sharp Q82" sharp-moz:"sharp mozjpeg Q82" sharp-moz-target:"sharp mozjpeg Q$hi (target)"; do
        d=${m%%:*} label=${m#*:}
        f=$W/$d/$photo-large.jpg
        printf '%s\t%s\t%s\t%s\n' "$photo" "$label" "$(stat -c %s "$f")" \
            "$(score "$W/sharp-ref/$photo-large.png" "$f")"
    done
done >> "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "bytes: target $target (the worst Q82 photo); sharp mozjpeg reaches it at Q$hi"

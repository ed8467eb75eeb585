#!/bin/sh
# The input of docs/performance.md's bytes table (report.py, bytes_section):
# the large rendition of each photo in SET made several ways, its bytes, and
# its luma SSIM (BUILD/similarity-probe, the metric `quality: auto` aims at)
# against the same rendition written losslessly (PNG) by the same tool.
#
#   sh bench/bytes.sh BUILD SET_DIR WORK_DIR OUT.tsv
#
# Methods: the default pipeline (without describe) at JPEG Q70, Q82 (its
# default) and Q90, with `quality: auto` at quality_target 0.97 when this
# pixpipe has it, and sharp at Q82 (against sharp's own lossless copy: its
# resampler differs from libvips 8.14's, which must not count as loss).
# OUT.tsv: photo, method, bytes, ssim, tab-separated, with that header.
set -eu

BUILD=$(cd "$1" && pwd)
SET=$(cd "$2" && pwd) W=$3 OUT=$4
SRC=$(cd "$(dirname "$0")/.." && pwd)
P=$BUILD/pixpipe
PROBE=$BUILD/similarity-probe
[ -x "$PROBE" ] || { echo "bytes.sh: $PROBE is missing" >&2; exit 1; }
rm -rf "$W"
mkdir -p "$W"

# The default pipeline less describe, with its output line replaced.
variant() {
    sed -e '/^  - describe:/d' -e "s|^output: .*|output:      $2|" \
        "$SRC/pipelines/default.yaml" > "$W/$1.yaml"
    grep -q "^output:      $2" "$W/$1.yaml"
}
variant ref "{ rendition: large, format: png }"
methods="q70 q82 q90"
for q in 70 82 90; do
    variant "q$q" "{ rendition: large, format: jpeg, quality: $q }"
done
variant auto "{ rendition: large, format: jpeg, quality: auto, quality_target: 0.97 }"
if "$P" validate -p "$W/auto.yaml" > /dev/null 2>&1; then
    methods="$methods auto"
else
    echo "bytes.sh: this pixpipe has no quality: auto; its row is left out" >&2
fi
for m in ref $methods; do
    mkdir -p "$W/$m"
    (cd "$W/$m" && "$P" run -q -p "$W/$m.yaml" "$SET"/*.jpg > /dev/null)
done
mkdir -p "$W/sharp-ref" "$W/sharp"
SHARP_WORK="$SRC/bench/sharp/work.js"
BENCH_SHARP_LARGE=png /usr/bin/node "$SHARP_WORK" "$W/sharp-ref" "$SET"/*.jpg
/usr/bin/node "$SHARP_WORK" "$W/sharp" "$SET"/*.jpg

score() {
    "$PROBE" "$1" "$2" | awk 'END { print $NF }'
}
printf 'photo\tmethod\tbytes\tssim\n' > "$OUT.tmp"
for ref in "$W"/ref/out/*-large.png; do
    photo=$(basename "$ref" -large.png)
    for m in $methods; do
        f=$W/$m/out/$photo-large.jpg
        case $m in auto) label="pixpipe quality: auto" ;; *) label="pixpipe Q${m#q}" ;; esac
        printf '%s\t%s\t%s\t%s\n' "$photo" "$label" "$(stat -c %s "$f")" "$(score "$ref" "$f")"
    done
    f=$W/sharp/$photo-large.jpg
    printf '%s\t%s\t%s\t%s\n' "$photo" "sharp Q82" "$(stat -c %s "$f")" \
        "$(score "$W/sharp-ref/$photo-large.png" "$f")"
done >> "$OUT.tmp"
mv "$OUT.tmp" "$OUT"

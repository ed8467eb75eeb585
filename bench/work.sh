#!/bin/sh
# One benchmark run of one tool: what hyperfine times.
#
#   sh bench/work.sh pixpipe DIR FILE...       default pipeline, cwd DIR (./out)
#   sh bench/work.sh floor DIR FILE...         bench-floor, both renditions into DIR
#   sh bench/work.sh floor-pair DIR FILE...    two bench-floor processes side by
#                                              side, every other file each
#   sh bench/work.sh sharp DIR FILE...         bench/sharp/work.js, into DIR
#   sh bench/work.sh vipsthumbnail DIR FILE... both renditions into DIR
#   sh bench/work.sh imagemagick DIR FILE...   both renditions into DIR
#
# PIXPIPE, FLOOR and SHARP_WORK are the programs; PIXPIPE_ARGS adds options
# (e.g. "-j 1"); BENCH_SHARP_* are work.js's settings; IM_HINT is
# ImageMagick's jpeg:size hint for the large rendition. Every command is
# what a user would type; see docs/performance.md. Like pixpipe's resize,
# the peers only ever shrink (">"): pixpipe never enlarges a small photo.
set -eu
tool=$1 dir=$2
shift 2
# The floor gets the heap settings pixpipe gives itself at start
# (core/setup.c: two arenas, fixed 32 MiB mmap and trim thresholds), through
# glibc's own variables: the same allocator behind the same pixel work,
# so that the ratio measures the framework and not malloc's page faults.
FLOOR_HEAP="MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=33554432"
case $tool in
pixpipe)
    cd "$dir"
    # shellcheck disable=SC2086
    exec "$PIXPIPE" run -q ${PIXPIPE_ARGS:-} "$@"
    ;;
floor)
    # shellcheck disable=SC2086
    exec env $FLOOR_HEAP "$FLOOR" "$dir" "$@"
    ;;
floor-pair)
    # The bench's file names have no spaces: plain lists are enough.
    a="" b="" i=0
    for f in "$@"; do
        if [ $((i % 2)) = 0 ]; then a="$a $f"; else b="$b $f"; fi
        i=$((i + 1))
    done
    set -f
    # shellcheck disable=SC2086
    env $FLOOR_HEAP "$FLOOR" "$dir" $a &
    pa=$!
    ra=0 rb=0
    if [ -n "$b" ]; then
        # shellcheck disable=SC2086
        env $FLOOR_HEAP "$FLOOR" "$dir" $b || rb=$?
    fi
    wait "$pa" || ra=$?
    [ "$ra" = 0 ] && [ "$rb" = 0 ]
    ;;
sharp)
    exec /usr/bin/node "$SHARP_WORK" "$dir" "$@"
    ;;
vipsthumbnail)
    vipsthumbnail -s '1600x1600>' -o "$dir/%s-large.jpg[Q=82,optimize_coding]" "$@"
    exec vipsthumbnail -s 256x256 --smartcrop attention \
        -o "$dir/%s-thumb.jpg[Q=80,optimize_coding]" "$@"
    ;;
imagemagick)
    # The jpeg:size hints let libjpeg decode at a reduced scale, as a user
    # who knows ImageMagick would ask. The hint must not exceed the image in
    # either dimension: ImageMagick 6.9.11 then decodes at twice the size
    # (its scale denominator, floor(image / hint), becomes 0), 4x the work.
    for f in "$@"; do
        n=$(basename "$f" .jpg)
        /usr/bin/convert -define "jpeg:size=${IM_HINT:-1600x1600}" "$f" -auto-orient -strip \
            -resize '1600x1600>' -quality 82 "$dir/$n-large.jpg"
        /usr/bin/convert -define jpeg:size=256x256 "$f" -auto-orient -strip \
            -thumbnail '256x256^' -gravity center -extent 256x256 -quality 80 "$dir/$n-thumb.jpg"
    done
    ;;
*)
    echo "work.sh: unknown tool $tool" >&2
    exit 2
    ;;
esac

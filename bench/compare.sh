#!/bin/sh
# Checks that two tools made the same renditions: every NAME-large.jpg and
# NAME-thumb.jpg in DIR_A has a twin in DIR_B with the same dimensions, and
# the mean absolute difference of their pixels (over all bands, 0..255) is
# at most MAX_MEAN.  Prints one line: files, the largest mean and maximum
# difference and where.  Exits 1 when a file is missing, a size differs or
# a mean is over MAX_MEAN.
#
#   sh bench/compare.sh DIR_A DIR_B [MAX_MEAN]     (MAX_MEAN: 0.5)
set -eu

a=$1 b=$2 limit=${3:-0.5}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 bad=0 worst=0 worst_max=0 where=-
for f in "$a"/*-large.jpg "$a"/*-thumb.jpg; do
    [ -f "$f" ] || continue
    name=$(basename "$f")
    g=$b/$name
    n=$((n + 1))
    if [ ! -f "$g" ]; then
        echo "compare: $name is missing from $b" >&2
        bad=1
        continue
    fi
    da=$(vipsheader -f width "$f")x$(vipsheader -f height "$f")
    db=$(vipsheader -f width "$g")x$(vipsheader -f height "$g")
    if [ "$da" != "$db" ]; then
        echo "compare: $name is $da in $a, $db in $b" >&2
        bad=1
        continue
    fi
    vips subtract "$f" "$g" "$tmp/d.v"
    vips abs "$tmp/d.v" "$tmp/a.v"
    mean=$(vips avg "$tmp/a.v")
    max=$(vips max "$tmp/a.v")
    if awk -v m="$mean" -v w="$worst" 'BEGIN { exit !(m > w) }'; then
        worst=$mean worst_max=$max where=$name
    fi
    if awk -v m="$mean" -v l="$limit" 'BEGIN { exit !(m > l) }'; then
        echo "compare: $name differs by $mean on average (limit $limit)" >&2
        bad=1
    fi
done
[ "$n" -gt 0 ] || { echo "compare: no renditions in $a" >&2; exit 1; }
if [ "$bad" = 0 ] && [ "$where" = - ]; then
    echo "$n files, same sizes, identical pixels"
else
    printf '%d files, %s; largest mean abs difference %.4f (max %.0f) in %s\n' "$n" \
        "$([ "$bad" = 0 ] && echo "same sizes, means within $limit" || echo "NOT THE SAME")" \
        "$worst" "$worst_max" "$where"
fi
exit "$bad"

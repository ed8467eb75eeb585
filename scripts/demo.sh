#!/bin/sh
# make demo: sample pictures made here (nothing downloaded), the embedded
# default pipeline run on them, and a look at what came out.
set -eu
build=${1:-build}
demo=demo
rm -rf "$demo"
mkdir -p "$demo/in/holiday"
mk="$build/mkimage"
# a phone photo stored sideways (EXIF orientation 6) with camera and GPS data
"$mk" --scene --orientation 6 --camera "$demo/in/phone.jpg" 4000 3000
"$mk" --scene --camera "$demo/in/landscape.jpg" 3000 2000
"$mk" --scene "$demo/in/holiday/beach.webp" 2400 1600
"$mk" "$demo/in/noise.png" 1200 1800 "$demo/in/small.jpg" 200 150
cd "$demo"
echo "== pixpipe run in/ (the embedded default pipeline)"
"../$build/pixpipe" run in
echo
echo "== renditions in $demo/out/"
for f in $(find out -type f ! -name 'metadata.db*' | sort); do
    printf '%-32s %s\n' "$f" "$(vipsheader "$f" | sed 's/^[^:]*: //')"
done
if command -v exiftool >/dev/null 2>&1; then
    echo
    echo "== private data: in/phone.jpg, then out/phone-large.jpg"
    for f in in/phone.jpg out/phone-large.jpg; do
        tags=$(exiftool -s -s -s -Make -Model -DateTimeOriginal -GPSPosition -Orientation "$f" |
               tr '\n' ';')
        printf '%-22s %s\n' "$f" "${tags:-(no camera, date, GPS or orientation tags)}"
    done
fi
echo
echo "== metadata rows in $demo/out/metadata.db"
sqlite3 -header -column out/metadata.db \
  "SELECT source_key, status, format, width, height, renditions FROM images ORDER BY source_key"

#!/bin/sh
# make demo: sample images made here (nothing downloaded), the embedded
# default pipeline run on them, and where the results are.
set -eu
build=${1:-build}
demo=demo
rm -rf "$demo"
mkdir -p "$demo/in/holiday"
"$build/mkimage" "$demo/in/landscape.jpg" 4000 3000 \
                 "$demo/in/portrait.png" 1200 1800 \
                 "$demo/in/holiday/beach.webp" 2400 1600 \
                 "$demo/in/small.jpg" 640 480
cd "$demo"
echo "== pixpipe run in/ (embedded default pipeline)"
"../$build/pixpipe" run in
echo
echo "== renditions in $demo/out/"
find out -type f ! -name 'metadata.db*' | sort
echo
echo "== metadata rows in $demo/out/metadata.db"
sqlite3 -header -column out/metadata.db \
  "SELECT source_key, status, format, width, height, renditions FROM images ORDER BY source_key"

#!/bin/sh
# Installs what `make bench` needs beyond the build's own (scripts/deps.sh):
# the Debian 12 packages hyperfine, GNU time, ImageMagick, gnuplot, python3
# and the libvips tools, Node.js and npm when /usr/bin/node or /usr/bin/npm
# is missing, then sharp from bench/sharp/package-lock.json (`npm ci`, the
# prebuilt linux-x64 binaries npm brings in as sharp's dependencies; nothing
# is fetched at run time). As root it runs apt-get; otherwise it prints the
# command and fails.
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
PACKAGES="hyperfine time imagemagick gnuplot-nox python3 libvips-tools"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
# Node.js may come from elsewhere than Debian (it then brings its own npm):
# the commands are what the bench needs.
[ -x /usr/bin/node ] || missing="$missing nodejs"
[ -x /usr/bin/npm ] || missing="$missing npm"

if [ -n "$missing" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "make bench needs these Debian packages:$missing" >&2
        echo "install them with:  sudo apt-get install -y$missing" >&2
        exit 1
    fi
    echo "installing:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# sharp, as the lock file pins it; again only when the lock file changed.
S=$SRC/bench/sharp
if [ ! -f "$S/node_modules/.package-lock.json" ] ||
    [ -n "$(find "$S/package-lock.json" -newer "$S/node_modules/.package-lock.json")" ]; then
    echo "bench: installing sharp (npm ci in bench/sharp)"
    (cd "$S" && /usr/bin/npm ci --no-audit --no-fund --loglevel=error)
fi
/usr/bin/node -e 'require(process.argv[1])' "$S/node_modules/sharp"

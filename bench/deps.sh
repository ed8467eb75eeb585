#!/bin/sh
# Installs the Debian 12 packages `make bench` needs beyond the build's own
# (scripts/deps.sh): hyperfine, GNU time, ImageMagick, gnuplot and python3.
# As root it runs apt-get; otherwise it prints the command and fails.
set -eu

PACKAGES="hyperfine time imagemagick gnuplot-nox python3 libvips-tools"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

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

#!/bin/sh
# Installs the Debian 12 packages pixpipe builds and tests with, when some
# are missing: as root it runs apt-get, otherwise it prints the one command
# to run and fails.
set -eu

PACKAGES="gcc make pkg-config libc6-dev libvips-dev libvips-tools libyaml-dev libjansson-dev
libsqlite3-dev sqlite3 libcriterion-dev libcurl4-openssl-dev libssl-dev
libimage-exiftool-perl fonts-dejavu-core awscli"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
# The test servers (tests/servers) run on Node.js; any node/npm on PATH will
# do (the machines ship Node 20), Debian's only when there is none.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "pixpipe needs these Debian packages:$missing" >&2
    echo "install them with:  sudo apt-get install -y$missing" >&2
    exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null

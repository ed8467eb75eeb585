#!/bin/sh
# Installs the Debian 12 packages pixpipe builds and tests with, when some
# are missing: as root it runs apt-get, otherwise it prints the one command
# to run and fails.
#   scripts/deps.sh [memcheck|fresh-check|image|fuzz|bench-bucket]...   also what those targets need
#   scripts/deps.sh --list    prints the packages of `make demo` and `make test`
set -eu

# The build: compiler and -dev packages.  The tests also call, each by its
# Debian path: vips/vipsheader (libvips-tools), sqlite3, exiftool
# (libimage-exiftool-perl), curl (the Runtime API and gate admin requests),
# /usr/bin/aws (awscli), /usr/bin/python3 with python3-botocore (a signer
# no one here wrote, for the gate's tamper test), and the fonts the
# watermark draws with.  Everything else they run (sh, cp, find, script,
# sha256sum, truncate, ...) is in every Debian system.
PACKAGES="gcc make pkg-config libc6-dev libvips-dev libvips-tools libyaml-dev libjansson-dev
libsqlite3-dev sqlite3 libcriterion-dev libcurl4-openssl-dev libssl-dev libxml2-dev libwebp-dev
libimage-exiftool-perl fonts-dejavu-core awscli curl python3 python3-botocore"

if [ "${1:-}" = --list ]; then
    echo $PACKAGES nodejs npm
    exit 0
fi
for extra in "$@"; do
    case $extra in
    memcheck) PACKAGES="$PACKAGES valgrind" ;;
    # A throw-away Debian 12 in a folder, chrooted into.
    fresh-check) PACKAGES="$PACKAGES debootstrap" ;;
    # podman/buildah build deploy/Dockerfile; the base image is made with
    # debootstrap when there is none; the check unpacks the image with tar.
    image) PACKAGES="$PACKAGES podman buildah debootstrap tar" ;;
    # make fuzz: /usr/bin/clang, and libFuzzer's and the sanitizers' runtimes
    # (libclang_rt.fuzzer-x86_64.a...), which clang only recommends.
    fuzz) PACKAGES="$PACKAGES clang libclang-rt-14-dev" ;;
    # make bench-bucket: GNU time for wall time and peak RSS, pgrep.
    bench-bucket) PACKAGES="$PACKAGES time procps" ;;
    *) echo "deps.sh: unknown set '$extra' (memcheck, fresh-check, image, fuzz, bench-bucket)" >&2; exit 2 ;;
    esac
done

missing=""
for p in $PACKAGES; do
    case " $missing " in *" $p "*) continue ;; esac
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

#!/bin/sh
# Makes a Debian 12 minbase in DIR with debootstrap, set up as another
# machine on this network would be: this machine's Debian mirror and apt
# sources (security and updates too) and its apt network settings (a
# proxy, a snapshot's dates).  Used by fresh-check.sh and image.sh.
#   scripts/minbase.sh DIR CACHE     (as root)
# CACHE keeps the downloaded .deb files between runs.
set -eu
[ $# -eq 2 ] || { echo "usage: $0 DIR CACHE" >&2; exit 2; }
root=$1
cache=$2

fail() { echo "minbase: $*" >&2; exit 1; }

mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
[ -n "$mirror" ] || mirror=$(sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) bookworm .*/\2/p' \
    /etc/apt/sources.list 2>/dev/null | head -n 1)
[ -n "$mirror" ] || fail "no Debian bookworm mirror in /etc/apt/sources.list or sources.list.d/debian.sources"

mkdir -p "$root" "$cache"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! debootstrap --variant=minbase --cache-dir="$(cd "$cache" && pwd)" bookworm "$root" "$mirror" >"$log" 2>&1; then
    tail -n 20 "$log" >&2
    fail "debootstrap --variant=minbase bookworm $root $mirror failed"
fi

if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    rm -f "$root/etc/apt/sources.list"
    cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
fi
for f in /etc/apt/apt.conf.d/*; do
    if grep -q '^Acquire::' "$f" 2>/dev/null; then
        cp "$f" "$root/etc/apt/apt.conf.d/"
    fi
done
# debootstrap's own downloads are in CACHE; nothing of them in the system.
rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*_Packages

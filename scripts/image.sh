#!/bin/sh
# Builds the Lambda container image from deploy/Dockerfile with podman
# (--isolation chroot: no container engine or daemon needed), as root.
#   scripts/image.sh            (`make image`)
# No registry is reached: when debian:bookworm-slim is not in podman's
# storage, it is made here from a Debian 12 minbase (scripts/minbase.sh)
# and tagged so.  The image is tagged $PIXPIPE_IMAGE (default
# localhost/pixpipe:latest); its size is printed.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
tag=${PIXPIPE_IMAGE:-localhost/pixpipe:latest}
base=docker.io/library/debian:bookworm-slim
cache=${PIXPIPE_IMAGE_CACHE:-/var/cache/pixpipe/image}

fail() { echo "image: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "needs root (podman's chroot isolation and debootstrap)"
sh "$src/scripts/deps.sh" image

if ! podman image exists "$base"; then
    work=$(mktemp -d "${TMPDIR:-/var/tmp}/pixpipe-base.XXXXXX")
    trap 'rm -rf --one-file-system "$work"' EXIT
    echo "image: no $base here: making it from a Debian 12 minbase"
    sh "$src/scripts/minbase.sh" "$work/root" "$cache/debootstrap"
    # As the official slim image is: no apt lists, docs or man pages, and
    # apt keeps no downloaded packages in the layers built on it.
    rm -rf "$work/root/var/lib/apt/lists/"* "$work/root/usr/share/doc/"* "$work/root/usr/share/man/"*
    echo 'APT::Keep-Downloaded-Packages "false";' > "$work/root/etc/apt/apt.conf.d/docker-clean"
    tar -C "$work/root" --numeric-owner -cf - . |
        podman import --change 'CMD ["bash"]' - "$base" >/dev/null
    rm -rf --one-file-system "$work"
    trap - EXIT
fi

# The build context is the source tree; .dockerignore keeps build trees and
# node_modules out of it.
start=$(date +%s)
podman build --isolation chroot --pull=never --layers -f "$src/deploy/Dockerfile" -t "$tag" "$src"
size=$(podman image inspect --format '{{.Size}}' "$tag")
echo "image: $tag built in $(($(date +%s) - start)) s, $((size / 1000000)) MB ($size bytes)"

#!/bin/sh
# Lays out, in OUT, the whole file system of the runtime image: pixpipe as
# installed in /opt/pixpipe, every shared library it and its plugins load
# (their ldd closure, nothing else), the fonts and font configuration the
# watermark draws with, with their cache built, the CA certificates, and a
# passwd entry for the user the function runs as.  Run in the Dockerfile's
# build stage; the runtime stage is this tree alone, FROM scratch.
#   deploy/rootfs.sh OUT
set -eu
out=$(mkdir -p "$1" && cd "$1" && pwd)
prefix=/opt/pixpipe

mkdir -p "$out"
# Debian's merged /usr: the loader is asked for by /lib64's path.
mkdir -p "$out/usr/lib/x86_64-linux-gnu" "$out/usr/lib64" "$out/usr/bin" "$out/etc" "$out/tmp"
ln -s usr/lib "$out/lib"
ln -s usr/lib64 "$out/lib64"
ln -s usr/bin "$out/bin"
chmod 1777 "$out/tmp"

# Trees copied whole, with their modes, times and links, to the same path.
copy_tree() {
    for t in "$@"; do
        [ -e "$t" ] || continue
        (cd / && cp -a --parents "${t#/}" "$out")
    done
}
copy_tree "$prefix"

# Each library under its soname, in the folder it has on Debian (with /lib
# read as /usr/lib), so that the loader's own search finds it.
copy_lib() {
    dir=$(readlink -f "$(dirname "$1")")
    [ -e "$out$dir/$(basename "$1")" ] && return 0
    mkdir -p "$out$dir"
    cp -L "$1" "$out$dir/$(basename "$1")"
}
find "$prefix" -type f \( -name '*.so*' -o -perm -u+x \) | while read -r f; do
    ldd "$f" 2>/dev/null || continue # not an ELF object (a script, a .pc file)
done >"$out/.ldd"
if grep 'not found' "$out/.ldd"; then
    echo "rootfs.sh: libraries missing (above)" >&2
    exit 1
fi
awk '/=> \// { print $3 } /^\t\// { print $1 }' "$out/.ldd" | sort -u | while read -r lib; do
    copy_lib "$lib"
done
[ -e "$out/usr/lib64/ld-linux-x86-64.so.2" ] ||
    ln -s ../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$out/usr/lib64/ld-linux-x86-64.so.2"
# glibc loads libgcc_s itself when a thread is cancelled or exits.
copy_lib /lib/x86_64-linux-gnu/libgcc_s.so.1
printf '%s\n' /opt/vips/lib /usr/lib/x86_64-linux-gnu > "$out/etc/ld.so.conf"
rm "$out/.ldd"
ldconfig -r "$out"

# Fonts: the files, fontconfig's configuration and the cache built here,
# so that the first text watermark does not scan the fonts at cold start
# (and Lambda's root file system is read-only).
copy_tree /usr/share/fonts/truetype/dejavu /etc/fonts /usr/share/fontconfig /var/cache/fontconfig

# TLS: the CA bundle libcurl reads.
copy_tree /etc/ssl/certs/ca-certificates.crt

# Name resolution without NSS modules (files and DNS are in glibc itself).
printf 'hosts: files dns\n' > "$out/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' > "$out/etc/hosts"
printf 'root:x:0:0:root:/root:/nonexistent\npixpipe:x:993:993:pixpipe:/tmp:/nonexistent\n' > "$out/etc/passwd"
printf 'root:x:0:\npixpipe:x:993:\n' > "$out/etc/group"

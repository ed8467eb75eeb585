# Sourced by the scripts that chroot into a tree of their own
# (fresh-check.sh, image-check.sh).
#
# release_mounts DIR: unmounts everything mounted under DIR, deepest first.
# The trees bind /dev with --make-rslave, so this never reaches the host's
# own mounts.  Returns 1 (and says so) when a mount is left, so that the
# caller does not remove files through it.
release_mounts() {
    grep -o " $1/[^ ]*" /proc/mounts | sort -r | while read -r m; do
        umount -l "$m" 2>/dev/null || true
    done
    if grep -q " $1/" /proc/mounts; then
        echo "mounts left under $1: not removing it" >&2
        return 1
    fi
}

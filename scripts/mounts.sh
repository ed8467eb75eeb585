# Sourced by the scripts that chroot into a tree of their own
# (fresh-check.sh, image-check.sh).
#
# kill_rooted DIR: ends every process whose root directory is DIR (what a
# chroot started and left running: test servers, a build), so that nothing
# outlives the script or holds the tree.
kill_rooted() {
    for sig in TERM KILL; do
        found=0
        for p in /proc/[0-9]*; do
            [ "$(readlink "$p/root" 2>/dev/null)" = "$1" ] || continue
            kill -s "$sig" "${p#/proc/}" 2>/dev/null && found=1
        done
        [ "$found" -eq 1 ] || return 0
        sleep 1
    done
}
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

# on_exit_remove_tree WORK ROOT: on every way out of the script, ends what
# runs in the chroot ROOT, unmounts everything under its folder WORK, then
# removes WORK, keeping the exit status.
on_exit_remove_tree() {
    _rt_work=$1 _rt_root=$2
    trap 'status=$?; kill_rooted "$_rt_root"; release_mounts "$_rt_work" && rm -rf --one-file-system "$_rt_work"; exit "$status"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM HUP
}

#!/bin/sh
# Tries the README's quick start as a new user would: on a throw-away
# Debian 12 (debootstrap --variant=minbase) with only make, git and
# ca-certificates installed, a clone of the current commit, and ../shared
# beside it when this tree has one.  It runs the two commands of the
# README's quick start exactly as written there, as root, and reports each
# one's exit status and the test suite's closing line.
#   scripts/fresh-check.sh        (as root; `make fresh-check`)
# The system is made in $TMPDIR (else /var/tmp) and removed, with every
# mount under it, on every way out.  Downloaded .deb files are kept in
# $PIXPIPE_FRESH_CACHE (default /var/cache/pixpipe/fresh-check; "none" for
# no cache) so a second run does not fetch them again; nothing else is.
# The logs of the two commands are left in build/fresh-check/.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)

fail() { echo "fresh-check: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap, chroot and mounts)"
sh "$src/scripts/deps.sh" fresh-check

commit=$(git -C "$src" rev-parse HEAD)
if [ -n "$(git -C "$src" status --porcelain --untracked-files=no)" ]; then
    echo "fresh-check: the work tree has uncommitted changes; checking the commit $commit alone" >&2
fi

# The two commands, read from the README's quick start block.
cmds=$(awk '/^## Quick start/ { q = 1; next }
            q && /^## / { exit }
            q && /^```/ { if (b) exit; b = 1; next }
            q && b && NF { sub(/[ \t]*#.*/, ""); print }' "$src/README.md")
[ "$(printf '%s\n' "$cmds" | grep -c .)" -eq 2 ] ||
    fail "README.md: the quick start should hold exactly two commands, it holds: $cmds"

. "$src/scripts/mounts.sh"
work=$(cd "$(mktemp -d "${TMPDIR:-/var/tmp}/pixpipe-fresh.XXXXXX")" && pwd -P)
root=$work/root
on_exit_remove_tree "$work" "$root"

cache=${PIXPIPE_FRESH_CACHE:-/var/cache/pixpipe/fresh-check}
[ "$cache" = none ] && cache=$work/cache
mkdir -p "$cache/debootstrap" "$cache/apt" "$root"
logs=$src/build/fresh-check
mkdir -p "$logs"
rm -f "$logs"/*.log

t0=$(date +%s)
echo "fresh-check: debootstrap --variant=minbase bookworm"
sh "$src/scripts/minbase.sh" "$root" "$cache/debootstrap"

# Name resolution and the extra CA certificates of a TLS-inspecting proxy:
# what a machine on this network is given.
cp /etc/resolv.conf "$root/etc/resolv.conf"
if [ -d /usr/local/share/ca-certificates ]; then
    mkdir -p "$root/usr/local/share/ca-certificates"
    cp -R /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
fi

mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --rbind /dev "$root/dev"
mount --make-rslave "$root/dev"
mount --bind "$cache/apt" "$root/var/cache/apt/archives"

in_root() {
    chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /bin/sh -c "$1"
}
echo "fresh-check: apt-get install make git ca-certificates"
# In the background, waited for: a signal then ends the wait at once and the
# exit trap ends what runs in the chroot (sh runs no trap while a command in
# the foreground runs).
run_in_root() {
    in_root "$1" </dev/null >"$2" 2>&1 &
    wait $!
}
run_in_root 'export DEBIAN_FRONTEND=noninteractive; apt-get update -qq &&
         apt-get install -y -qq make git ca-certificates' "$logs/base.log" ||
    { tail -n 20 "$logs/base.log" >&2; fail "installing make, git and ca-certificates failed"; }

git clone -q --no-hardlinks "$src" "$root/root/pixpipe"
git -C "$root/root/pixpipe" checkout -q "$commit"
if [ -d "$src/../shared" ]; then
    mkdir "$root/root/shared"
    mount --bind "$(cd "$src/../shared" && pwd)" "$root/root/shared"
    mount -o remount,bind,ro "$root/root/shared"
fi
t1=$(date +%s)
echo "fresh-check: Debian 12 minbase ready in $((t1 - t0)) s; commit $commit"

# Each command as written, in the clone, one after the other.
results=""
all_ok=1
n=0
printf '%s\n' "$cmds" > "$work/cmds"
while read -r cmd; do
    n=$((n + 1))
    log=$logs/$n.log
    s=$(date +%s)
    set +e
    run_in_root "cd /root/pixpipe && $cmd" "$log"
    rc=$?
    set -e
    e=$(($(date +%s) - s))
    [ "$rc" -eq 0 ] || all_ok=0
    results="$results$(printf '  %-12s exit %d in %d s (log: %s)' "$cmd" "$rc" "$e" "$log")
"
    if [ "$rc" -ne 0 ]; then
        echo "fresh-check: '$cmd' exited $rc; its last lines:" >&2
        tail -n 30 "$log" >&2
    fi
done < "$work/cmds"

echo "fresh-check: on a fresh Debian 12 (total $(($(date +%s) - t0)) s):"
printf '%s' "$results"
# Criterion's closing lines: one per suite (unit, then e2e).
synth=$(grep -h 'Synthesis:' "$logs"/[0-9].log 2>/dev/null | sed 's/.*Synthesis: *//')
n_synth=$(printf '%s\n' "$synth" | grep -c 'Tested:' || true)
printf '%s\n' "${synth:-no closing line found}" | sed 's/^/  test suite: /'
if [ "$all_ok" -ne 1 ]; then
    fail "the quick start does not work on a fresh Debian 12"
fi
[ "$n_synth" -eq 2 ] || fail "expected the closing lines of 2 suites (unit, e2e), found $n_synth"
if printf '%s\n' "$synth" | grep -v -q 'Failing: 0 | Crashing: 0'; then
    fail "a suite's closing line does not say 0 failing"
fi
echo "fresh-check: both README commands passed"

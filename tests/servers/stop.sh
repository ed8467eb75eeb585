#!/bin/sh
# Stops the servers that tests/servers/start.sh DIR started (their pid is in
# DIR/pid); waits up to 2 s for them to go, then kills them.
set -u
# Alive and not a zombie (the process may be reparented to an init that
# does not reap, where kill -0 would still succeed).
alive() {
    [ -r "/proc/$1/stat" ] && ! sed 's/.*) //' "/proc/$1/stat" | grep -q '^Z'
}

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
[ -f "$1/pid" ] || exit 0
pid=$(cat "$1/pid")
if kill "$pid" 2>/dev/null; then
    n=40
    while alive "$pid" && [ "$n" -gt 0 ]; do sleep 0.05; n=$((n - 1)); done
    kill -9 "$pid" 2>/dev/null || true
fi
rm -f "$1/pid"

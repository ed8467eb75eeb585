#!/usr/bin/env python3
"""Runs one command and samples its memory: every 0.2 s, the VmRSS lines of
/proc/PID/status summed over the process and its descendants (pixpipe's
worker processes), and how many images it has finished (the *-large.jpg
files under CWD/out). Writes a TSV: seconds, images done, RSS in KiB.

    rss.py OUT.tsv CWD COMMAND [ARG...]
"""
import os
import subprocess
import sys
import time

INTERVAL = 0.2


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


def tree_rss_kib(pid):
    total, seen = None, [pid]
    while seen:
        p = seen.pop()
        rss = rss_kib(p)
        if rss is not None:
            total = (total or 0) + rss
        seen.extend(children(p))
    return total


def images_done(root):
    n = 0
    for _, _, files in os.walk(root):
        n += sum(1 for name in files if name.endswith("-large.jpg"))
    return n


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    out, cwd, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd)
    rows = []
    while proc.poll() is None:
        rss = tree_rss_kib(proc.pid)
        if rss is not None:
            rows.append((time.monotonic() - start, images_done(os.path.join(cwd, "out")), rss))
        time.sleep(INTERVAL)
    with open(out, "w") as f:
        f.write("seconds\timages\trss_kib\n")
        for t, n, rss in rows:
            f.write(f"{t:.2f}\t{n}\t{rss}\n")
    if proc.returncode != 0:
        sys.exit(f"rss.py: {cmd[0]} exited with {proc.returncode}")
    print(f"{len(rows)} samples over {time.monotonic() - start:.1f} s, peak {max(r[2] for r in rows)} KiB")


if __name__ == "__main__":
    main()

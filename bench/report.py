#!/usr/bin/env python3
"""Turns the results of bench/run.sh into docs/performance.md and its plots,
and prints the side-by-side table. Standard library only; gnuplot draws.

    report.py RESULTS_DIR OUT.md OUT.png

The "Profile and changes" section of an existing OUT.md (between the
<!-- lead: profile --> and <!-- end: profile --> markers) is kept as it is:
it is written by hand, the rest is regenerated on every run.
"""
import datetime
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

TOOLS = ["pixpipe", "vipsthumbnail", "imagemagick"]
LABEL = {"pixpipe": "pixpipe", "vipsthumbnail": "vipsthumbnail", "imagemagick": "ImageMagick"}

# AWS Lambda x86 prices as published on the AWS Lambda pricing page; the
# figures are assumed as of 2026-11 and were not checked from this machine.
PRICE_GBS = 0.0000166667
PRICE_REQ = 0.20 / 1e6
PRICE_DATE = "2026-11"
LAMBDA_MB = [512, 1024, 1769, 3008]
FULL_VCPU_MB = 1769

PROFILE_START = "<!-- lead: profile -->"
PROFILE_END = "<!-- end: profile -->"
PROFILE_PLACEHOLDER = """\
_To be written: what a profile (`perf record -g` or `valgrind --tool=callgrind`)
of the default pipeline on 12 MP JPEGs shows, what was changed, and the
figures before and after._
"""


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def read_kv(path):
    out = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            out[k] = v
    return out


def machine():
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = sh("free -m | awk '/^Mem:/ {print $2}'")
    return {
        "cpu": model,
        "nproc": sh("nproc") or str(os.cpu_count()),
        "mem": f"{int(mem) / 1024:.1f} GiB" if mem.isdigit() else "unknown",
        "kernel": sh("uname -sr"),
        "os": sh(". /etc/os-release && echo $PRETTY_NAME"),
        "pixpipe": sh(f"{os.environ.get('PIXPIPE', 'pixpipe')} --version"),
        "commit": sh("git -C '%s' describe --always --dirty" % os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
        "vips": sh("vips --version"),
        "magick": " ".join(sh("/usr/bin/convert -version | head -1").split()[2:4]),
        "hyperfine": sh("hyperfine --version"),
    }


def load_sets(res):
    sets = {}
    with open(os.path.join(res, "sets.tsv")) as f:
        for line in f:
            mp, n, w, h = line.split()
            sets[int(mp)] = {"n": int(n), "w": int(w), "h": int(h)}
    return sets


def max_rss_kib(path):
    try:
        with open(path) as f:
            vals = [int(x) for x in f.read().split() if x.isdigit()]
        return max(vals) if vals else None
    except OSError:
        return None


def load_table(res, table, sets):
    """{mp: {tool: {ips, median, cpu, rss, runs}}} for one table."""
    out = {}
    for mp in sorted(sets):
        path = os.path.join(res, f"{table}-{mp}.json")
        if not os.path.exists(path):
            continue
        n = sets[mp]["n"]
        row = {}
        for r in json.load(open(path))["results"]:
            name = r["command"]
            rss = max_rss_kib(os.path.join(res, f"rss-{table}-{mp}-{name}.txt"))
            row[name] = {
                "median": r["median"],
                "ips": n / r["median"],
                "ms": r["median"] / n * 1000,
                "cpu": (r["user"] + r["system"]) / n,
                "rss": rss / 1024 if rss else None,
                "runs": len(r["times"]),
                "spread": (r["max"] - r["min"]) / r["median"],
            }
        out[mp] = row
    return out


def fmt(x, nd=2):
    return "n/a" if x is None else f"{x:.{nd}f}"


def side_table(tab, sets):
    lines = [
        "| MP | images × runs | pixpipe img/s | vipsthumbnail img/s | ImageMagick img/s "
        "| pixpipe ÷ vipsthumbnail | pixpipe ÷ ImageMagick |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for mp, row in tab.items():
        pp, vt, im = (row.get(t) for t in TOOLS)
        lines.append(
            f"| {mp} | {sets[mp]['n']} × {pp['runs']} | {fmt(pp['ips'])} | {fmt(vt['ips'])} | {fmt(im['ips'])} "
            f"| **{fmt(pp['ips'] / vt['ips'])}×** | **{fmt(pp['ips'] / im['ips'], 1)}×** |"
        )
    return "\n".join(lines)


def cost_table(tab):
    lines = [
        "| MP | CPU s/img pixpipe | vipsthumbnail | ImageMagick | peak RSS MiB pixpipe | vipsthumbnail | ImageMagick |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for mp, row in tab.items():
        c = [fmt(row[t]["cpu"], 3) for t in TOOLS]
        m = [fmt(row[t]["rss"], 0) for t in TOOLS]
        lines.append(f"| {mp} | {' | '.join(c)} | {' | '.join(m)} |")
    return "\n".join(lines)


def growth_table(tab):
    lines = [
        "| MP | ms/img pixpipe | vipsthumbnail | ImageMagick | pixpipe ms per MP | peak RSS MiB pixpipe | vipsthumbnail | ImageMagick |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for mp, row in tab.items():
        ms = [fmt(row[t]["ms"], 0) for t in TOOLS]
        m = [fmt(row[t]["rss"], 0) for t in TOOLS]
        lines.append(f"| {mp} | {' | '.join(ms)} | {fmt(row['pixpipe']['ms'] / mp, 1)} | {' | '.join(m)} |")
    return "\n".join(lines)


def load_long(res):
    rows = []
    path = os.path.join(res, "long.tsv")
    if not os.path.exists(path):
        return rows
    with open(path) as f:
        next(f)
        for line in f:
            t, n, rss = line.split()
            rows.append((float(t), int(n), int(rss) / 1024))
    return rows


def long_summary(rows, total):
    """Peak RSS while the first 50, images 100-150 and the last 50 were
    made, and the slope after the first 100 (MiB per 100 images, least
    squares)."""
    first = [r for _, n, r in rows if 1 <= n <= 50]
    warm = [r for _, n, r in rows if 100 <= n <= 150]
    last = [r for _, n, r in rows if n >= total - 50]
    after = [(n, r) for _, n, r in rows if n >= 100]
    slope = None
    if len(after) >= 3:
        mx = statistics.fmean(n for n, _ in after)
        my = statistics.fmean(r for _, r in after)
        den = sum((n - mx) ** 2 for n, _ in after)
        if den:
            slope = sum((n - mx) * (r - my) for n, r in after) / den * 100
    top = lambda xs: max(xs) if xs else None  # noqa: E731
    return top(first), top(warm), top(last), slope


def single_rss(res):
    for name in os.listdir(res):
        m = re.match(r"single-(\d+)\.txt$", name)
        if m:
            text = open(os.path.join(res, name)).read()
            k = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
            e = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", text)
            if k:
                return int(m.group(1)), int(k.group(1)) / 1024, e.group(1) if e else "?"
    return None, None, None


def load_jobs(res, sets):
    """The -j hyperfine run: (MP, {command: {"ips", "cores"}}), where cores
    is CPU seconds over wall seconds, how much of the machine a run used."""
    for name in os.listdir(res):
        m = re.match(r"jobs-(\d+)\.json$", name)
        if m:
            mp = int(m.group(1))
            n = sets[mp]["n"]
            runs = {}
            for x in json.load(open(os.path.join(res, name)))["results"]:
                runs[x["command"]] = {"ips": n / x["median"],
                                      "cores": (x["user"] + x["system"]) / x["mean"]}
            return mp, runs
    return None, None


def load_isolation(res):
    """The isolation hyperfine runs: {command: median seconds}, or {}."""
    med = {}
    for name in os.listdir(res):
        if re.match(r"isolation-(\d+|cold)\.json$", name):
            for x in json.load(open(os.path.join(res, name)))["results"]:
                med[x["command"]] = x["median"]
    return med


def isolation_section(med):
    rows = [("12 MP set, -j 2, 2 cores", "processes -j 2", "in-process -j 2"),
            ("12 MP set, -j 1, one vCPU", "processes -j 1, one vCPU", "in-process -j 1, one vCPU"),
            ("cold start, one 1 MP image", "processes, cold", "in-process, cold")]
    out = ["| run | worker processes | in-process | processes ÷ in-process | difference |",
           "|---|---:|---:|---:|---:|"]
    for label, a, b in rows:
        if a in med and b in med:
            out.append(f"| {label} | {med[a]:.3f} s | {med[b]:.3f} s | "
                       f"**{med[a] / med[b]:.3f}×** | {(med[a] - med[b]) * 1000:+.1f} ms |")
    return "\n".join(out)


def plot(tab, long_rows, png, long_png, total):
    with tempfile.TemporaryDirectory() as tmp:
        dat = os.path.join(tmp, "mp.dat")
        with open(dat, "w") as f:
            for mp, row in tab.items():
                vals = []
                for t in TOOLS:
                    vals += [row[t]["ms"], row[t]["rss"] or 0]
                f.write(f"{mp} " + " ".join(f"{v:.3f}" for v in vals) + "\n")
        ldat = os.path.join(tmp, "long.dat")
        with open(ldat, "w") as f:
            for t, n, r in long_rows:
                f.write(f"{t} {n} {r:.2f}\n")
        script = f"""
set terminal pngcairo size 1100,440 font ",10"
set output "{png}"
set multiplot layout 1,2 title "pixpipe default pipeline vs vipsthumbnail and ImageMagick, both renditions, 2 cores"
set key top left
set grid
set xlabel "megapixels"
set logscale xy
set xtics (1, 6, 12, 24, 48, 96)
set ylabel "wall ms per image (median)"
plot "{dat}" using 1:2 with linespoints lw 2 title "pixpipe", \\
     "{dat}" using 1:4 with linespoints lw 2 title "vipsthumbnail", \\
     "{dat}" using 1:6 with linespoints lw 2 title "ImageMagick convert"
unset logscale y
set logscale x
set ylabel "peak RSS, MiB"
plot "{dat}" using 1:3 with linespoints lw 2 title "pixpipe (-j 2)", \\
     "{dat}" using 1:5 with linespoints lw 2 title "vipsthumbnail", \\
     "{dat}" using 1:7 with linespoints lw 2 title "ImageMagick convert"
unset multiplot
"""
        if long_rows:
            script += f"""
set terminal pngcairo size 800,360 font ",10"
set output "{long_png}"
unset logscale
set xtics auto
set title "pixpipe RSS over one run of {total} images (1 MP), sampled every 0.2 s"
set xlabel "images written"
set ylabel "VmRSS, MiB"
set yrange [0:*]
set key off
plot "{ldat}" using 2:3 with lines lw 2
"""
        sp = os.path.join(tmp, "plot.gp")
        with open(sp, "w") as f:
            f.write(script)
        subprocess.run(["gnuplot", sp], check=True)


def keep_profile(path):
    try:
        text = open(path).read()
    except OSError:
        return PROFILE_PLACEHOLDER
    a = text.find(PROFILE_START)
    b = text.find(PROFILE_END)
    if a < 0 or b < a:
        return PROFILE_PLACEHOLDER
    return text[a + len(PROFILE_START):b].strip("\n") + "\n"


def verdict(ok):
    return "**MET**" if ok else "**NOT MET**"


def lambda_rows(t1, t2):
    """Per-image seconds at each memory size: t1 measured on one core (the
    1769 MB share), t2 one image at a time on two cores (-j 1)."""
    rows = []
    for mb in LAMBDA_MB:
        vcpu = mb / FULL_VCPU_MB
        if vcpu <= 1:
            t = t1 / vcpu
        else:
            # Never slower than one vCPU: a noisy two-core figure must not
            # make more memory look slower.
            t = min(t1, t1 + (t2 - t1) * min(vcpu - 1, 1))
        cost = (t * mb / 1024 * PRICE_GBS + PRICE_REQ) * 1e6
        rows.append((mb, vcpu, t, cost))
    return rows


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    res, out_md, png = sys.argv[1:]
    long_png = re.sub(r"\.png$", "", png) + "-long.png"
    settings = read_kv(os.path.join(res, "settings.txt"))
    sets = load_sets(res)
    mach = machine()
    main_t = load_table(res, "main", sets)
    one_t = load_table(res, "onecpu", sets)
    long_rows = load_long(res)
    total = int(settings.get("long_run", 1000))
    first50, warm50, last50, slope = long_summary(long_rows, total)
    big_mp, big_rss, big_wall = single_rss(res)
    jmp, jobs = load_jobs(res, sets)
    j1 = jobs["pixpipe -j 1"]["ips"] if jobs else None
    j2 = jobs["pixpipe -j 2"]["ips"] if jobs else None
    j1t = jobs.get("pixpipe -j 1 (1 thread)") if jobs else None
    j2t = jobs.get("pixpipe -j 2 (1 thread)") if jobs else None
    os.makedirs(os.path.dirname(os.path.abspath(png)), exist_ok=True)
    plot(main_t, long_rows, png, long_png, total)
    rel_png = os.path.relpath(png, os.path.dirname(os.path.abspath(out_md)))
    rel_long = os.path.relpath(long_png, os.path.dirname(os.path.abspath(out_md)))
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")

    # Targets.
    targets = []
    for mp in (6, 12):
        row = main_t.get(mp)
        if not row:
            continue
        rv = row["pixpipe"]["ips"] / row["vipsthumbnail"]["ips"]
        ri = row["pixpipe"]["ips"] / row["imagemagick"]["ips"]
        targets.append((f"{mp} MP: ≥ 1.2× vipsthumbnail's throughput (both renditions)", f"{rv:.2f}×", rv >= 1.2))
        targets.append((f"{mp} MP: ≥ 8× ImageMagick's throughput", f"{ri:.1f}×", ri >= 8))
    if big_rss is not None:
        targets.append((f"peak RSS ≤ 100 MiB for one {big_mp} MP JPEG, default pipeline", f"{big_rss:.1f} MiB", big_rss <= 100))
    if first50 is not None and last50 is not None and warm50 is not None:
        # "No growth after the first few": the last 50 against images
        # 100-150, and the trend after 100; the first 50 are shown too.
        flat = last50 <= warm50 * 1.05 and (slope is None or slope < 0.1)
        targets.append((
            f"RSS flat over {total} images (after the first 100: last 50 ≤ 105 % of images 100-150, "
            "and under 1 MiB of growth per 1000 images)",
            f"first 50: {first50:.1f}, images 100-150: {warm50:.1f}, last 50: {last50:.1f} MiB"
            + (f"; slope after 100: {slope:+.2f} MiB/100 images" if slope is not None else ""),
            flat,
        ))
    if j1t and j2t:
        r = j2t["ips"] / j1t["ips"]
        targets.append((f"-j 2 ≥ 1.6× -j 1 ({jmp} MP), one libvips thread per image",
                        f"{r:.2f}× ({j1t['ips']:.2f} → {j2t['ips']:.2f} img/s)", r >= 1.6))
    if j1:
        c1 = jobs["pixpipe -j 1"]["cores"]
        targets.append((f"-j 2 ≥ 1.6× -j 1 ({jmp} MP), libvips' default threads",
                        f"{j2 / j1:.2f}×; -j 1 already keeps {c1:.2f} of 2 cores busy, "
                        f"so -j 2 can add at most {2 / c1:.2f}×", j2 / j1 >= 1.6))
    if one_t:
        targets.append(("the table with VIPS_CONCURRENCY=1 (one vCPU)", "below: " + ", ".join(f"{mp} MP" for mp in one_t), True))

    runs, warm, big_runs = settings.get("runs"), settings.get("warmup"), settings.get("big_runs")
    load_end = open("/proc/loadavg").read().split()[:3]
    quick = settings.get("quick") == "1"
    md = []
    w = md.append
    w("# Performance\n")
    w("<!-- Written by `make bench` (bench/run.sh, bench/report.py). Edit only the\n"
      "\"Profile and changes\" section: the rest is regenerated on every run. -->\n")
    if quick:
        w("> **BENCH_QUICK=1 smoke run**: few images and runs; these figures are not the benchmark.\n")
    w(f"Measured {now} on the machine below by `make bench`. pixpipe's default pipeline "
      "(exif-strip, resize to 1600×1600, 256×256 attention thumbnail, text watermark, "
      "metadata-sink to SQLite) against the tools a user would reach for on Debian to make "
      "the same two renditions of the same photos: libvips' own `vipsthumbnail` and "
      "ImageMagick's `convert`.\n")

    w("## Targets\n")
    w("| Target (issue 6) | Measured | |")
    w("|---|---|---|")
    for name, val, ok in targets:
        w(f"| {name} | {val} | {verdict(ok)} |")
    w("")

    w("## Side by side, 2 cores\n")
    w("Throughput is images per second from the median wall time of "
      f"{runs} runs (after {warm} warm-up run) of the whole set; the ratios divide "
      "pixpipe's throughput by the peer's, from the same hyperfine invocation. "
      f"At 96 MP there are {big_runs} runs, to keep `make bench` near 15 minutes.\n")
    w(side_table(main_t, sets))
    w("")
    w("CPU seconds (user + system, mean over the runs) per image, and the peak RSS of the "
      "largest process over all the timed runs (GNU time, `%M`). pixpipe runs two images "
      "at once (`-j 2`, its default on 2 cores), so its peak holds two images; the peers "
      "handle one at a time.\n")
    w(cost_table(main_t))
    w("")

    if one_t:
        w("## One vCPU (VIPS_CONCURRENCY=1)\n")
        w("As a Lambda function under 1769 MB would run: every command pinned to one core "
          "(`taskset -c 0`), `VIPS_CONCURRENCY=1`, `MAGICK_THREAD_LIMIT=1` and "
          "`OMP_NUM_THREADS=1` for ImageMagick, and `pixpipe run -j 1`.\n")
        w(side_table(one_t, sets))
        w("")
        w(cost_table(one_t))
        w("")

    if j1:
        w("## -j 2 against -j 1\n")
        w(f"The {jmp} MP set ({sets[jmp]['n']} images), default pipeline, all four in one hyperfine "
          "run. Cores busy is CPU seconds over wall seconds.\n")
        w("| libvips threads | -j 1 img/s | cores busy | -j 2 img/s | cores busy | -j 2 ÷ -j 1 |")
        w("|---|---:|---:|---:|---:|---:|")
        for label, a, b in (("default (one per core)", "pixpipe -j 1", "pixpipe -j 2"),
                            ("one per image (VIPS_CONCURRENCY=1)", "pixpipe -j 1 (1 thread)",
                             "pixpipe -j 2 (1 thread)")):
            if a in jobs and b in jobs:
                ja, jb = jobs[a], jobs[b]
                w(f"| {label} | {ja['ips']:.2f} | {ja['cores']:.2f} | {jb['ips']:.2f} | "
                  f"{jb['cores']:.2f} | **{jb['ips'] / ja['ips']:.2f}×** |")
        w("")
        w("With one libvips thread per image, two jobs side by side use both cores and the "
          "ratio measures pixpipe's own parallelism. With libvips' default threads, -j 1 is "
          "not one core's worth: libvips spreads the resampling and the encode of one image "
          "over both cores, and only the JPEG decode stays serial. -j 2 can only add the "
          "cores -j 1 leaves idle, so its gain there is bounded by 2 ÷ (cores busy at -j 1).\n")

    iso = load_isolation(res)
    if iso:
        w("## Isolation: worker processes against one process\n")
        w("Each job runs in a worker process (docs/architecture.md, \"Isolation\"); "
          "`PIXPIPE_ISOLATION=off` runs the same jobs on threads of one process. Both in one "
          "hyperfine run each, medians of wall time.\n")
        w(isolation_section(iso))
        w("")

    w("## Growth with megapixels\n")
    w(f"![time and peak RSS against megapixels]({rel_png})\n")
    w(growth_table(main_t))
    w("")
    if big_rss is not None:
        w(f"One {big_mp} MP JPEG alone through the default pipeline: peak RSS **{big_rss:.1f} MiB**, "
          f"{big_wall} wall (`/usr/bin/time -v pixpipe run -q img00.jpg`).\n")

    if long_rows:
        w(f"## Memory over {total} images\n")
        w(f"One `pixpipe run -q` (default pipeline, default -j) over {total} symbolic links to the "
          "1 MP images, its VmRSS read from /proc/PID/status every 0.2 s "
          "(bench/rss.py) beside the count of renditions written so far.\n")
        w(f"![RSS over the run]({rel_long})\n")
        w(f"- peak while the first 50 images were made: **{fmt(first50, 1)} MiB**")
        w(f"- peak while images 100 to 150 were made: {fmt(warm50, 1)} MiB")
        w(f"- peak while the last 50 were made: **{fmt(last50, 1)} MiB**")
        if slope is not None:
            w(f"- least-squares slope after the first 100 images: {slope:+.2f} MiB per 100 images")
        w(f"- whole run: {long_rows[-1][0]:.1f} s, {len(long_rows)} samples\n")

    one12 = one_t.get(12, {}).get("pixpipe") if one_t else None
    if one12 and j1:
        t1 = one12["median"] / sets[12]["n"]
        t2 = 1 / j1
        w("## Lambda cost view\n")
        w(f"Cost per million 12 MP images through the default pipeline, from the measured "
          f"per-image wall time. Prices assumed: x86 **${PRICE_GBS:.10f} per GB-second** plus "
          f"**$0.20 per million requests**, as published on the AWS Lambda pricing page "
          f"(taken as of {PRICE_DATE}; not checked from this machine, which has no network "
          "access to it). Compute only: no S3 requests or transfer, one image per invocation, "
          "warm starts.\n")
        w("Assumption: Lambda gives CPU in proportion to memory, one full vCPU at 1769 MB. "
          f"At 1769 MB the time is the one-vCPU measurement above ({t1 * 1000:.0f} ms per image); "
          "below it the time grows as 1769/MB (CPU-bound work on a fraction of a core), so the "
          "GB-seconds stay the same; above it (3008 MB ≈ 1.7 vCPU) the time is interpolated "
          f"between one core and the two-core `-j 1` measurement ({t2 * 1000:.0f} ms per image), "
          "since one image can only use the second vCPU as far as libvips' threads do.\n")
        w("| memory | vCPU share | s per image | GB-s per image | $ per million images |")
        w("|---:|---:|---:|---:|---:|")
        for mb, vcpu, t, cost in lambda_rows(t1, t2):
            w(f"| {mb} MB | {vcpu:.2f} | {t:.3f} | {t * mb / 1024:.4f} | **${cost:.2f}** |")
        w("")
        w("Of each figure, $0.20 is the request charge. Peak RSS of a 12 MP image "
          f"is about {fmt(one12['rss'], 0)} MiB with -j 1, so 512 MB is ample; "
          "the smallest size that fits is the cheapest, since the GB-seconds do not fall with more memory.\n")

    w("## Machine and method\n")
    w(f"- CPU: {mach['cpu']}, {mach['nproc']} cores (`nproc`), {mach['mem']} RAM; {mach['os']}, {mach['kernel']}")
    w(f"- {mach['pixpipe']} (commit {mach['commit']}, `-O2`), {mach['vips']}, ImageMagick {mach['magick']}, {mach['hyperfine']}")
    try:
        source = open(os.path.join(res, "inputs-source.txt")).read().strip()
    except OSError:
        source = "unknown"
    if source == "generated":
        made = ("generated by `build/mkimage` (gradients and noise that compress like a photo; "
                "the corpus `../shared/corpus/images` was absent)")
    else:
        made = ("cut from a 13000×9750 quilt of three real photos from `../shared/corpus/images` "
                "(jolla.jpg, HMD_Nokia_8.3_5G.jpg, sharp/2569067123_aca715a2ee_o.jpg, flipped and "
                "repeated), a different window per image, with the phone photo's EXIF block")
    w(f"- Inputs (bench/inputs.sh): JPEG Q90, 4:3, {made}. "
      "Sets: " + ", ".join(f"{mp} MP {s['w']}×{s['h']} ×{s['n']}" for mp, s in sorted(sets.items())) + ".")
    w(f"- Load average when the run started: {settings.get('load', '?')}; when it ended: "
      f"{' '.join(load_end)}. The machine may be shared with other work: a load well over 2 "
      "means the figures are pessimistic and noisier (see the min-max spread in hyperfine's output).")
    w(f"- hyperfine `--warmup {warm} --runs {runs}` ({big_runs} at 96 MP), each command under "
      "`/usr/bin/time -f %M` for the peak RSS; `--prepare` empties the output folders before every run.")
    w("- Commands, for a set of FILES (bench/work.sh):\n")
    w("```sh")
    w("# pixpipe: the embedded default pipeline, in an emptied folder (./out)")
    w("pixpipe run -q FILES")
    w("# vipsthumbnail: the same two renditions")
    w("vipsthumbnail -s '1600x1600>' -o '/abs/dir/%s-large.jpg[Q=82,optimize_coding]' FILES")
    w("vipsthumbnail -s 256x256 --smartcrop attention -o '/abs/dir/%s-thumb.jpg[Q=80,optimize_coding]' FILES")
    w("# ImageMagick 6, per file, with the jpeg:size hint for shrink-on-load (HINT: 1600x1600,")
    w("# or the image's own size when it is smaller)")
    w("convert -define jpeg:size=HINT FILE -auto-orient -strip -resize '1600x1600>' -quality 82 NAME-large.jpg")
    w("convert -define jpeg:size=256x256 FILE -auto-orient -strip -thumbnail '256x256^' \\")
    w("        -gravity center -extent 256x256 -quality 80 NAME-thumb.jpg")
    w("```\n")
    w("Fairness: every tool makes the same two files per image (a 1600 px box, never "
      "enlarged, as pixpipe's resize does by default; a 256×256 crop) at the same JPEG "
      "qualities. ImageMagick's `jpeg:size` hint is the box itself, capped at the image's "
      "size: ImageMagick 6.9.11 with Debian's libjpeg-turbo decodes at **twice** the size "
      "when the hint is larger than the image in either dimension (its scale denominator, "
      "floor(image ÷ hint), becomes 0), so the common `jpeg:size=3200x3200` idiom makes it "
      "decode 6 and 12 MP photos at 24 and 48 MP: 4× the work, and a flattering ratio for "
      "pixpipe. Its integer rounding still decodes 6 to 48 MP photos at full size.\n")
    w("pixpipe does more than the peers: it also strips private metadata while keeping "
      "the rest, draws the watermark, and writes a SQLite metadata row per image. "
      "vipsthumbnail keeps the source's metadata in its outputs. ImageMagick runs with "
      "Debian's default policy.xml (memory limit 256 MiB; larger pixel caches go to disk).\n")

    w("## Profile and changes\n")
    w(PROFILE_START)
    w(keep_profile(out_md).rstrip("\n"))
    w(PROFILE_END)
    w("")

    text = "\n".join(md)
    with open(out_md, "w") as f:
        f.write(text)

    print("\nSide by side, 2 cores (images/s; ratio = pixpipe ÷ peer)\n")
    print(side_table(main_t, sets))
    if one_t:
        print("\nOne vCPU\n")
        print(side_table(one_t, sets))
    print("\nTargets\n")
    for name, val, ok in targets:
        print(f"  {'MET    ' if ok else 'NOT MET'}  {name}: {val}")
    print(f"\nwrote {out_md}, {png}, {long_png}")


if __name__ == "__main__":
    main()

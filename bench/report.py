#!/usr/bin/env python3
"""Turns the results of bench/run.sh into docs/performance.md and its plots,
and prints the main tables. Standard library only; gnuplot draws.

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

# The commands of one shape's hyperfine run (bench/run.sh, shape()).
FLOOR_TOOLS = ["pixpipe", "pixpipe-nodescribe", "floor", "sharp"]
PEERS = ["pixpipe", "vipsthumbnail", "imagemagick"]
LABEL = {"pixpipe": "pixpipe", "pixpipe-nodescribe": "pixpipe without describe",
         "floor": "floor", "sharp": "sharp", "vipsthumbnail": "vipsthumbnail",
         "imagemagick": "ImageMagick"}
SHAPES = {"onecpu": "one vCPU", "twocore": "2 cores"}

# AWS prices as published on the AWS Lambda and Amazon S3 pricing pages
# (x86 Lambda; S3 Standard, us-east-1); the figures are assumed as of
# 2026-11 and were not checked from this machine.
PRICE_GBS = 0.0000166667
PRICE_REQ = 0.20 / 1e6
PRICE_S3_GB_MONTH = 0.023
PRICE_S3_PUT = 0.005 / 1000
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


def read_text(path, default=""):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def machine(res):
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
        "node": sh("/usr/bin/node --version"),
        "sharp": read_text(os.path.join(res, "sharp-version.txt"), "?"),
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
    """{mp: {command: {median, ips, ms, cpu, rss, runs, spread}}} for one
    table (one hyperfine JSON per size)."""
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


def ratio(row, a, b):
    """Median wall time of a over b, from one hyperfine run; None if either
    is missing."""
    if a in row and b in row and row[b]["median"] > 0:
        return row[a]["median"] / row[b]["median"]
    return None


def floor_table(tab, sets):
    lines = [
        "| MP | images × runs | pixpipe ms/img | without describe | floor | sharp "
        "| without describe ÷ floor | pixpipe ÷ floor | sharp ÷ without describe | sharp ÷ pixpipe |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for mp, row in tab.items():
        ms = [fmt(row[t]["ms"], 0) if t in row else "n/a" for t in FLOOR_TOOLS]
        runs = row.get("floor", next(iter(row.values())))["runs"]
        lines.append(
            f"| {mp} | {sets[mp]['n']} × {runs} | {' | '.join(ms)} "
            f"| **{fmt(ratio(row, 'pixpipe-nodescribe', 'floor'), 3)}×** "
            f"| {fmt(ratio(row, 'pixpipe', 'floor'), 3)}× "
            f"| **{fmt(ratio(row, 'sharp', 'pixpipe-nodescribe'))}×** "
            f"| {fmt(ratio(row, 'sharp', 'pixpipe'))}× |")
    return "\n".join(lines)


def cost_table(tab, tools):
    head = " | ".join(LABEL[t] for t in tools)
    lines = [
        f"| MP | CPU s/img: {head} | peak RSS MiB: {head} |",
        "|---:|" + "---:|" * (2 * len(tools)),
    ]
    for mp, row in tab.items():
        c = [fmt(row[t]["cpu"], 3) if t in row else "n/a" for t in tools]
        m = [fmt(row[t]["rss"], 0) if t in row else "n/a" for t in tools]
        lines.append(f"| {mp} | {' | '.join(c)} | {' | '.join(m)} |")
    return "\n".join(lines)


def peers_table(tab, sets):
    lines = [
        "| MP | images × runs | pixpipe img/s | vipsthumbnail img/s | ImageMagick img/s "
        "| pixpipe ÷ vipsthumbnail | pixpipe ÷ ImageMagick |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for mp, row in tab.items():
        pp, vt, im = (row.get(t) for t in PEERS)
        if not (pp and vt and im):
            continue
        lines.append(
            f"| {mp} | {sets[mp]['n']} × {pp['runs']} | {fmt(pp['ips'])} | {fmt(vt['ips'])} | {fmt(im['ips'])} "
            f"| **{fmt(pp['ips'] / vt['ips'])}×** | **{fmt(pp['ips'] / im['ips'], 1)}×** |"
        )
    return "\n".join(lines)


def load_compare(res, sets):
    """{mp: {"floor": line, "sharp": line}}: compare.sh's summary of each
    tool's renditions against pixpipe's (without describe)."""
    out = {}
    for mp in sorted(sets):
        for tool in ("floor", "sharp"):
            text = read_text(os.path.join(res, f"compare-{mp}-{tool}.txt"))
            if text:
                out.setdefault(mp, {})[tool] = text.splitlines()[-1]
    return out


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
    made, and the slope after the first 100 (MiB per 1000 images, least
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
            slope = sum((n - mx) * (r - my) for n, r in after) / den * 1000
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


def describe_section(one_t, two_t):
    """What describe adds, from the pairs already in the floor tables."""
    out = ["| MP | one vCPU: with ÷ without | ms per image | 2 cores: with ÷ without | ms per image |",
           "|---:|---:|---:|---:|---:|"]
    for mp in sorted(set(one_t) | set(two_t)):
        cells = []
        for tab in (one_t, two_t):
            row = tab.get(mp, {})
            r = ratio(row, "pixpipe", "pixpipe-nodescribe")
            d = row["pixpipe"]["ms"] - row["pixpipe-nodescribe"]["ms"] if r else None
            cells += [f"{fmt(r, 3)}×", f"{d:+.1f}" if d is not None else "n/a"]
        out.append(f"| {mp} | {' | '.join(cells)} |")
    return "\n".join(out)


def load_renditions(res):
    """Bytes per image of what the default pipeline stores (12 MP set):
    (images, {rendition: mean bytes}), or (0, {})."""
    path = os.path.join(res, "renditions-12.tsv")
    per = {}
    if not os.path.exists(path):
        return 0, {}
    with open(path) as f:
        for line in f:
            name, size = line.split()
            m = re.match(r"(.*)-([a-z0-9]+)\.jpg$", name)
            if m:
                per.setdefault(m.group(2), []).append(int(size))
    n = max((len(v) for v in per.values()), default=0)
    return n, {k: statistics.fmean(v) for k, v in per.items()}


def load_bytes(path):
    """The bytes table's input: a TSV with the header photo, method, bytes,
    ssim (bench/bytes.sh), one row per photo and method.  [] when absent."""
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path) as f:
        head = f.readline().split()
        if head[:4] != ["photo", "method", "bytes", "ssim"]:
            raise SystemExit(f"report.py: {path}: expected the columns photo method bytes ssim")
        for line in f:
            if line.strip():
                photo, method, size, ssim = line.split("\t")[:4]
                rows.append((photo, method, int(size), float(ssim)))
    return rows


def auto_large_ratio(rows):
    """Bytes of the default pipeline's large rendition with quality: auto
    over Q82, summed over the photos of load_bytes(); None without both."""
    auto = sum(b for _, m, b, _ in rows if m == "pixpipe quality: auto")
    q82 = sum(b for _, m, b, _ in rows if m == "pixpipe Q82")
    return auto / q82 if auto and q82 else None


def bytes_section(path, target=None):
    """Bytes against similarity from load_bytes(path): per photo, each
    method's KiB and SSIM on luma against the uncompressed rendition; then
    per method, the total against the default pipeline's Q82 (else the first
    method in the file) and the SSIM mean and worst.  The empty string when
    there are no rows."""
    rows = load_bytes(path)
    if not rows:
        return ""
    methods, photos = [], []
    for p, m, _, _ in rows:
        if m not in methods:
            methods.append(m)
        if p not in photos:
            photos.append(p)
    cell = {(p, m): (b, sc) for p, m, b, sc in rows}
    out = ["| photo | " + " | ".join(f"{m} KiB | SSIM" for m in methods) + " |",
           "|---|" + "---:|---:|" * len(methods)]
    for p in photos:
        cells = []
        for m in methods:
            b, sc = cell.get((p, m), (None, None))
            low = target is not None and sc is not None and sc < target
            cells.append(f"{b / 1024:.1f} | {sc:.4f}{' ↓' if low else ''}" if b else "- | -")
        out.append(f"| {p} | " + " | ".join(cells) + " |")
    by = {m: [(b, sc) for _, mm, b, sc in rows if mm == m] for m in methods}
    ref = "pixpipe Q82" if "pixpipe Q82" in by else methods[0]
    base = sum(b for b, _ in by[ref])
    out += ["", f"| method | photos | KiB in all | bytes ÷ {ref} | SSIM mean | SSIM worst |",
            "|---|---:|---:|---:|---:|---:|"]
    for m in methods:
        bs = [b for b, _ in by[m]]
        ss = [sc for _, sc in by[m]]
        out.append(f"| {m} | {len(bs)} | {sum(bs) / 1024:.1f} | "
                   f"**{sum(bs) / base:.3f}×** | {statistics.fmean(ss):.4f} | {min(ss):.4f} |")
    return "\n".join(out)


def bytes_targets(rows, qt, target):
    """The quality: auto targets of issue 16 from load_bytes() rows and
    quality_section's totals: [(name, measured, ok)]."""
    out = []
    per = {}
    for p, m, b, sc in rows:
        per.setdefault(p, {})[m] = (b, sc)
    pairs = [(d["pixpipe Q82"][0], d["pixpipe quality: auto"][0]) for d in per.values()
             if "pixpipe Q82" in d and "pixpipe quality: auto" in d]
    if not pairs:
        return out
    saved = [1 - a / q for q, a in pairs]
    total = 1 - sum(a for _, a in pairs) / sum(q for q, _ in pairs)
    med = statistics.median(saved)
    worst = min(d["pixpipe quality: auto"][1] for d in per.values() if "pixpipe quality: auto" in d)
    t = f" at the target {target}" if target else ""
    out.append((f"`quality: auto`{t}: ≥ 15% fewer bytes than Q82 on the median photo",
                f"{med * 100:.1f}% (per photo: " + ", ".join(f"{x * 100:.0f}%" for x in sorted(saved)) + ")",
                med >= 0.15))
    out.append(("`quality: auto`: ≥ 10% fewer bytes than Q82 on the set's total",
                f"{total * 100:.1f}% ({len(pairs)} photos; worst SSIM {worst:.4f})", total >= 0.10))
    if qt:
        out.append(("`quality: auto`: encode time ≤ 2.5× the fixed-quality encode",
                    f"{qt['time']:.2f}× (median over the photos, CPU time, bench-quality)",
                    qt["time"] <= 2.5))
    moz = [m for m in {m for _, m, _, _ in rows} if m.endswith("(target)")]
    if moz:
        m = moz[0]
        a = sum(d["pixpipe quality: auto"][0] for d in per.values() if m in d)
        z = sum(d[m][0] for d in per.values() if m in d)
        out.append((f"`quality: auto`: fewer bytes than sharp+mozjpeg at the same minimum SSIM "
                    f"({m.replace(' (target)', '')}, the lowest whose worst photo reaches it)",
                    f"{a / z:.3f}× its bytes ({a / 1024:.0f} against {z / 1024:.0f} KiB)", a < z))
    return out


def load_quality(path):
    """bench-quality's TSV (bench/quality.c): one dict per file, numbers
    parsed.  [] when absent."""
    rows = []
    if not os.path.exists(path):
        return rows
    with open(path) as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            if line.strip():
                cells = dict(zip(head, line.rstrip("\n").split("\t")))
                rows.append({k: (v if k == "file" else float(v)) for k, v in cells.items()})
    return rows


def quality_section(path):
    """Q82 against quality: auto on the same lossless renditions, encoded in
    one process (bench-quality): bytes, SSIM on the whole file, the quality
    found and its trial encodes, and the encode time of each (medians).
    (markdown, totals) or ("", None) when there are no rows."""
    rows = load_quality(path)
    need = {"file", "q82_bytes", "q82_ssim", "auto_quality", "auto_bytes", "auto_ssim",
            "auto_sample_ssim", "auto_encodes", "q82_ms", "auto_ms"}
    if not rows:
        return "", None
    if not need <= set(rows[0]):
        print(f"report.py: {path} lacks the columns {sorted(need - set(rows[0]))}: "
              "its table is left out", file=sys.stderr)
        return "", None
    out = ["| photo | Q82 KiB | SSIM | auto: quality | KiB | SSIM | sample SSIM | encodes "
           "| bytes auto ÷ Q82 | encode ms Q82 | auto | auto ÷ Q82 |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        name = re.sub(r"-large\.png$", "", os.path.basename(r["file"]))
        out.append(f"| {name} | {r['q82_bytes'] / 1024:.1f} | {r['q82_ssim']:.4f} "
                   f"| {r['auto_quality']:.0f} | {r['auto_bytes'] / 1024:.1f} | {r['auto_ssim']:.4f} "
                   f"| {r['auto_sample_ssim']:.4f} | {r['auto_encodes']:.0f} "
                   f"| {r['auto_bytes'] / r['q82_bytes']:.3f}× | {r['q82_ms']:.1f} | {r['auto_ms']:.1f} "
                   f"| {r['auto_ms'] / r['q82_ms']:.2f}× |")
    totals = {
        "bytes": sum(r["auto_bytes"] for r in rows) / sum(r["q82_bytes"] for r in rows),
        "time": statistics.median(r["auto_ms"] / r["q82_ms"] for r in rows),
        "worst": min(r["auto_ssim"] for r in rows),
        "n": len(rows),
    }
    return "\n".join(out), totals


def plot(one_t, two_t, long_rows, png, long_png, total):
    with tempfile.TemporaryDirectory() as tmp:
        dats = {}
        for key, tab in (("one", one_t), ("two", two_t)):
            dats[key] = os.path.join(tmp, f"{key}.dat")
            with open(dats[key], "w") as f:
                for mp, row in tab.items():
                    vals = []
                    for t in FLOOR_TOOLS:
                        r = row.get(t)
                        vals += [r["ms"] if r else float("nan"), (r or {}).get("rss") or float("nan")]
                    f.write(f"{mp} " + " ".join(f"{v:.3f}" for v in vals) + "\n")
        ldat = os.path.join(tmp, "long.dat")
        with open(ldat, "w") as f:
            for t, n, r in long_rows:
                f.write(f"{t} {n} {r:.2f}\n")
        lines = lambda dat, col0: ", \\\n     ".join(  # noqa: E731
            f'"{dat}" using 1:{col0 + 2 * i} with linespoints lw 2 title "{LABEL[t]}"'
            for i, t in enumerate(FLOOR_TOOLS))
        script = f"""
set terminal pngcairo size 1500,500 font ",10"
set output "{png}"
set multiplot layout 1,3 title "Default pipeline: pixpipe, the floor (bare libvips) and sharp, both renditions"
set key outside bottom center horizontal maxrows 2
set grid
set xlabel "megapixels"
set logscale xy
set xrange [5:115]
set xtics (6, 12, 24, 48, 96)
set ylabel "wall ms per image (median)"
set title "one vCPU"
plot {lines(dats["one"], 2)}
set title "2 cores"
plot {lines(dats["two"], 2)}
unset logscale y
set logscale x
set title "peak RSS, one vCPU"
set ylabel "MiB (largest process)"
plot {lines(dats["one"], 3)}
unset multiplot
"""
        if long_rows:
            script += f"""
set terminal pngcairo size 800,360 font ",10"
set output "{long_png}"
unset logscale
unset title
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


def per_size(tab, a, b, sizes=None):
    """[(mp, a ÷ b)] over the sizes of tab (or those given) where both ran."""
    out = []
    for mp in sorted(tab):
        if sizes is None or mp in sizes:
            r = ratio(tab[mp], a, b)
            if r is not None:
                out.append((mp, r))
    return out


def listing(pairs, nd=3):
    return ", ".join(f"{mp} MP {r:.{nd}f}×" for mp, r in pairs)


def build_targets(one_t, two_t, big_mp, big_rss, slope, total):
    t = []
    for mp in (6, 12):
        r = ratio(one_t.get(mp, {}), "pixpipe-nodescribe", "floor")
        if r is not None:
            t.append((f"one vCPU, {mp} MP: pixpipe without describe ≤ 1.02× the floor's wall time",
                      f"{r:.3f}×", r <= 1.02))
    pairs = per_size(two_t, "pixpipe-nodescribe", "floor")
    if pairs:
        t.append(("2 cores: pixpipe -j 2 (without describe) ≤ 1.0× two floor processes, every size",
                  listing(pairs), all(r <= 1.0 for _, r in pairs)))
    for key, tab in (("onecpu", one_t), ("twocore", two_t)):
        pairs = per_size(tab, "sharp", "pixpipe-nodescribe")
        if pairs:
            t.append((f"{SHAPES[key]}: sharp ≥ 1.4× pixpipe's wall time (without describe, the "
                      "same work), every size", listing(pairs, 2), all(r >= 1.4 for _, r in pairs)))
    if big_rss is not None:
        t.append((f"peak RSS ≤ 64 MiB for one {big_mp} MP JPEG, default pipeline",
                  f"{big_rss:.1f} MiB", big_rss <= 64))
    if slope is not None:
        t.append((f"RSS flat over {total} images: after image 100, under 1 MiB of growth per "
                  "1000 images (least-squares slope)", f"{slope:+.2f} MiB per 1000 images",
                  slope < 1.0))
    return t


def earlier_targets(peer_t, jobs, jmp):
    t = []
    for mp in (6, 12):
        row = peer_t.get(mp)
        if not row or not all(k in row for k in PEERS):
            continue
        rv = row["pixpipe"]["ips"] / row["vipsthumbnail"]["ips"]
        ri = row["pixpipe"]["ips"] / row["imagemagick"]["ips"]
        t.append((f"{mp} MP, 2 cores: ≥ 1.2× vipsthumbnail's throughput", f"{rv:.2f}×", rv >= 1.2))
        t.append((f"{mp} MP, 2 cores: ≥ 8× ImageMagick's throughput", f"{ri:.1f}×", ri >= 8))
    if jobs:
        j1t, j2t = jobs.get("pixpipe -j 1 (1 thread)"), jobs.get("pixpipe -j 2 (1 thread)")
        if j1t and j2t:
            r = j2t["ips"] / j1t["ips"]
            t.append((f"-j 2 ≥ 1.6× -j 1 ({jmp} MP), one libvips thread per image",
                      f"{r:.2f}× ({j1t['ips']:.2f} → {j2t['ips']:.2f} img/s)", r >= 1.6))
        j1, j2 = jobs.get("pixpipe -j 1"), jobs.get("pixpipe -j 2")
        if j1 and j2:
            r = j2["ips"] / j1["ips"]
            t.append((f"-j 2 ≥ 1.6× -j 1 ({jmp} MP), libvips' default threads",
                      f"{r:.2f}×; -j 1 already keeps {j1['cores']:.2f} of 2 cores busy, "
                      f"so -j 2 can add at most {2 / j1['cores']:.2f}×", r >= 1.6))
    return t


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    res, out_md, png = sys.argv[1:]
    long_png = re.sub(r"\.png$", "", png) + "-long.png"
    settings = read_kv(os.path.join(res, "settings.txt"))
    sets = load_sets(res)
    mach = machine(res)
    one_t = load_table(res, "onecpu", sets)
    two_t = load_table(res, "twocore", sets)
    peer_t = load_table(res, "peers", sets)
    checks = load_compare(res, sets)
    long_rows = load_long(res)
    total = int(settings.get("long_run", 1000))
    first50, warm50, last50, slope = long_summary(long_rows, total)
    big_mp, big_rss, big_wall = single_rss(res)
    jmp, jobs = load_jobs(res, sets)
    os.makedirs(os.path.dirname(os.path.abspath(png)), exist_ok=True)
    plot(one_t, two_t, long_rows, png, long_png, total)
    rel_png = os.path.relpath(png, os.path.dirname(os.path.abspath(out_md)))
    rel_long = os.path.relpath(long_png, os.path.dirname(os.path.abspath(out_md)))
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    targets = build_targets(one_t, two_t, big_mp, big_rss, slope, total)
    bt = {}
    bt_path = os.path.join(res, "bytes-target.txt")
    if os.path.exists(bt_path):
        bt = read_kv(bt_path)
    q_target = bt.get("target")
    _, q_totals = quality_section(os.path.join(res, "quality.tsv"))
    targets += bytes_targets(load_bytes(os.path.join(res, "bytes.tsv")), q_totals, q_target)
    earlier = earlier_targets(peer_t, jobs, jmp)

    runs, warm, peer_runs = settings.get("runs"), settings.get("warmup"), settings.get("peer_runs")
    took = None
    if settings.get("start", "").isdigit() and settings.get("end", "").isdigit():
        took = (int(settings["end"]) - int(settings["start"])) / 60
    load_end = open("/proc/loadavg").read().split()[:3]
    quick = settings.get("quick") == "1"
    md = []
    w = md.append
    w("# Performance\n")
    w("<!-- Written by `make bench` (bench/run.sh, bench/report.py). Edit only the\n"
      "\"Profile and changes\" section: the rest is regenerated on every run. -->\n")
    if quick:
        w("> **BENCH_QUICK=1 smoke run**: few images and runs; these figures are not the benchmark.\n")
    w(f"Measured {now} on the machine below by `make bench`"
      + (f" ({took:.0f} minutes)" if took is not None else "") + ". "
      "pixpipe's default pipeline (exif-strip, resize to 1600×1600, 256×256 attention thumbnail, "
      "describe, text watermark, metadata-sink to SQLite) against **the floor**, `bench-floor` "
      "(bench/floor.c): the same pixel work as a bare libvips program, the very libvips calls "
      "the pipeline makes and nothing else, one file after another in one process; against "
      "**sharp** doing the same work in one node process (bench/sharp/work.js); and against the "
      "tools a user would reach for on Debian, `vipsthumbnail` and ImageMagick's `convert`.\n")
    w("The floor does no describe, exif-strip, SHA-256, record or fsync, and neither does sharp; "
      "the fair comparison is the default pipeline without its describe stage "
      "(`pixpipe without describe`), run beside the full default pipeline in the same hyperfine "
      "invocation. Ratios are of median wall times from that one invocation: above 1× the "
      "first is slower.\n")

    w("## Targets\n")
    w("| Target | Measured | |")
    w("|---|---|---|")
    for name, val, ok in targets:
        w(f"| {name} | {val} | {verdict(ok)} |")
    w("")
    if earlier:
        w("Earlier targets, still measured:\n")
        w("| Target | Measured | |")
        w("|---|---|---|")
        for name, val, ok in earlier:
            w(f"| {name} | {val} | {verdict(ok)} |")
        w("")

    for key, tab in (("onecpu", one_t), ("twocore", two_t)):
        if not tab:
            continue
        if key == "onecpu":
            w("## Against the floor and sharp: one vCPU\n")
            w("As a Lambda function under 1769 MB would run: every command pinned to one core "
              "(`taskset -c 0`), `VIPS_CONCURRENCY=1`, one image at a time: `pixpipe run -j 1`, "
              "one floor process, sharp with `sharp.concurrency(1)`, `UV_THREADPOOL_SIZE=1` and "
              "one image in flight.\n")
        else:
            w("## Against the floor and sharp: 2 cores\n")
            w("Two images at a time, libvips' default threads (one per core): `pixpipe run -j 2`; "
              "two floor processes side by side, each given every other file "
              "(`floor A & floor B; wait`); sharp with two images in flight "
              "(`BENCH_SHARP_JOBS=2`) and its default threading, which on glibc Linux is one "
              "libvips thread per image (`sharp.concurrency()` is 1 there), as a user who calls "
              "it on two files at once runs it.\n")
        w(f"Milliseconds of wall time per image, median of {runs} runs (after {warm} warm-up) "
          "of the whole set, and the ratios of those medians.\n")
        w(floor_table(tab, sets))
        w("")
        w("CPU seconds (user + system, mean over the runs) per image, and the peak RSS of the "
          "largest process over all the timed runs (GNU time, `%M`). pixpipe's work is split "
          "between its supervisor and a worker process per job, so its figure is the larger "
          "of those; the floor and sharp hold everything in one process.\n")
        w(cost_table(tab, FLOOR_TOOLS))
        w("")
    if checks:
        w("**Same renditions?** After each one-vCPU run, bench/compare.sh checked the floor's "
          "and sharp's files against pixpipe's (without describe): the sizes must be equal, "
          "and the floor's pixels too (mean absolute difference at most 0.5 of 255). sharp "
          "decodes, resamples and renders the text with its own libvips, so its pixels differ "
          "a little; the difference is shown, not judged.\n")
        w("| MP | floor against pixpipe | sharp against pixpipe |")
        w("|---:|---|---|")
        for mp, c in sorted(checks.items()):
            w(f"| {mp} | {c.get('floor', 'n/a')} | {c.get('sharp', 'n/a')} |")
        w("")

    if one_t or two_t:
        w("## Growth with megapixels\n")
        w(f"![time per image and peak RSS against megapixels]({rel_png})\n")

    if one_t and two_t:
        w("## What describe costs\n")
        w("The default pipeline with and without its describe stage (placeholders, colours, "
          "hashes), from the same runs as the tables above. The stage's own milliseconds are "
          "also in every record's `timings_ms` (`describe.*`).\n")
        w(describe_section(one_t, two_t))
        w("")

    if peer_t:
        w("## Against vipsthumbnail and ImageMagick, 2 cores\n")
        w(f"Images per second from the median of {peer_runs} runs; the ratios divide pixpipe's "
          "throughput (the default pipeline, `-j` its default of one job per core) by the "
          "peer's, from the same hyperfine invocation. The peers run as a user types them, one "
          "file after another. Only at 6 and 12 MP, to keep `make bench` short.\n")
        w(peers_table(peer_t, sets))
        w("")
        w(cost_table(peer_t, PEERS))
        w("")

    if jobs and "pixpipe -j 1" in jobs:
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

    if big_rss is not None:
        w("## Memory\n")
        w(f"One {big_mp} MP JPEG alone through the default pipeline: peak RSS **{big_rss:.1f} MiB**, "
          f"{big_wall} wall (`/usr/bin/time -v pixpipe run -q img00.jpg`).\n")

    if long_rows:
        w(f"### Over {total} images\n")
        w(f"One `pixpipe run -q` (default pipeline, default -j) over {total} hard links to the "
          "1 MP images, its VmRSS (the supervisor and its workers, summed) read from "
          "/proc/PID/status every 0.2 s (bench/rss.py) beside the count of renditions written "
          "so far.\n")
        w(f"![RSS over the run]({rel_long})\n")
        w(f"- peak while the first 50 images were made: **{fmt(first50, 1)} MiB**")
        w(f"- peak while images 100 to 150 were made: {fmt(warm50, 1)} MiB")
        w(f"- peak while the last 50 were made: **{fmt(last50, 1)} MiB**")
        if slope is not None:
            w(f"- least-squares slope after the first 100 images: {slope:+.2f} MiB per 1000 images")
        w(f"- whole run: {long_rows[-1][0]:.1f} s, {len(long_rows)} samples\n")

    one12 = one_t.get(12, {}).get("pixpipe")
    j1 = jobs["pixpipe -j 1"]["ips"] if jobs and "pixpipe -j 1" in jobs else None
    if one12 and j1:
        t1 = one12["median"] / sets[12]["n"]
        t2 = 1 / j1
        w("## Cost per million images\n")
        w("### Lambda compute\n")
        w(f"Cost per million 12 MP images through the default pipeline, from the measured "
          f"per-image wall time. Prices assumed: x86 **${PRICE_GBS:.10f} per GB-second** plus "
          f"**$0.20 per million requests**, as published on the AWS Lambda pricing page "
          f"(taken as of {PRICE_DATE}; not checked from this machine, which has no network "
          "access to it). One image per invocation, warm starts.\n")
        w("Assumption: Lambda gives CPU in proportion to memory, one full vCPU at 1769 MB. "
          f"At 1769 MB the time is the one-vCPU measurement above ({t1 * 1000:.0f} ms per image); "
          "below it the time grows as 1769/MB (CPU-bound work on a fraction of a core), so the "
          "GB-seconds stay the same; above it (3008 MB ≈ 1.7 vCPU) the time is interpolated "
          f"between one core and the two-core `-j 1` measurement ({t2 * 1000:.0f} ms per image), "
          "since one image can only use the second vCPU as far as libvips' threads do.\n")
        w("| memory | vCPU share | s per image | GB-s per image | $ per million images |")
        w("|---:|---:|---:|---:|---:|")
        rows = lambda_rows(t1, t2)
        for mb, vcpu, t, cost in rows:
            w(f"| {mb} MB | {vcpu:.2f} | {t:.3f} | {t * mb / 1024:.4f} | **${cost:.2f}** |")
        w("")
        w("Of each figure, $0.20 is the request charge. Peak RSS of a 12 MP image "
          f"is about {fmt(one12['rss'], 0)} MiB with -j 1, so 512 MB is ample; "
          "the smallest size that fits is the cheapest, since the GB-seconds do not fall with more memory.\n")
        n_img, per = load_renditions(res)
        if n_img:
            per_image = sum(per.values())
            gib = per_image * 1e6 / 2 ** 30
            puts = len(per) * 1e6
            compute = next(c for mb, _, _, c in rows if mb == FULL_VCPU_MB)
            w("### S3: writes and storage of the renditions\n")
            w(f"What the default pipeline stores per 12 MP image, measured on the {n_img} "
              "images of the set: "
              + ", ".join(f"{k} {v / 1024:.1f} KiB" for k, v in sorted(per.items()))
              + f", **{per_image / 1024:.1f} KiB** in all, {len(per)} objects. Prices assumed: "
              f"S3 Standard (us-east-1) **${PRICE_S3_GB_MONTH} per GB-month** of storage and "
              f"**${PRICE_S3_PUT * 1000:.3f} per 1000 PUT requests**, as published on the "
              f"Amazon S3 pricing page (taken as of {PRICE_DATE}; not checked from this "
              "machine). A GB is billed as 2³⁰ bytes. Not counted: reading the source (one GET "
              "per image), the metadata row (DynamoDB or a file), transfer out.\n")
            w("| per million images | quantity | $ |")
            w("|---|---:|---:|")
            w(f"| Lambda compute, 1769 MB (one vCPU) | {t1 * FULL_VCPU_MB / 1024 * 1e6:,.0f} GB-s "
              f"+ 1,000,000 requests | **${compute:.2f}** once |")
            w(f"| S3 PUT of the renditions | {puts:,.0f} requests | **${puts * PRICE_S3_PUT:.2f}** once |")
            w(f"| S3 Standard storage of the renditions | {gib:,.1f} GB | "
              f"**${gib * PRICE_S3_GB_MONTH:.2f}** per month |")
            auto = auto_large_ratio(load_bytes(os.path.join(res, "bytes.tsv")))
            if auto and "large" in per:
                gib_auto = (per_image - per["large"] * (1 - auto)) * 1e6 / 2 ** 30
                w(f"| the same with `quality: auto` (large {auto:.3f}× the bytes, "
                  f"table below) | {gib_auto:,.1f} GB | **${gib_auto * PRICE_S3_GB_MONTH:.2f}** "
                  "per month |")
            w("")
            w(f"A million images cost **${compute + puts * PRICE_S3_PUT:.2f}** to process and "
              f"store once, then **${gib * PRICE_S3_GB_MONTH:.2f}** a month to keep "
              f"(${gib * PRICE_S3_GB_MONTH * 12:.2f} a year): after "
              f"{(compute + puts * PRICE_S3_PUT) / (gib * PRICE_S3_GB_MONTH):.0f} months the "
              "storage has cost more than the processing, so the bytes of each rendition "
              "matter as much as the milliseconds.\n")

    bytes_md = bytes_section(os.path.join(res, "bytes.tsv"),
                             float(q_target) if q_target else None)
    quality_md, qt = quality_section(os.path.join(res, "quality.tsv"))
    if bytes_md or quality_md:
        w("## Bytes and similarity\n")
    if bytes_md:
        w("The large rendition of each photo of the set made by the default pipeline (without "
          "describe) at Q82 and with `output: { quality: auto, quality_target: T }`, and by "
          "sharp at Q82, with its mozjpeg settings at Q82, and with mozjpeg at the lowest "
          "quality whose worst photo reaches T: its bytes, and its SSIM on luma "
          "(`similarity-probe REF FILE`, the metric `quality: auto` aims at) against the same "
          "rendition written losslessly as PNG by the same tool (bench/bytes.sh). "
          f"T = **{q_target}**, the SSIM that Q82 gives the hardest photo of the set, so that "
          "every photo comes out at least as good as the worst one does at Q82 (↓: under T). "
          f"Photos: {bt.get('photos', '?')} (`../shared/corpus/images`; the HEIC one read "
          "through a lossless PNG, which every tool can open); sharp+mozjpeg reaches T at "
          f"Q{bt.get('mozjpeg_quality', '?')}.\n")
        w(bytes_md)
        w("")
    if quality_md:
        w("The same lossless renditions encoded in one process by `bench-quality` "
          f"(bench/quality.c): Q82 against `quality: auto` at T = {q_target}, the SSIM of the whole "
          "file beside the score of the sample the search judged by, the trial encodes, "
          f"and the median encode milliseconds of {runs} alternating runs of each, as "
          "bench-quality clocks them (bench/quality.c says which clock).\n")
        w(quality_md)
        w("")
        w(f"Over the {qt['n']} photos, `quality: auto` writes **{qt['bytes']:.3f}×** the bytes "
          f"of Q82 (lowest SSIM {qt['worst']:.4f}), and its encode takes **{qt['time']:.2f}×** "
          "as long (median): the trial encodes are of a sample, the rendition is encoded once.\n")

    w("## Machine and method\n")
    w(f"- CPU: {mach['cpu']}, {mach['nproc']} cores (`nproc`), {mach['mem']} RAM; {mach['os']}, {mach['kernel']}")
    w(f"- {mach['pixpipe']} (commit {mach['commit']}, `-O2`), {mach['vips']}, ImageMagick {mach['magick']}, "
      f"{mach['hyperfine']}; sharp {mach['sharp']}, its own prebuilt build, on Node.js {mach['node']}")
    source = read_text(os.path.join(res, "inputs-source.txt"), "unknown")
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
    w(f"- hyperfine `--warmup {warm} --runs {runs}` for the floor tables ({peer_runs} runs for "
      "the peers and -j), each command under `/usr/bin/time -f %M` for the peak RSS; each "
      "command's `--prepare` empties its own output folder before every run.")
    w("- Commands, for a set of FILES (bench/work.sh):\n")
    w("```sh")
    w("# pixpipe: the embedded default pipeline, in an emptied folder (./out)")
    w("pixpipe run -q -j 1 FILES                      # one vCPU; -j 2 on 2 cores")
    w("pixpipe run -q -j 1 -p no-describe.yaml FILES  # the same less its describe line")
    w("# the floor: the same pixel work, bare libvips (bench/floor.c)")
    w("bench-floor DIR FILES                          # one vCPU")
    w("bench-floor DIR EVEN_FILES & bench-floor DIR ODD_FILES; wait   # 2 cores")
    w("# sharp (bench/sharp/work.js), one node process")
    w("UV_THREADPOOL_SIZE=1 BENCH_SHARP_CONCURRENCY=1 node work.js DIR FILES   # one vCPU")
    w("BENCH_SHARP_JOBS=2 node work.js DIR FILES                               # 2 cores")
    w("# vipsthumbnail: the same two renditions")
    w("vipsthumbnail -s '1600x1600>' -o '/abs/dir/%s-large.jpg[Q=82,optimize_coding]' FILES")
    w("vipsthumbnail -s 256x256 --smartcrop attention -o '/abs/dir/%s-thumb.jpg[Q=80,optimize_coding]' FILES")
    w("# ImageMagick 6, per file, with the jpeg:size hint for shrink-on-load (HINT: 1600x1600,")
    w("# or the image's own size when it is smaller)")
    w("convert -define jpeg:size=HINT FILE -auto-orient -strip -resize '1600x1600>' -quality 82 NAME-large.jpg")
    w("convert -define jpeg:size=256x256 FILE -auto-orient -strip -thumbnail '256x256^' \\")
    w("        -gravity center -extent 256x256 -quality 80 NAME-thumb.jpg")
    w("```\n")
    w("**The floor** decodes once with `vips_thumbnail` at the scale pixpipe's core asks for "
      "(the resize stage's `min_scale`: libvips picks the JPEG shrink-on-load factor and the "
      "lanczos3 reduce from that box), holds the 1600 px image in memory once, cuts the "
      "256×256 attention thumbnail from it (scaled once, held in memory, `vips_smartcrop`), "
      "draws the watermark as the stage does (Pango text, halo, opacity 0.5, south-east), and "
      "writes JPEG Q82 and Q80 with optimised Huffman tables. Its files have pixpipe's sizes "
      "and pixels (table above); they are 190 bytes smaller, the EXIF block libvips writes "
      "into pixpipe's large rendition (the output keeps the metadata exif-strip leaves). The "
      "libvips operation cache is off in both, or the floor would render the mark's text once "
      "per run instead of once per image. The floor runs with the heap settings pixpipe gives "
      "itself (two arenas, 32 MiB mmap and trim thresholds, as `MALLOC_ARENA_MAX`, "
      "`MALLOC_MMAP_THRESHOLD_`, `MALLOC_TRIM_THRESHOLD_`): with glibc's moving thresholds it "
      "pays 4-8% of its wall time in page faults, which would flatter pixpipe.\n")
    w("**sharp** makes the same two files: `.rotate()`, `resize(1600, 1600, {fit: 'inside', "
      "withoutEnlargement: true, kernel: 'lanczos3'})` to raw pixels in memory once, then the "
      "thumbnail (`fit: 'cover', position: attention`, Q80) and the large (the same mark, "
      "rendered with sharp's text input and composited, Q82) from them; metadata stripped, "
      "Huffman tables optimised (sharp's defaults). It runs its own prebuilt libvips "
      f"({mach['sharp'].partition('(')[2].rstrip(')') or 'its own version'}), newer than the "
      "Debian libvips pixpipe and the floor use: the same work, other code.\n")
    w("Fairness for the peers: every tool makes the same two files per image (a 1600 px box, "
      "never enlarged; a 256×256 crop) at the same JPEG qualities. ImageMagick's `jpeg:size` "
      "hint is the box itself, capped at the image's size: ImageMagick 6.9.11 with Debian's "
      "libjpeg-turbo decodes at **twice** the size when the hint is larger than the image in "
      "either dimension (its scale denominator, floor(image ÷ hint), becomes 0). "
      "vipsthumbnail and ImageMagick draw no watermark and write no record; vipsthumbnail "
      "keeps the source's metadata. ImageMagick runs with Debian's default policy.xml.\n")

    w("## Profile and changes\n")
    w(PROFILE_START)
    w(keep_profile(out_md).rstrip("\n"))
    w(PROFILE_END)
    w("")

    text = "\n".join(md)
    with open(out_md, "w") as f:
        f.write(text)

    for key, tab in (("onecpu", one_t), ("twocore", two_t)):
        if tab:
            print(f"\n{SHAPES[key]} (ms per image; ratios of median wall times)\n")
            print(floor_table(tab, sets))
    if peer_t:
        print("\nPeers, 2 cores (images/s; ratio = pixpipe ÷ peer)\n")
        print(peers_table(peer_t, sets))
    print("\nTargets\n")
    for name, val, ok in targets + earlier:
        print(f"  {'MET    ' if ok else 'NOT MET'}  {name}: {val}")
    print(f"\nwrote {out_md}, {png}, {long_png}")


if __name__ == "__main__":
    main()

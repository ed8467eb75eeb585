#!/usr/bin/python3
"""Seed corpora for the libFuzzer targets of tests/fuzz, made from the tree.

    seeds.py OUTDIR [TARGET...]

Writes OUTDIR/TARGET/seed-SHA1 files (the same input is written once):
  event     JSON objects among the string literals of the event and Lambda
            tests, each S3 notification also wrapped as SQS, SNS, SQS around
            SNS and EventBridge; ../shared/corpus/events/*.json where present
  pipeline  pipelines/*.yaml, the ```yaml blocks of README.md and docs/, and
            the YAML literals of the tests (test plugins' storage memtest
            read as fs, the storage the fuzz registry has)
  keys      the templates and keys of the key tests and of the pipelines and
            docs, as TEMPLATE NUL KEY NUL RENDITION NUL EXT
  sigv4     the paths, queries and headers of the SigV4 tests as requests in
            the test suite's .req form; ../shared/corpus's .req vectors
  record    the JSON objects above as record operations (fuzz_record.c)
  icc       libvips' built-in sRGB and P3 profiles, taken out of JPEGs made
            here with vips; the profiles of ../shared/corpus's images
  exif      `vipsheader -a` of JPEGs made here (tools/mkimage --camera when
            build-fuzz/mkimage exists, and vips + exiftool with the values of
            the metadata-sink tests); the fields the tests set; the EXIF of
            ../shared/corpus's images
  tiff      TIFFs made here with vips (one page, several, BigTIFF, tiled);
            ../shared/corpus's TIFFs
Nothing is downloaded and nothing is written into the tree.  Inputs over
64 KiB are left out: they would only slow the mutations down.
"""
import glob
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SHARED = os.path.join(ROOT, "..", "shared", "corpus")
MAX_SEED = 64 * 1024


def read(path):
    with open(path, "rb") as f:
        return f.read()


# --------------------------------------------------------------- C literals

_ESC = {"n": b"\n", "t": b"\t", "r": b"\r", "0": b"\0", "\\": b"\\", '"': b'"', "'": b"'",
        "a": b"\a", "b": b"\b", "f": b"\f", "v": b"\v", "?": b"?"}


def _decode_c(body):
    """The bytes of a C string literal's body (between the quotes)."""
    out, i = bytearray(), 0
    raw = body.encode("utf-8", "surrogateescape")
    while i < len(raw):
        c = raw[i:i + 1]
        if c != b"\\":
            out += c
            i += 1
            continue
        n = chr(raw[i + 1]) if i + 1 < len(raw) else ""
        if n == "x":
            m = re.match(rb"[0-9a-fA-F]+", raw[i + 2:])
            out.append(int(m.group(0), 16) & 0xFF if m else 0)
            i += 2 + (len(m.group(0)) if m else 0)
        elif n in "01234567" and n:
            m = re.match(rb"[0-7]{1,3}", raw[i + 1:])
            out.append(int(m.group(0), 8) & 0xFF)
            i += 1 + len(m.group(0))
        else:
            out += _ESC.get(n, n.encode())
            i += 2
    return bytes(out)


_TOKEN = re.compile(r'#[ \t]*include[^\n]*|//[^\n]*|/\*.*?\*/|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|'
                    r'#[ \t]*define[ \t]+([A-Za-z_]\w*)[ \t]+((?:"(?:[^"\\\n]|\\.)*"[ \t]*)+)|'
                    r'[A-Za-z_]\w*|\S', re.S)


def c_strings(path):
    """Each run of adjacent string literals of a C file, concatenated as the
    compiler does, with macros defined as string literals expanded."""
    text = read(path).decode("utf-8", "surrogateescape")
    macros, out, cur = {}, [], None
    for m in _TOKEN.finditer(text):
        tok = m.group(0)
        if m.group(1):  # #define NAME "..." "..."
            macros[m.group(1)] = b"".join(_decode_c(s[1:-1]) for s in
                                          re.findall(r'"(?:[^"\\\n]|\\.)*"', m.group(2)))
            continue
        if tok.startswith("//") or tok.startswith("/*") or tok.startswith("#"):
            continue
        if tok.startswith('"'):
            piece = _decode_c(tok[1:-1])
        elif tok in macros:
            piece = macros[tok]
        else:
            if cur is not None:
                out.append(cur)
            cur = None
            continue
        cur = piece if cur is None else cur + piece
    if cur is not None:
        out.append(cur)
    return out


def md_blocks(path, lang):
    text = read(path).decode("utf-8", "replace")
    return [b.encode() for b in re.findall(r"^```" + lang + r"[^\n]*\n(.*?)^```", text, re.S | re.M)]


def json_objects(blobs):
    for b in blobs:
        try:
            v = json.loads(b.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            continue
        if isinstance(v, dict):
            yield v


def tree(*patterns):
    files = []
    for p in patterns:
        files += sorted(glob.glob(os.path.join(ROOT, p)))
    return files


def shared(*patterns):
    files = []
    for p in patterns:
        files += sorted(glob.glob(os.path.join(SHARED, p), recursive=True))
    return files


def run(*cmd, **kw):
    """A tool's stdout, or None when it is missing or fails."""
    try:
        return subprocess.run(cmd, check=True, capture_output=True, timeout=60, **kw).stdout
    except (OSError, subprocess.SubprocessError):
        return None


# ------------------------------------------------------------- the targets

def event_docs():
    blobs = []
    for f in tree("tests/unit/test_event.c", "tests/e2e/test_lambda.c", "tests/e2e/test_run.c"):
        blobs += c_strings(f)
    for f in shared("events/*.json"):
        blobs.append(read(f))
    for f in tree("docs/*.md"):
        blobs += md_blocks(f, "json")
    return list(json_objects(blobs))


def wrapped(doc):
    """An S3 notification also as AWS delivers it through SQS, SNS, both,
    and its first record as an EventBridge event."""
    recs = doc.get("Records")
    if not isinstance(recs, list) or not recs or not isinstance(recs[0], dict) \
            or recs[0].get("eventSource") != "aws:s3":
        return []
    text = json.dumps(doc)
    sns = {"Type": "Notification", "MessageId": "n-1", "Message": text}
    out = [
        {"Records": [{"eventSource": "aws:sqs", "messageId": "m-1", "body": text},
                     {"eventSource": "aws:sqs", "messageId": "m-2", "body": "{}"}]},
        {"Records": [{"EventSource": "aws:sns", "Sns": sns}]},
        {"Records": [{"eventSource": "aws:sqs", "messageId": "m-1", "body": json.dumps(sns)}]},
    ]
    s3 = recs[0].get("s3") or {}
    if isinstance(s3, dict):
        out.append({"version": "0", "source": "aws.s3", "detail-type": "Object Created",
                    "detail": {"bucket": s3.get("bucket"), "object": s3.get("object")}})
    return out


def seeds_event():
    for doc in event_docs():
        yield json.dumps(doc).encode()
        for w in wrapped(doc):
            yield json.dumps(w).encode()


YAML_TOP = re.compile(rb"^(name|source|destination|metadata|limits|output|stages|trigger):", re.M)


def yaml_docs():
    docs = [read(f) for f in tree("pipelines/*.yaml")]
    for f in tree("README.md", "docs/*.md"):
        docs += md_blocks(f, "yaml")
    for f in tree("tests/unit/*.c", "tests/e2e/*.c"):
        for s in c_strings(f):
            if YAML_TOP.search(s):
                docs.append(s.replace(b"storage: memtest", b"storage: fs"))
    return docs


def seeds_pipeline():
    return yaml_docs()


def seeds_keys():
    templates, keys = [], []
    for f in tree("tests/unit/test_keys.c"):
        for s in c_strings(f):
            (templates if b"{" in s or b"}" in s else keys).append(s)
    for d in yaml_docs():
        templates += re.findall(rb'key: *"([^"\n]*)"', d)
    for f in tree("docs/pipeline.md"):
        keys += re.findall(rb"`([\w./-]+\.(?:jpe?g|png|webp|gif|tiff?|heic|avif))`", read(f))
    templates = list(dict.fromkeys(t for t in templates if t))
    keys = list(dict.fromkeys(keys)) or [b"photos/cat.jpg"]
    for i, t in enumerate(templates):
        for k in keys[i % len(keys):][:3]:
            yield t + b"\0" + k + b"\0large\0jpg"
    for k in keys:
        yield b"{dir}/{name}-{rendition}.{ext}\0" + k + b"\0thumb\0webp"


def seeds_sigv4():
    for f in shared("sigv4/**/*.req"):
        yield read(f)
    paths, queries, headers = [], [], []
    for f in tree("tests/unit/test_sigv4.c", "tests/unit/test_aws.c"):
        text = read(f).decode("utf-8", "surrogateescape")
        paths += [_decode_c(p) for p in re.findall(r'\.path = "((?:[^"\\]|\\.)*)"', text)]
        queries += [_decode_c(q) for q in re.findall(r'\.query = "((?:[^"\\]|\\.)*)"', text)]
        headers += [(_decode_c(n), _decode_c(v)) for n, v in
                    re.findall(r'\{ *"([A-Za-z][\w-]*)", *"((?:[^"\\]|\\.)*)" *\}', text)]
    queries = queries or [b""]
    for i, p in enumerate(dict.fromkeys(paths)):
        q = queries[i % len(queries)]
        hs = headers[i % max(len(headers), 1):][:3] if headers else []
        req = b"GET " + p + (b"?" + q if q else b"") + b" HTTP/1.1\nHost:example.amazonaws.com\n"
        req += b"".join(n + b":" + v + b"\n" for n, v in hs)
        yield req + b"\n"


def record_ops(obj):
    """fuzz_record.c's operations that build obj."""
    out = bytearray()
    for k, v in obj.items():
        key = k.encode() + b"\0"
        if isinstance(v, bool):
            out += b"b" + key + (b"1" if v else b"0") + b"\0"
        elif isinstance(v, int):
            out += b"i" + key + str(v).encode() + b"\0"
        elif isinstance(v, float):
            out += b"n" + key + repr(v).encode() + b"\0"
        elif isinstance(v, str):
            out += b"s" + key + v.encode() + b"\0"
        elif v is None:
            out += b"S" + key
        elif isinstance(v, dict):
            out += b"o" + key + record_ops(v) + b"u"
        elif isinstance(v, list):
            for item in v:
                if isinstance(item, dict):
                    out += b"a" + key + record_ops(item) + b"u"
                elif isinstance(item, str):
                    out += b"l" + key + item.encode() + b"\0"
    return bytes(out)


def seeds_record():
    for doc in event_docs():
        yield record_ops(doc) + b"g" + next(iter(doc), "k").encode() + b"\0"


def made_jpegs(tmp):
    """JPEGs made here: the scene of tools/mkimage with camera and GPS
    fields, and vips' black image tagged by exiftool with the values the
    metadata-sink tests use (and the other hemispheres)."""
    out = []
    mk = os.path.join(ROOT, "build-fuzz", "mkimage")
    if os.access(mk, os.X_OK):
        f = os.path.join(tmp, "scene.jpg")
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0")
        if run(mk, "--scene", "--camera", "--orientation", "6", f, "64", "48", env=env) is not None:
            out.append(f)
    tags = [
        ["-Make=TestMake", "-Model=Model (X) 2", "-LensModel=EF 50mm f/1.8",
         "-DateTimeOriginal=2021:03:04 05:06:07", "-OffsetTimeOriginal=+02:00",
         "-ExposureTime=1/250", "-FNumber=2.8", "-ISO=400", "-GPSLatitude=33.8598",
         "-GPSLatitudeRef=S", "-GPSLongitude=70.675", "-GPSLongitudeRef=W",
         "-GPSAltitude=520.4", "-GPSAltitudeRef=Below Sea Level"],
        ["-Make=Pixpipe Optics", "-Model=Demo Camera 1", "-DateTimeOriginal=2026:06:21 12:00:00",
         "-GPSLatitude=48.858", "-GPSLatitudeRef=N", "-GPSLongitude=2.294",
         "-GPSLongitudeRef=E", "-GPSAltitude=35", "-GPSAltitudeRef=Above Sea Level"],
    ]
    for i, t in enumerate(tags):
        f = os.path.join(tmp, "tagged%d.jpg" % i)
        if run("vips", "black", f, "8", "8", "--bands", "3") is not None and \
                run("exiftool", "-q", "-overwrite_original", *t, f) is not None:
            out.append(f)
    return out


def seeds_exif():
    with tempfile.TemporaryDirectory() as tmp:
        images = made_jpegs(tmp)
        images += shared("images/**/*.jpg", "images/**/*.heic", "images/**/*.avif",
                         "images/**/*.png")
        for f in images:
            text = run("vipsheader", "-a", f)
            if text:
                lines = [l for l in text.split(b"\n") if l.startswith(b"exif-ifd")]
                if lines:
                    yield b"\n".join(lines) + b"\n"
    # The fields the tests set, as the tests set them (value only).
    for f in tree("tests/e2e/test_metadata_sink.c", "tests/lib/testutil.c"):
        strings = c_strings(f)
        pairs = [(a, b) for a, b in zip(strings, strings[1:]) if re.match(rb"exif-ifd\d-\w+$", a)]
        if pairs:
            yield b"".join(a + b": " + b + b"\n" for a, b in pairs)


def seeds_icc():
    with tempfile.TemporaryDirectory() as tmp:
        images = []
        black = os.path.join(tmp, "black.v")
        if run("vips", "black", black, "8", "8", "--bands", "3") is not None:
            for profile in ("srgb", "p3"):
                f = os.path.join(tmp, profile + ".jpg")
                if run("vips", "copy", black, f + "[profile=%s]" % profile) is not None:
                    images.append(f)
        images += shared("images/**/*.jpg", "images/**/*.png", "images/**/*.tif*",
                         "images/**/*.webp", "images/**/*.heic", "images/**/*.avif")
        # One exiftool for all: each profile into its own file.
        out = os.path.join(tmp, "icc")
        os.makedirs(out)
        run("exiftool", "-q", "-b", "-ICC_Profile", "-w", os.path.join(out, "%f_%e%c.icc"),
            *images)
        for f in sorted(glob.glob(os.path.join(out, "*.icc"))):
            yield read(f)


def seeds_tiff():
    with tempfile.TemporaryDirectory() as tmp:
        black = os.path.join(tmp, "black.v")
        if run("vips", "black", black, "4", "12", "--bands", "3") is not None:
            for name, opts in (("one", "strip"), ("pages", "page-height=4"),
                               ("big", "bigtiff,page-height=3"),
                               ("tiled", "page-height=2,tile,tile-width=16,tile-height=16")):
                f = os.path.join(tmp, name + ".tif")
                if run("vips", "copy", black, "%s[%s]" % (f, opts)) is not None:
                    yield read(f)
    for f in shared("images/**/*.tif", "images/**/*.tiff"):
        data = read(f)
        if len(data) <= MAX_SEED:
            yield data


TARGETS = {"event": seeds_event, "pipeline": seeds_pipeline, "keys": seeds_keys,
           "sigv4": seeds_sigv4, "record": seeds_record, "icc": seeds_icc, "exif": seeds_exif,
           "tiff": seeds_tiff}


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: seeds.py OUTDIR [TARGET...]")
    outdir, names = sys.argv[1], sys.argv[2:] or sorted(TARGETS)
    for name in names:
        if name not in TARGETS:
            sys.exit("seeds.py: no seeds for target '%s'" % name)
        d = os.path.join(outdir, name)
        os.makedirs(d, exist_ok=True)
        written = set()
        for seed in TARGETS[name]():
            if not seed or len(seed) > MAX_SEED:
                continue
            path = os.path.join(d, "seed-" + hashlib.sha1(seed).hexdigest())
            if path not in written and not os.path.exists(path):
                with open(path, "wb") as f:
                    f.write(seed)
            written.add(path)
        print("  SEEDS   %s: %d" % (d, len(written)))


if __name__ == "__main__":
    main()

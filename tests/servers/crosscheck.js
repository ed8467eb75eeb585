'use strict';
// Cross-checks pixpipe's C BlurHash and ThumbHash encoders
// (plugins/describe/blurhash.c, thumbhash.c) against the npm packages they
// must match byte for byte (blurhash 2.x, thumbhash 0.1.x, pinned in
// package.json), and measures how close our hashes decode to the source.
//
//   node crosscheck.js RAWFILE WIDTH HEIGHT [BLURHASH CX CY] [THUMBHASH_BASE64]
//
// RAWFILE holds WIDTH*HEIGHT*4 bytes of straight RGBA, row-major.  Prints
// one JSON line:
//   blurhash   the package's encode() of the pixels with CX x CY components
//              (4 x 3 when not given)
//   thumbhash  base64 (standard, padded) of the package's rgbaToThumbHash(),
//              null when the image is over 100 px a side (it refuses those)
//   blurhash_decoded_mean_diff, thumbhash_decoded_mean_diff   only when the
//              hash (ours, to check) is given: the package decodes it and
//              this is the mean absolute difference per RGB channel, 0..255,
//              against the source (alpha ignored)
// Either hash argument may be '-' to give none (e.g. to choose CX CY only).
// Exits 2 on bad arguments, 1 when a given hash does not decode.

const fs = require('fs');
const { encode, decode, isBlurhashValid } = require('blurhash');

function usage(msg) {
  process.stderr.write(`crosscheck.js: ${msg}\n` +
    'usage: node crosscheck.js RAWFILE WIDTH HEIGHT [BLURHASH CX CY] [THUMBHASH_BASE64]\n');
  process.exit(2);
}

function positiveInt(s, what, max) {
  if (!/^[0-9]+$/.test(s) || Number(s) < 1 || Number(s) > max) usage(`${what} must be an integer 1..${max}, not '${s}'`);
  return Number(s);
}

function parseArgs(argv) {
  if (argv.length < 3) usage('RAWFILE, WIDTH and HEIGHT are needed');
  const [file, ws, hs, ...rest] = argv;
  const a = { file, w: positiveInt(ws, 'WIDTH', 1 << 16), h: positiveInt(hs, 'HEIGHT', 1 << 16),
    blurhash: null, cx: 4, cy: 3, thumbhash: null };
  if (rest.length === 3 || rest.length === 4) {
    a.blurhash = rest[0] === '-' ? null : rest[0];
    a.cx = positiveInt(rest[1], 'CX', 9);
    a.cy = positiveInt(rest[2], 'CY', 9);
    rest.splice(0, 3);
  }
  if (rest.length === 1) {
    a.thumbhash = rest[0] === '-' ? null : rest[0];
    if (a.thumbhash !== null && !/^[A-Za-z0-9+/]+={0,2}$/.test(a.thumbhash)) usage(`'${a.thumbhash}' is not base64`);
  } else if (rest.length !== 0) {
    usage('after HEIGHT: nothing, THUMBHASH, BLURHASH CX CY, or BLURHASH CX CY THUMBHASH');
  }
  return a;
}

// Mean |a - b| over the R, G and B of n pixels (RGBA, 4 bytes each).
function meanDiff(a, b, n) {
  let sum = 0;
  for (let i = 0; i < n * 4; i += 4)
    sum += Math.abs(a[i] - b[i]) + Math.abs(a[i + 1] - b[i + 1]) + Math.abs(a[i + 2] - b[i + 2]);
  return sum / (n * 3);
}

// The source brought down (or up) to dw x dh by box averaging: each output
// pixel is the area-weighted mean of the source pixels its box covers.  The
// ThumbHash is compared at the decoded size (about 32 px) rather than the
// decoded image enlarged, so the figure measures the placeholder, not the
// blockiness of a nearest-neighbour enlargement.  Alpha is ignored.
function boxResample(src, sw, sh, dw, dh) {
  const out = new Float64Array(dw * dh * 4);
  const sx = sw / dw, sy = sh / dh;
  for (let oy = 0; oy < dh; oy++) {
    const y0 = oy * sy, y1 = y0 + sy;
    for (let ox = 0; ox < dw; ox++) {
      const x0 = ox * sx, x1 = x0 + sx;
      let r = 0, g = 0, b = 0, area = 0;
      for (let y = Math.floor(y0); y < Math.min(sh, Math.ceil(y1)); y++) {
        const wy = Math.min(y + 1, y1) - Math.max(y, y0);
        for (let x = Math.floor(x0); x < Math.min(sw, Math.ceil(x1)); x++) {
          const wgt = wy * (Math.min(x + 1, x1) - Math.max(x, x0));
          const i = (y * sw + x) * 4;
          r += wgt * src[i];
          g += wgt * src[i + 1];
          b += wgt * src[i + 2];
          area += wgt;
        }
      }
      const o = (oy * dw + ox) * 4;
      out[o] = r / area;
      out[o + 1] = g / area;
      out[o + 2] = b / area;
    }
  }
  return out;
}

async function main() {
  const a = parseArgs(process.argv.slice(2));
  let raw;
  try {
    raw = fs.readFileSync(a.file);
  } catch (e) {
    usage(`cannot read ${a.file}: ${e.message}`);
  }
  if (raw.length !== a.w * a.h * 4) usage(`${a.file} has ${raw.length} bytes, not ${a.w}*${a.h}*4 = ${a.w * a.h * 4}`);
  const pixels = new Uint8ClampedArray(raw.buffer, raw.byteOffset, raw.length);

  // thumbhash is an ES module only: import() it from CommonJS
  const { rgbaToThumbHash, thumbHashToRGBA } = await import('thumbhash');

  const result = { blurhash: encode(pixels, a.w, a.h, a.cx, a.cy) };
  result.thumbhash = a.w <= 100 && a.h <= 100
    ? Buffer.from(rgbaToThumbHash(a.w, a.h, pixels)).toString('base64') : null;

  if (a.blurhash !== null) {
    const valid = isBlurhashValid(a.blurhash);
    if (!valid.result) {
      process.stderr.write(`crosscheck.js: BLURHASH '${a.blurhash}' does not decode: ${valid.errorReason}\n`);
      process.exit(1);
    }
    const decoded = decode(a.blurhash, a.w, a.h);
    result.blurhash_decoded_mean_diff = Number(meanDiff(decoded, pixels, a.w * a.h).toFixed(3));
  }
  if (a.thumbhash !== null) {
    const bytes = Buffer.from(a.thumbhash, 'base64');
    if (bytes.length < 5) {
      process.stderr.write(`crosscheck.js: THUMBHASH '${a.thumbhash}' is ${bytes.length} bytes, under the 5 of a header\n`);
      process.exit(1);
    }
    const d = thumbHashToRGBA(new Uint8Array(bytes));
    const src = boxResample(pixels, a.w, a.h, d.w, d.h);
    result.thumbhash_decoded_mean_diff = Number(meanDiff(d.rgba, src, d.w * d.h).toFixed(3));
  }
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((e) => {
  process.stderr.write(`crosscheck.js: ${e.stack || e}\n`);
  process.exit(1);
});

// The default pipeline's two renditions made with sharp, in one node
// process over the files: what `make bench` times beside pixpipe
// (bench/work.sh sharp).
//
//   node bench/sharp/work.js OUTDIR FILE...
//
// Per FILE (NAME.ext), as the default pipeline makes them:
//   OUTDIR/NAME-large.jpg  auto-oriented, inside 1600x1600 and never
//                          enlarged, lanczos3; "© pixpipe" in white at 3% of
//                          the width over a soft black halo, opacity 0.5, in
//                          the south-east corner 2% from the edges; Q82
//   OUTDIR/NAME-thumb.jpg  256x256 cover, attention crop, Q80, no mark
// both without metadata (sharp's default) and with optimised Huffman
// tables (sharp's default, as pixpipe's encoder).
//
// The source is decoded once, at the 1600 px size (sharp's shrink-on-load),
// and both renditions are made from that decoded image in memory, as
// pixpipe does.  The mark is rendered for each image (its size follows the
// image's width), as pixpipe's watermark stage does, with sharp's own text
// input (Pango); the halo is the ink blurred and scaled by 2.5, as there.
//
// Environment:
//   BENCH_SHARP_JOBS        images in flight at once (default 1)
//   BENCH_SHARP_CONCURRENCY libvips threads per image, sharp.concurrency()
//                           (default: sharp's own, 1 on glibc Linux)
//   BENCH_SHARP_LARGE=png   the large rendition as a lossless PNG instead
//                           (NAME-large.png), bench/bytes.sh's reference
//   BENCH_SHARP_QUALITY     the large rendition's JPEG quality (default 82)
//   BENCH_SHARP_MOZJPEG=1   the large rendition through sharp's mozjpeg
//                           settings (trellis quantisation, its tables)
//   WATERMARK_TEXT          as in the default pipeline
// Nothing here reaches the network: sharp and its libvips are the
// prebuilt binaries npm installed under node_modules.
'use strict';

const path = require('path');
const sharp = require('sharp');

const LARGE_BOX = 1600;
const THUMB_BOX = 256;
const OPACITY = 0.5;
const SHADOW_ALPHA = 128 / 255;
const TEXT = `\u00a9 ${process.env.WATERMARK_TEXT || 'pixpipe'}`;
const LARGE_QUALITY = Number(process.env.BENCH_SHARP_QUALITY || 82);
const MOZJPEG = process.env.BENCH_SHARP_MOZJPEG === '1';

// The mark for an image w x h: {input, raw, left, top} layers for composite().
// pixpipe's watermark: size round(3% w), margin round(2% w), halo
// max(1, ceil(px / 14)) pixels of padding, blur sigma halo / 2 + 0.5.
async function markLayers(w, h) {
  const px = Math.floor(0.03 * w + 0.5);
  const margin = Math.min(Math.floor(0.02 * w + 0.5), Math.floor(w / 4));
  const marginY = Math.min(Math.floor(0.02 * w + 0.5), Math.floor(h / 4));
  const halo = Math.max(1, Math.ceil(px / 14));
  const ink = await sharp({ text: { text: TEXT.replace(/&/g, '&amp;').replace(/</g, '&lt;'),
                                    font: `DejaVu Sans ${px}`, dpi: 72 } })
    .extend({ top: halo, bottom: halo, left: halo, right: halo, background: 'black' })
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { width, height } = ink.info;
  const one = { raw: { width, height, channels: 1 } };
  const spread = await sharp(ink.data, one).blur(halo / 2 + 0.5).linear(2.5, 0)
    .extractChannel(0).raw().toBuffer();
  // RGBA layers: a constant colour, alpha = ink x opacity x the colour's alpha
  const layer = (mask, value, alpha) => {
    const out = Buffer.alloc(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      out[i * 4] = out[i * 4 + 1] = out[i * 4 + 2] = value;
      out[i * 4 + 3] = Math.round(mask[i] * OPACITY * alpha);
    }
    return out;
  };
  const raw = { width, height, channels: 4 };
  const left = w - margin - width;
  const top = h - marginY - height;
  return [
    { input: layer(spread, 0, SHADOW_ALPHA), raw, left, top },
    { input: layer(ink.data, 255, 1), raw, left, top },
  ];
}

async function one(outdir, file) {
  const name = path.basename(file, path.extname(file));
  const { data, info } = await sharp(file)
    .rotate()
    .resize(LARGE_BOX, LARGE_BOX, { fit: 'inside', withoutEnlargement: true, kernel: 'lanczos3' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const raw = { raw: { width: info.width, height: info.height, channels: info.channels } };
  const thumb = sharp(data, raw)
    .resize(THUMB_BOX, THUMB_BOX, { fit: 'cover', position: sharp.strategy.attention,
                                    kernel: 'lanczos3', withoutEnlargement: true })
    .jpeg({ quality: 80 })
    .toFile(path.join(outdir, `${name}-thumb.jpg`));
  const marked = sharp(data, raw).composite(await markLayers(info.width, info.height));
  const large = process.env.BENCH_SHARP_LARGE === 'png'
    ? marked.png().toFile(path.join(outdir, `${name}-large.png`))
    : marked.jpeg({ quality: LARGE_QUALITY, mozjpeg: MOZJPEG })
      .toFile(path.join(outdir, `${name}-large.jpg`));
  await Promise.all([thumb, large]);
}

async function main() {
  const [outdir, ...files] = process.argv.slice(2);
  if (!outdir || files.length === 0) {
    console.error('usage: node work.js OUTDIR FILE...');
    process.exit(2);
  }
  if (process.env.BENCH_SHARP_CONCURRENCY)
    sharp.concurrency(Number(process.env.BENCH_SHARP_CONCURRENCY));
  // sharp's operation cache, off as pixpipe's: every image is new
  sharp.cache(false);
  const jobs = Math.max(1, Number(process.env.BENCH_SHARP_JOBS || 1));
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < files.length) {
      const f = files[next++];
      try {
        await one(outdir, f);
      } catch (e) {
        failed++;
        console.error(`sharp: ${f}: ${e.message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, files.length) }, worker));
  process.exitCode = failed ? 1 : 0;
}

main();

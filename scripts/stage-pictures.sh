#!/bin/sh
# Makes the before/after pictures of docs/stages.md with pixpipe itself:
# made-up scenes (tools/mkimage) through one small pipeline per stage, the
# results written as small PNGs into docs/img/.
# usage: scripts/stage-pictures.sh [BUILD]   (after `make all build/mkimage`)
set -eu
build=$(cd "${1:-build}" && pwd)
src=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
img="$src/docs/img"
mkdir -p "$img"
cd "$work"
"$build/mkimage" --scene scene.jpg 3000 2000
"$build/mkimage" --scene --orientation 6 --camera phone.jpg 3000 2000

# pipe NAME STAGES [OUTPUT-OPTIONS]: runs scene.jpg (or $IN) through the
# stages and leaves out/NAME/... as PNG
pipe() {
    cat > p.yaml <<YAML
destination: { storage: fs, root: ./out/$1, key: "{rendition}.{ext}" }
output: { rendition: main, format: png }
stages:
$2
YAML
    "$build/pixpipe" run -q -p p.yaml "${IN:-scene.jpg}" > /dev/null
}

# before: the input as stored, small (vips does not turn it by its tag)
vips thumbnail phone.jpg "$img/exif-strip-before.png" 240 --no-rotate
vips thumbnail scene.jpg "$img/scene-before.png" 240
IN=phone.jpg pipe exif "  - exif-strip: {}
  - resize: { width: 240, height: 240 }"
cp out/exif/main.png "$img/exif-strip-after.png"

for fit in inside cover contain fill; do
    pipe "$fit" "  - resize: { width: 160, height: 160, fit: $fit, background: '#ffffff' }"
    cp "out/$fit/main.png" "$img/resize-$fit.png"
done

for crop in centre attention; do
    pipe "thumb-$crop" "  - resize: { width: 240 }
  - thumbnail: { width: 120, height: 120, crop: $crop, format: png }"
    cp "out/thumb-$crop/thumb.png" "$img/thumbnail-$crop.png"
done

pipe text "  - resize: { width: 320 }
  - watermark: { text: '© pixpipe', size: 6%, position: south-east, opacity: 0.8 }"
cp out/text/main.png "$img/watermark-text.png"
pipe logo "  - resize: { width: 320 }
  - watermark: { image: $src/pipelines/assets/logo.png, scale: 0.3, position: north-west }"
cp out/logo/main.png "$img/watermark-image.png"
pipe tile "  - resize: { width: 320 }
  - watermark: { text: 'proof', size: 5%, tile: true, opacity: 0.35, spacing: 8% }"
cp out/tile/main.png "$img/watermark-tile.png"
# crop: focus: a red "face" near the right edge, named by an MWG region
vips copy scene.jpg face.v
vips draw_rect face.v "220 40 40" 2700 500 150 180 --fill
vips copy face.v face.jpg
/usr/bin/exiftool -q -overwrite_original \
    '-XMP-mwg-rs:RegionInfo={AppliedToDimensions={W=3000,H=2000,Unit=pixel},RegionList=[{Area={X=0.925,Y=0.295,W=0.05,H=0.09,Unit=normalized},Type=Face,Name=Someone}]}' \
    face.jpg
vips thumbnail face.jpg "$img/focus-source.png" 240
IN=face.jpg pipe focus "  - resize: { width: 360 }
  - thumbnail: { name: centre, width: 120, height: 120, crop: centre, format: png }
  - thumbnail: { name: focus, width: 120, height: 120, crop: focus, format: png }"
cp out/focus/centre.png "$img/focus-centre.png"
cp out/focus/focus.png "$img/focus-focus.png"
ls -la "$img"

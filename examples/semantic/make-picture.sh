#!/bin/sh
# Makes examples/semantic/before-after.png, the README's picture of a semantic edit: a colour
# edit of shapes.svg with the toy semantic CLIP model of the tests (tests/fixtures/clip/semantic),
# four element ROIs with their own prompts, on the CPU. Needs a built `clipvg` (argument 1,
# default target/release/clipvg) and ImageMagick's `convert` to put the two renders side by side.
# Run from the repository root.
set -eu
clipvg=${1:-target/release/clipvg}
dir=examples/semantic
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$clipvg" edit $dir/shapes.svg -o $dir/shapes-edited.svg \
  --model tests/fixtures/clip/semantic --backend cpu --mode colour \
  --roi 'c=a green circle' --roi 's=a blue square' --roi 'pair=a red circle' --roi 't=a yellow triangle' \
  --iters 30 --color-lr 0.03 --patches 8 --size 96 --seed 2
"$clipvg" render $dir/shapes.svg -o "$tmp/before.png" --size 240 --backend cpu
"$clipvg" render $dir/shapes-edited.svg -o "$tmp/after.png" --size 240 --backend cpu
convert "$tmp/before.png" -size 24x240 xc:white "$tmp/after.png" +append \
  -bordercolor '#bbbbbb' -border 1 -strip $dir/before-after.png

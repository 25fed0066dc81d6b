#!/usr/bin/env bash
# Outputs of the examples for a before/after comparison of a refactor ("behaviour stays as it
# is"): renders, inspect reports, vectorizations and two tiny-model edits, single-threaded.
#
#   tests/goldens.sh BIN OUTDIR      # e.g. with the binary of the commit before the change
#   diff -r OLD NEW                  # *.txt hold timings and paths; the rest must be identical
set -u
bin=$(realpath "$1"); out=$(realpath -m "$2"); mkdir -p "$out"
cd "$(dirname "$0")/.."
export RAYON_NUM_THREADS=1
for f in examples/*.svg benches/scenes/n256_s512.svg; do
    b=$(basename "$f" .svg)
    "$bin" inspect --json "$f" >"$out/$b.inspect.json" 2>"$out/$b.inspect.txt"
    "$bin" render "$f" -o "$out/$b.png" --backend cpu 2>"$out/$b.render.txt"
done
for p in tests/fixtures/vectorize/photos/*.png; do
    b=$(basename "$p" .png)
    "$bin" vectorize "$p" -o "$out/$b.vec.svg" --backend cpu >"$out/$b.vec.txt" 2>&1
    "$bin" vectorize "$p" -o "$out/$b.vecr.svg" --refine 5 --backend cpu >"$out/$b.vecr.txt" 2>&1
done
"$bin" edit examples/horseriding.svg -o "$out/horse-edit.svg" --roi-box "20,175,480,325=a metal horse" \
    --preset paper --iters 3 --patches 2 --size 224 --model tests/fixtures/clip/A --backend cpu --seed 7 >"$out/edit.txt" 2>&1
"$bin" edit examples/tajmahal.svg -o "$out/taj-edit.svg" --prompt "gold" --whole-canvas --mode colour \
    --preset paper --iters 3 --patches 2 --size 224 --model tests/fixtures/clip/A --backend cpu --seed 3 >"$out/edit2.txt" 2>&1
# A whole request as JSON (the engine's field names; the request crate keeps them as aliases).
cat >"$out/request.json" <<'JSON'
{"prompt": "a metal horse", "rois": [{"rect": [20, 175, 460, 150], "n_patches": 2, "w_roi": 20}],
 "whole_canvas": true, "whole_canvas_patches": 2, "iterations": 3, "size": 224, "seed": 5,
 "color_lr": 0.02, "mode": "color", "templates": false}
JSON
"$bin" edit examples/horseriding.svg -o "$out/horse-request.svg" --request "$out/request.json" \
    --model tests/fixtures/clip/A --backend cpu >"$out/edit3.txt" 2>&1
ls "$out" | wc -l

// Stage 6, colour reduce (backward). One invocation per layer row: sum dL/d colour of its
// cells into its slots (one per solid paint, one per stop of a gradient). The host adds the
// slots of all items. CPU twin: raster::cpu::color_reduce.
// Prepended at load time: geometry.wgsl, paint.wgsl.

@group(0) @binding(0) var<storage, read_write> info: BandInfo;
@group(0) @binding(1) var<storage, read_write> items: array<LayerRow>;
@group(0) @binding(2) var<storage, read_write> item_rows: array<u32>;
@group(0) @binding(3) var<storage, read_write> a_off: array<u32>;
@group(0) @binding(4) var<storage, read_write> layers: array<LayerRecord>;
@group(0) @binding(5) var<storage, read_write> grads: array<GradientRecord>;
@group(0) @binding(6) var<storage, read_write> stops: array<f32>;
@group(0) @binding(7) var<storage, read_write> cg: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> slot_off: array<u32>;        // first slot per item
@group(0) @binding(9) var<storage, read_write> slots: array<vec4<f32>>;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= info.n_items) {
        return;
    }
    let item = items[i];
    let layer = item.layer;
    let xl = i32(item.xl);
    let xr = i32(item.xr);
    let y = f32(item_rows[i]);
    let kind = layers[layer].paint_kind;
    let s0 = slot_off[i];
    let s1 = slot_off[i + 1u];
    for (var s = s0; s < s1; s++) {
        slots[s] = vec4<f32>(0.0);
    }
    if (kind == 0u) {
        return;
    }
    var first_color = layers[layer].paint_index;
    if (kind == 2u) {
        first_color = grads[first_color].first_color;
    }
    for (var x = xl; x < xr; x++) {
        let gc = cg[a_off[i] + u32(x - xl)];
        if (all(gc == vec4<f32>(0.0))) {
            continue;
        }
        let b = blend_at(layer, f32(x) + 0.5, y + 0.5, info.inv_scale);
        if (!b.valid) {
            continue;
        }
        slots[s0 + b.i0 - first_color] += (1.0 - b.w1) * gc;
        if (b.w1 != 0.0) {
            slots[s0 + b.i1 - first_color] += b.w1 * gc;
        }
    }
}

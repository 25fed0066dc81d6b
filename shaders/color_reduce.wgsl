// Stage: colour gradients (backward). One invocation per layer row: sum dL/d colour of its
// cells into its slots (one per solid paint, one per stop of a gradient). The host adds the
// slots of all items. CPU twin: the colour accumulation in raster::cpu::backward.
// Prepended: geometry.wgsl, paint.wgsl.

@group(0) @binding(0) var<storage, read_write> info: array<u32>;
@group(0) @binding(1) var<storage, read_write> items: array<u32>;
@group(0) @binding(2) var<storage, read_write> item_rows: array<u32>;
@group(0) @binding(3) var<storage, read_write> a_off: array<u32>;
@group(0) @binding(4) var<storage, read_write> layers: array<u32>;
@group(0) @binding(5) var<storage, read_write> grads: array<f32>;
@group(0) @binding(6) var<storage, read_write> stops: array<f32>;
@group(0) @binding(7) var<storage, read_write> cg: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> slot_off: array<u32>;        // first slot per item
@group(0) @binding(9) var<storage, read_write> slots: array<vec4<f32>>;

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= info[2]) {
        return;
    }
    let layer = items[i * 5u];
    let xl = i32(items[i * 5u + 1u]);
    let xr = i32(items[i * 5u + 2u]);
    let y = f32(item_rows[i]);
    let kind = layers[layer * LAYER_STRIDE + 1u];
    let s0 = slot_off[i];
    let s1 = slot_off[i + 1u];
    for (var s = s0; s < s1; s++) {
        slots[s] = vec4<f32>(0.0);
    }
    if (kind == 0u) {
        return;
    }
    let inv_scale = vec2<f32>(bitcast<f32>(info[8]), bitcast<f32>(info[9]));
    var first_color = layers[layer * LAYER_STRIDE + 2u];
    if (kind == 2u) {
        first_color = u32(grads[first_color * GRAD_STRIDE + 2u]);
    }
    for (var x = xl; x < xr; x++) {
        let gc = cg[a_off[i] + u32(x - xl)];
        if (all(gc == vec4<f32>(0.0))) {
            continue;
        }
        let b = blend_at(layer, f32(x) + 0.5, y + 0.5, inv_scale);
        if (!b.valid) {
            continue;
        }
        slots[s0 + b.i0 - first_color] += (1.0 - b.w1) * gc;
        if (b.w1 != 0.0) {
            slots[s0 + b.i1 - first_color] += b.w1 * gc;
        }
    }
}

// Stage: composite (forward). One invocation per pixel: source-over of every layer row of its
// pixel row, in painter's order, onto the background; straight RGBA out.
// CPU twin: raster::cpu::forward. Prepended at load time: geometry.wgsl, paint.wgsl.

@group(0) @binding(0) var<storage, read_write> info: array<u32>;
@group(0) @binding(1) var<storage, read_write> starts: array<u32>;     // items of row y (chunk-relative)
@group(0) @binding(2) var<storage, read_write> items: array<u32>;
@group(0) @binding(3) var<storage, read_write> a_off: array<u32>;
@group(0) @binding(4) var<storage, read_write> acc: array<f32>;
@group(0) @binding(5) var<storage, read_write> layers: array<u32>;
@group(0) @binding(6) var<storage, read_write> colors: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> grads: array<f32>;
@group(0) @binding(8) var<storage, read_write> stops: array<f32>;
@group(0) @binding(9) var<storage, read_write> out: array<vec4<f32>>;   // whole image

fn blend_color(b: Blend) -> vec4<f32> {
    return (1.0 - b.w1) * colors[b.i0] + b.w1 * colors[b.i1];
}

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= info[10]) {
        return;
    }
    let w = info[0];
    let ly = i / w;
    let x = i32(i % w);
    let y = info[3] + ly;
    let inv_scale = vec2<f32>(bitcast<f32>(info[8]), bitcast<f32>(info[9]));
    var q = vec4<f32>(bitcast<f32>(info[4]), bitcast<f32>(info[5]), bitcast<f32>(info[6]), bitcast<f32>(info[7]));
    for (var it = starts[ly]; it < starts[ly + 1u]; it++) {
        let xl = i32(items[it * 5u + 1u]);
        let xr = i32(items[it * 5u + 2u]);
        if (x < xl || x >= xr) {
            continue;
        }
        let layer = items[it * 5u];
        let cov = coverage(acc[a_off[it] + u32(x - xl)], layers[layer * LAYER_STRIDE]);
        if (cov <= 0.0) {
            continue;
        }
        let b = blend_at(layer, f32(x) + 0.5, f32(y) + 0.5, inv_scale);
        if (!b.valid) {
            continue;
        }
        let c = blend_color(b);
        let alpha = c.w * cov;
        q = vec4<f32>(c.xyz * alpha + q.xyz * (1.0 - alpha), alpha + q.w * (1.0 - alpha));
    }
    var o = vec4<f32>(0.0);
    if (q.w > 1e-12) {
        o = vec4<f32>(q.xyz / q.w, q.w);
    }
    out[y * w + u32(x)] = o;
}

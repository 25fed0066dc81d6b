// Stage: composite (backward). One invocation per pixel: replay the forward recurrence saving
// P_i, then run it in reverse: dL/dA per layer-row cell (g) and dL/d colour per cell (cg).
// CPU twin: raster::cpu::backward (first half). Prepended: geometry.wgsl, paint.wgsl.

@group(0) @binding(0) var<storage, read_write> info: array<u32>;
@group(0) @binding(1) var<storage, read_write> starts: array<u32>;
@group(0) @binding(2) var<storage, read_write> items: array<u32>;
@group(0) @binding(3) var<storage, read_write> a_off: array<u32>;
@group(0) @binding(4) var<storage, read_write> acc: array<f32>;
@group(0) @binding(5) var<storage, read_write> layers: array<u32>;
@group(0) @binding(6) var<storage, read_write> colors: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> grads: array<f32>;
@group(0) @binding(8) var<storage, read_write> stops: array<f32>;
@group(0) @binding(9) var<storage, read_write> grad_out: array<vec4<f32>>;  // whole image
@group(0) @binding(10) var<storage, read_write> saved: array<vec4<f32>>;    // P_i per cell
@group(0) @binding(11) var<storage, read_write> g: array<f32>;              // dL/dA per cell
@group(0) @binding(12) var<storage, read_write> cg: array<vec4<f32>>;       // dL/d colour per cell

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
    let first = starts[ly];
    let last = starts[ly + 1u];
    for (var it = first; it < last; it++) {
        let xl = i32(items[it * 5u + 1u]);
        let xr = i32(items[it * 5u + 2u]);
        if (x < xl || x >= xr) {
            continue;
        }
        let cell = a_off[it] + u32(x - xl);
        saved[cell] = q;
        let layer = items[it * 5u];
        let cov = coverage(acc[cell], layers[layer * LAYER_STRIDE]);
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
    // dL/dP at the end, from dL/d straight output.
    let go = grad_out[y * w + u32(x)];
    var gp = vec4<f32>(0.0);
    if (q.w > 1e-12) {
        let inv = 1.0 / q.w;
        gp = vec4<f32>(go.xyz * inv, go.w - dot(go.xyz, q.xyz) * inv * inv);
    }
    for (var it = last; it > first; it--) {
        let k = it - 1u;
        let xl = i32(items[k * 5u + 1u]);
        let xr = i32(items[k * 5u + 2u]);
        if (x < xl || x >= xr) {
            continue;
        }
        let cell = a_off[k] + u32(x - xl);
        let layer = items[k * 5u];
        let rule = layers[layer * LAYER_STRIDE];
        let a = acc[cell];
        let cov = coverage(a, rule);
        let dcov = coverage_grad(a, rule);
        let b = blend_at(layer, f32(x) + 0.5, f32(y) + 0.5, inv_scale);
        if (!b.valid) {
            g[cell] = 0.0;
            cg[cell] = vec4<f32>(0.0);
            continue;
        }
        let c = blend_color(b);
        let p = saved[cell];
        let alpha = c.w * cov;
        let g_alpha = dot(gp.xyz, c.xyz - p.xyz) + gp.w * (1.0 - p.w);
        cg[cell] = vec4<f32>(gp.xyz * alpha, g_alpha * cov);
        g[cell] = g_alpha * c.w * dcov;
        gp = gp * (1.0 - alpha);
    }
}

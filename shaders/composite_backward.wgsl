// Stage 5, composite backward. One invocation per pixel: replay the forward recurrence (the
// same `composite_item` as stage 4) saving P_i, then run it in reverse: dL/dA per layer-row
// cell (g) and dL/d colour per cell (cg).
// CPU twin: raster::cpu::composite_backward. Prepended at load time: geometry.wgsl, paint.wgsl,
// over.wgsl.

@group(0) @binding(0) var<storage, read_write> info: BandInfo;
@group(0) @binding(1) var<storage, read_write> starts: array<u32>;
@group(0) @binding(2) var<storage, read_write> items: array<LayerRow>;
@group(0) @binding(3) var<storage, read_write> a_off: array<u32>;
@group(0) @binding(4) var<storage, read_write> acc: array<f32>;
@group(0) @binding(5) var<storage, read_write> layers: array<LayerRecord>;
@group(0) @binding(6) var<storage, read_write> colors: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> grads: array<GradientRecord>;
@group(0) @binding(8) var<storage, read_write> stops: array<f32>;
@group(0) @binding(9) var<storage, read_write> grad_out: array<vec4<f32>>;  // whole image
@group(0) @binding(10) var<storage, read_write> saved: array<vec4<f32>>;    // P_i per cell
@group(0) @binding(11) var<storage, read_write> g: array<f32>;              // dL/dA per cell
@group(0) @binding(12) var<storage, read_write> cg: array<vec4<f32>>;       // dL/d colour per cell

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = flat_index(gid, nwg);
    if (i >= info.n_pixels) {
        return;
    }
    let w = info.width;
    let ly = i / w;
    let x = i32(i % w);
    let y = info.y0 + ly;
    var q = info.background;
    let first = starts[ly];
    let last = starts[ly + 1u];
    for (var it = first; it < last; it++) {
        if (item_covers(it, x)) {
            saved[item_cell(it, x)] = q;
            q = composite_item(it, x, y, q);
        }
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
        if (!item_covers(k, x)) {
            continue;
        }
        let cell = item_cell(k, x);
        let layer = items[k].layer;
        let rule = layers[layer].rule;
        let a = acc[cell];
        let cov = coverage(a, rule);
        let dcov = coverage_grad(a, rule);
        let b = blend_at(layer, f32(x) + 0.5, f32(y) + 0.5, info.inv_scale);
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

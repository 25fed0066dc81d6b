// View sampling (backward). One invocation per render pixel: it gathers every sample of every
// view whose bilinear taps read it, in a fixed order (views, then sample rows, then columns), so
// no float atomics are needed and the sums are the same bits on every run. The samples are found
// by mapping the pixel's footprint back through each view's homography.
// CPU twin: raster::resample::view_sample_backward (which scatters instead: the same sums up to
// the order of additions). Prepended at load time: geometry.wgsl, view_common.wgsl.

@group(0) @binding(0) var<storage, read_write> info: ViewSampleInfo;
@group(0) @binding(1) var<storage, read_write> views: array<ViewRecord>;
@group(0) @binding(2) var<storage, read_write> grad: array<f32>;     // dL/d views [B, 3, S, S]
@group(0) @binding(3) var<storage, read_write> out: array<f32>;      // dL/d render [H, W, 4]

// View pixel coordinates of patch point q (the homography's inverse, up to scale: its adjugate);
// z = 0 when q is at or behind the view's horizon.
fn to_view(v: ViewRecord, q: vec2<f32>) -> vec3<f32> {
    // The inverse of the matrix with rows r0, r1, r2 has the columns r1×r2, r2×r0, r0×r1 over
    // its determinant; the sign of r.z · det is the sign of the forward map's w there.
    let c0 = cross(v.row1.xyz, v.row2.xyz);
    let c1 = cross(v.row2.xyz, v.row0.xyz);
    let c2 = cross(v.row0.xyz, v.row1.xyz);
    let det = dot(v.row0.xyz, c0);
    let r = c0 * q.x + c1 * q.y + c2;
    if (r.z * det <= 0.0) {
        return vec3<f32>(0.0);
    }
    return vec3<f32>(r.x / r.z, r.y / r.z, 1.0);
}

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = flat_index(gid, nwg);
    if (idx >= info.width * info.height) {
        return;
    }
    let px = i32(idx % info.width);
    let py = i32(idx / info.width);
    let s = info.size;
    let plane = s * s;
    let n_sub = s * info.ss;
    let norm = 1.0 / f32(info.ss * info.ss);
    var acc = vec3<f32>(0.0);
    for (var b = 0u; b < info.n_views; b++) {
        let v = views[b];
        // Render points whose taps reach this pixel: (px - 0.5, px + 1.5) × (py - 0.5, py + 1.5),
        // and of those only the ones inside the clip rectangle and the patch square read it.
        var lo = max(vec2<f32>(f32(px) - 0.5, f32(py) - 0.5), v.clip.xy);
        var hi = min(vec2<f32>(f32(px) + 1.5, f32(py) + 1.5), v.clip.zw);
        lo -= v.offset;
        hi -= v.offset;
        if (v.patch_side >= 0.0) {
            lo = max(lo, vec2<f32>(0.0));
            hi = min(hi, vec2<f32>(v.patch_side));
        }
        if (lo.x > hi.x || lo.y > hi.y) {
            continue;
        }
        // The samples in the footprint's preimage: the bounding box of its four corners (the
        // preimage of a box is convex where the map has no horizon), one sample wider each way.
        var t0 = vec2<i32>(0);
        var t1 = vec2<i32>(i32(n_sub) - 1);
        let a = to_view(v, lo);
        let bq = to_view(v, vec2<f32>(hi.x, lo.y));
        let c = to_view(v, hi);
        let d = to_view(v, vec2<f32>(lo.x, hi.y));
        if (a.z != 0.0 && bq.z != 0.0 && c.z != 0.0 && d.z != 0.0) {
            let umin = min(min(a.xy, bq.xy), min(c.xy, d.xy)) * f32(info.ss) - 0.5;
            let umax = max(max(a.xy, bq.xy), max(c.xy, d.xy)) * f32(info.ss) - 0.5;
            t0 = max(t0, vec2<i32>(floor(umin)) - vec2<i32>(1));
            t1 = min(t1, vec2<i32>(ceil(umax)) + vec2<i32>(1));
        }
        for (var tv = t0.y; tv <= t1.y; tv++) {
            for (var tu = t0.x; tu <= t1.x; tu++) {
                let i = u32(tu) / info.ss;
                let j = u32(tv) / info.ss;
                let p = view_point(v, sub_centre(i, u32(tu) % info.ss, info.ss), sub_centre(j, u32(tv) % info.ss, info.ss));
                if (p.z == 0.0) {
                    continue;
                }
                // The same taps and weights as the forward pass.
                let f = bilinear_base(p.xy);
                let w = tap_weight(f.x, f.z, px) * tap_weight(f.y, f.w, py);
                if (w == 0.0) {
                    continue;
                }
                let o = b * 3u * plane + j * s + i;
                acc += w * vec3<f32>(grad[o], grad[o + plane], grad[o + 2u * plane]) * norm;
            }
        }
    }
    let k = idx * 4u;
    out[k] = acc.x;
    out[k + 1u] = acc.y;
    out[k + 2u] = acc.z;
    out[k + 3u] = 0.0;
}

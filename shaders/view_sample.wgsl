// View sampling (forward). One invocation per output pixel of every view: the mean of ss × ss
// bilinear samples of the render's RGB, white outside the view (see raster::resample).
// CPU twin: raster::resample::view_sample. Prepended at load time: geometry.wgsl (flat_index),
// view_common.wgsl.

@group(0) @binding(0) var<storage, read_write> info: ViewSampleInfo;
@group(0) @binding(1) var<storage, read_write> views: array<ViewRecord>;
@group(0) @binding(2) var<storage, read_write> render: array<f32>;   // [H, W, 4] straight RGBA
@group(0) @binding(3) var<storage, read_write> out: array<f32>;      // [B, 3, S, S]

@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let idx = flat_index(gid, nwg);
    let s = info.size;
    let plane = s * s;
    if (idx >= info.n_views * plane) {
        return;
    }
    let b = idx / plane;
    let j = (idx % plane) / s;
    let i = idx % s;
    let v = views[b];
    var acc = vec3<f32>(0.0);
    for (var kj = 0u; kj < info.ss; kj++) {
        for (var ki = 0u; ki < info.ss; ki++) {
            let p = view_point(v, sub_centre(i, ki, info.ss), sub_centre(j, kj, info.ss));
            if (p.z == 0.0) {
                continue;
            }
            let f = bilinear_base(p.xy);
            for (var t = 0u; t < 4u; t++) {
                let dx = t & 1u;
                let dy = t >> 1u;
                let x = i32(f.x) + i32(dx);
                let y = i32(f.y) + i32(dy);
                if (x < 0 || y < 0 || x >= i32(info.width) || y >= i32(info.height)) {
                    continue;
                }
                let wx = select(1.0 - f.z, f.z, dx == 1u);
                let wy = select(1.0 - f.w, f.w, dy == 1u);
                let k = (u32(y) * info.width + u32(x)) * 4u;
                acc += (wx * wy) * (vec3<f32>(render[k], render[k + 1u], render[k + 2u]) - vec3<f32>(1.0));
            }
        }
    }
    let norm = 1.0 / f32(info.ss * info.ss);
    let o = b * 3u * plane + j * s + i;
    out[o] = 1.0 + acc.x * norm;
    out[o + plane] = 1.0 + acc.y * norm;
    out[o + 2u * plane] = 1.0 + acc.z * norm;
}

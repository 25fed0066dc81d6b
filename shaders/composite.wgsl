// Stage 4, composite (forward). One invocation per pixel: source-over of every layer row of its
// pixel row, in painter's order, onto the background; straight RGBA out.
// CPU twin: raster::cpu::composite. Prepended at load time: geometry.wgsl, paint.wgsl, over.wgsl.

@group(0) @binding(0) var<storage, read_write> info: BandInfo;
@group(0) @binding(1) var<storage, read_write> starts: array<u32>;     // items of row y (band-relative)
@group(0) @binding(2) var<storage, read_write> items: array<LayerRow>;
@group(0) @binding(3) var<storage, read_write> a_off: array<u32>;
@group(0) @binding(4) var<storage, read_write> acc: array<f32>;
@group(0) @binding(5) var<storage, read_write> layers: array<LayerRecord>;
@group(0) @binding(6) var<storage, read_write> colors: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> grads: array<GradientRecord>;
@group(0) @binding(8) var<storage, read_write> stops: array<f32>;
@group(0) @binding(9) var<storage, read_write> out: array<vec4<f32>>;   // whole image

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
    for (var it = starts[ly]; it < starts[ly + 1u]; it++) {
        if (item_covers(it, x)) {
            q = composite_item(it, x, y, q);
        }
    }
    var o = vec4<f32>(0.0);
    if (q.w > 1e-12) {
        o = vec4<f32>(q.xyz / q.w, q.w);
    }
    out[y * w + u32(x)] = o;
}

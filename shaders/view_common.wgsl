// View resampling, shared by `view_sample` and `view_sample_backward` (prepended to both, after
// geometry.wgsl). The maths is the CPU's in raster::resample.

// Rust twin: raster::resample::ViewRecord. Homography rows view pixel → patch pixel (w unused),
// the clip rectangle (x0, y0, x1, y1) in render pixels, the patch → render offset, the patch
// square's side (negative: none).
struct ViewRecord {
    row0: vec4<f32>,
    row1: vec4<f32>,
    row2: vec4<f32>,
    clip: vec4<f32>,
    offset: vec2<f32>,
    patch_side: f32,
    pad: u32,
}

// Rust twin: raster::resample::ViewSampleInfo.
struct ViewSampleInfo {
    width: u32,     // render width
    height: u32,    // render height
    size: u32,      // output side of each view
    ss: u32,        // samples per output pixel and axis
    n_views: u32,
    pad0: u32,
    pad1: u32,
    pad2: u32,
}

// The render point sample (u, v) of view `v` reads: (x, y, 1), or (0, 0, 0) where it reads white.
fn view_point(v: ViewRecord, u: f32, w: f32) -> vec3<f32> {
    let d = v.row2.x * u + v.row2.y * w + v.row2.z;
    let qx = (v.row0.x * u + v.row0.y * w + v.row0.z) / d;
    let qy = (v.row1.x * u + v.row1.y * w + v.row1.z) / d;
    let s = v.patch_side;
    if (s >= 0.0 && !(qx >= 0.0 && qy >= 0.0 && qx <= s && qy <= s)) {
        return vec3<f32>(0.0);
    }
    let x = qx + v.offset.x;
    let y = qy + v.offset.y;
    if (x >= v.clip.x && y >= v.clip.y && x <= v.clip.z && y <= v.clip.w) {
        return vec3<f32>(x, y, 1.0);
    }
    return vec3<f32>(0.0);
}

// Centre of sample k (of ss) of output pixel i, in view pixels.
fn sub_centre(i: u32, k: u32, ss: u32) -> f32 {
    return f32(i) + (f32(k) + 0.5) / f32(ss);
}

// The bilinear footprint of render point p (pixel centres at i + 0.5): its top-left tap and the
// fractions towards the next column and row, (x0, y0, fx, fy). The taps are (x0 + dx, y0 + dy)
// with weights (dx ? fx : 1 − fx) · (dy ? fy : 1 − fy).
fn bilinear_base(p: vec2<f32>) -> vec4<f32> {
    let c = p - vec2<f32>(0.5);
    let base = floor(c);
    return vec4<f32>(base, c - base);
}

// The weight along one axis of the tap at pixel `at` for a footprint starting at `base` with
// fraction `frac` (0 when the tap is not there).
fn tap_weight(base: f32, frac: f32, at: i32) -> f32 {
    if (i32(base) == at) {
        return 1.0 - frac;
    }
    if (i32(base) + 1 == at) {
        return frac;
    }
    return 0.0;
}

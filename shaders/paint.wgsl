// Paint evaluation at a pixel, for stages 4, 5 and 6 (prepended at load time after
// geometry.wgsl). CPU twin: src/raster/paint.rs.
// Needs the bindings `layers`, `grads`, `stops` (declared by the stage that includes this).

// Fill rule and paint of one layer. Rust twin: raster::layout::LayerRecord.
struct LayerRecord {
    rule: u32,         // 0 nonzero, 1 even-odd
    paint_kind: u32,   // 0 none, 1 solid, 2 gradient
    paint_index: u32,  // colour index (solid) or gradient index
}

// One gradient. Rust twin: raster::layout::GradientRecord.
struct GradientRecord {
    kind: u32,         // 0 linear, 1 radial
    spread: u32,       // 0 pad, 1 reflect, 2 repeat
    first_color: u32,
    n_stops: u32,
    stops_start: u32,
    shape: array<f32, 6>,               // linear x1 y1 x2 y2; radial cx cy r fx fy fr
    canvas_to_gradient: array<f32, 6>,  // affine a b c d e f
}

struct Blend {
    valid: bool,
    i0: u32,
    i1: u32,
    w1: f32,
}

fn spread(t: f32, mode: u32) -> f32 {
    switch mode {
        case 0u: { return clamp(t, 0.0, 1.0); }
        case 2u: { return t - floor(t); }
        default: {
            let m = t - 2.0 * floor(t / 2.0);
            return select(m, 2.0 - m, m > 1.0);
        }
    }
}

struct GradT {
    valid: bool,
    t: f32,
}

fn gradient_t(g: u32, c: vec2<f32>) -> GradT {
    var out: GradT;
    out.valid = true;
    let gr = grads[g];
    let m = gr.canvas_to_gradient;
    let p = vec2<f32>(
        m[0] * c.x + m[2] * c.y + m[4],
        m[1] * c.x + m[3] * c.y + m[5],
    );
    let sh = gr.shape;
    if (gr.kind == 0u) {
        let p1 = vec2<f32>(sh[0], sh[1]);
        let d = vec2<f32>(sh[2], sh[3]) - p1;
        let len2 = dot(d, d);
        if (len2 <= 0.0) {
            out.t = 1.0;
            return out;
        }
        out.t = dot(p - p1, d) / len2;
        return out;
    }
    let cx = sh[0];
    let cy = sh[1];
    let r = sh[2];
    let fx = sh[3];
    let fy = sh[4];
    let fr = sh[5];
    let cdx = cx - fx;
    let cdy = cy - fy;
    let dr = r - fr;
    let pfx = p.x - fx;
    let pfy = p.y - fy;
    let a = cdx * cdx + cdy * cdy - dr * dr;
    let b = pfx * cdx + pfy * cdy + fr * dr;
    let cc = pfx * pfx + pfy * pfy - fr * fr;
    if (abs(a) < 1e-9 * max(r * r, 1e-12)) {
        if (b == 0.0) {
            out.valid = false;
            return out;
        }
        out.t = cc / (2.0 * b);
        return out;
    }
    let disc = b * b - a * cc;
    if (disc < 0.0) {
        out.valid = false;
        return out;
    }
    let sq = sqrt(disc);
    let t1 = (b + sq) / a;
    let t2 = (b - sq) / a;
    let hi = max(t1, t2);
    let lo = min(t1, t2);
    if (fr + hi * dr >= 0.0) {
        out.t = hi;
    } else if (fr + lo * dr >= 0.0) {
        out.t = lo;
    } else {
        out.valid = false;
    }
    return out;
}

// The paint of `layer` at render pixel centre (px, py).
fn blend_at(layer: u32, px: f32, py: f32, inv_scale: vec2<f32>) -> Blend {
    var out: Blend;
    out.valid = false;
    let kind = layers[layer].paint_kind;
    let index = layers[layer].paint_index;
    if (kind == 0u) {
        return out;
    }
    if (kind == 1u) {
        out.valid = true;
        out.i0 = index;
        out.i1 = index;
        out.w1 = 0.0;
        return out;
    }
    let gt = gradient_t(index, vec2<f32>(px * inv_scale.x, py * inv_scale.y));
    if (!gt.valid) {
        return out;
    }
    let gr = grads[index];
    let t = spread(gt.t, gr.spread);
    let first = gr.first_color;
    let n = gr.n_stops;
    let off = gr.stops_start;
    if (n == 0u) {
        return out;
    }
    out.valid = true;
    out.w1 = 0.0;
    if (t <= stops[off]) {
        out.i0 = first;
        out.i1 = first;
        return out;
    }
    for (var k = 1u; k < n; k++) {
        if (t <= stops[off + k]) {
            let o0 = stops[off + k - 1u];
            let o1 = stops[off + k];
            out.i0 = first + k - 1u;
            out.i1 = first + k;
            out.w1 = select(1.0, (t - o0) / (o1 - o0), o1 > o0);
            return out;
        }
    }
    out.i0 = first + n - 1u;
    out.i1 = out.i0;
    return out;
}


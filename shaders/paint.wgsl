// Paint evaluation at a pixel. CPU twin: src/raster/paint.rs.
// Needs the bindings `layers`, `grads`, `stops` (declared by the stage that includes this);
// stages that read colours define `blend_color` beside their `colors` binding.

const LAYER_STRIDE: u32 = 4u;   // rule, paint kind (0 none, 1 solid, 2 gradient), paint index, 0
const GRAD_STRIDE: u32 = 20u;   // see src/raster/gpu.rs `gradient_record`

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
    let base = g * GRAD_STRIDE;
    let p = vec2<f32>(
        grads[base + 11u] * c.x + grads[base + 13u] * c.y + grads[base + 15u],
        grads[base + 12u] * c.x + grads[base + 14u] * c.y + grads[base + 16u],
    );
    if (grads[base] == 0.0) {
        let p1 = vec2<f32>(grads[base + 5u], grads[base + 6u]);
        let d = vec2<f32>(grads[base + 7u], grads[base + 8u]) - p1;
        let len2 = dot(d, d);
        if (len2 <= 0.0) {
            out.t = 1.0;
            return out;
        }
        out.t = dot(p - p1, d) / len2;
        return out;
    }
    let cx = grads[base + 5u];
    let cy = grads[base + 6u];
    let r = grads[base + 7u];
    let fx = grads[base + 8u];
    let fy = grads[base + 9u];
    let fr = grads[base + 10u];
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
    let kind = layers[layer * LAYER_STRIDE + 1u];
    let index = layers[layer * LAYER_STRIDE + 2u];
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
    let base = index * GRAD_STRIDE;
    let gt = gradient_t(index, vec2<f32>(px * inv_scale.x, py * inv_scale.y));
    if (!gt.valid) {
        return out;
    }
    let t = spread(gt.t, u32(grads[base + 1u]));
    let first = u32(grads[base + 2u]);
    let n = u32(grads[base + 3u]);
    let off = u32(grads[base + 4u]);
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


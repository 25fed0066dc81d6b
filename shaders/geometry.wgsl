// Shared geometry of the rasterizer's coverage stages: the row span of a line, its pieces in
// the cells of a row, and the Jacobians of the piece ends.
// CPU twin: src/raster/coverage.rs (keep in sync: half-open rows and cells, projection of
// parts left of the visible range onto its first cell, a sink cell at xr).

// End kinds: which parameter fixes a piece end.
const END_T0: u32 = 0u;
const END_T1: u32 = 1u;
const END_ROW: u32 = 2u;   // row boundary y = b
const END_COL: u32 = 3u;   // column boundary x = b

struct Span {
    valid: bool,
    t_lo: f32,
    lo_kind: u32,
    lo_b: f32,
    t_hi: f32,
    hi_kind: u32,
    hi_b: f32,
}

// The part of line l = (x0, y0, x1, y1) inside row [row, row + 1); points on a boundary belong
// to the row below it.
fn row_span(l: vec4<f32>, row: i32) -> Span {
    var s: Span;
    s.valid = false;
    let dy = l.w - l.y;
    if (dy == 0.0) {
        return s;
    }
    let f0 = i32(floor(l.y));
    let f1 = i32(floor(l.w));
    if (row < min(f0, f1) || row > max(f0, f1)) {
        return s;
    }
    let r = f32(row);
    let down = dy > 0.0;
    if (f0 == row) {
        s.t_lo = 0.0;
        s.lo_kind = END_T0;
        s.lo_b = 0.0;
    } else {
        let b = select(r + 1.0, r, down);
        s.t_lo = clamp((b - l.y) / dy, 0.0, 1.0);
        s.lo_kind = END_ROW;
        s.lo_b = b;
    }
    if (f1 == row) {
        s.t_hi = 1.0;
        s.hi_kind = END_T1;
        s.hi_b = 0.0;
    } else {
        let b = select(r, r + 1.0, down);
        s.t_hi = clamp((b - l.y) / dy, 0.0, 1.0);
        s.hi_kind = END_ROW;
        s.hi_b = b;
    }
    s.t_hi = max(s.t_hi, s.t_lo);
    s.valid = true;
    return s;
}

fn end_pos(l: vec4<f32>, t: f32, kind: u32, b: f32) -> vec2<f32> {
    switch kind {
        case 0u: { return l.xy; }
        case 1u: { return l.zw; }
        case 2u: { return vec2<f32>(l.x + t * (l.z - l.x), b); }
        default: { return vec2<f32>(b, l.y + t * (l.w - l.y)); }
    }
}

struct Piece {
    valid: bool,
    projected: bool,
    cell: i32,
    s: vec2<f32>,
    e: vec2<f32>,
}

// The piece between two ends, placed in its cell (or projected onto xl, or dropped in the sink).
fn make_piece(l: vec4<f32>, ts: f32, ks: u32, bs: f32, te: f32, ke: u32, be: f32, xl: i32, xr: i32) -> Piece {
    var p: Piece;
    p.s = end_pos(l, ts, ks, bs);
    p.e = end_pos(l, te, ke, be);
    let xm = 0.5 * (p.s.x + p.e.x);
    p.valid = xm < f32(xr);
    p.projected = xm < f32(xl);
    if (p.projected) {
        p.cell = xl;
        p.s.x = f32(xl);
        p.e.x = f32(xl);
    } else {
        p.cell = min(i32(floor(xm)), xr - 1);
    }
    return p;
}

struct Jac {
    jx: vec4<f32>,
    jy: vec4<f32>,
}

// d(x, y) / d(x0, y0, x1, y1) of a piece end.
fn end_jac(l: vec4<f32>, kind: u32, b: f32, projected: bool) -> Jac {
    var j: Jac;
    let dx = l.z - l.x;
    let dy = l.w - l.y;
    switch kind {
        case 0u: { j.jx = vec4<f32>(1.0, 0.0, 0.0, 0.0); j.jy = vec4<f32>(0.0, 1.0, 0.0, 0.0); }
        case 1u: { j.jx = vec4<f32>(0.0, 0.0, 1.0, 0.0); j.jy = vec4<f32>(0.0, 0.0, 0.0, 1.0); }
        case 2u: {
            let t = (b - l.y) / dy;
            j.jx = vec4<f32>(1.0 - t, dx * (t - 1.0) / dy, t, -dx * t / dy);
            j.jy = vec4<f32>(0.0);
        }
        default: {
            let t = (b - l.x) / dx;
            j.jx = vec4<f32>(0.0);
            j.jy = vec4<f32>(dy * (t - 1.0) / dx, 1.0 - t, -dy * t / dx, t);
        }
    }
    if (projected) {
        j.jx = vec4<f32>(0.0);
    }
    return j;
}

// Coverage from accumulated signed area; rule 0 = nonzero, 1 = even-odd.
fn coverage(a: f32, rule: u32) -> f32 {
    let m = abs(a);
    if (rule == 0u) {
        return min(m, 1.0);
    }
    let r = m - 2.0 * floor(m / 2.0);
    return 1.0 - abs(1.0 - r);
}

fn coverage_grad(a: f32, rule: u32) -> f32 {
    let s = select(1.0, -1.0, a < 0.0);
    let m = abs(a);
    if (rule == 0u) {
        return select(0.0, s, m < 1.0);
    }
    let r = m - 2.0 * floor(m / 2.0);
    return select(-s, s, r < 1.0);
}

// Global index of a 1-D invocation dispatched as a 2-D grid of 64-wide workgroups.
fn flat_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return gid.x + gid.y * nwg.x * 64u;
}

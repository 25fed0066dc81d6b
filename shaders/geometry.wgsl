// Shared by every stage (prepended at load time): the band's layouts, the row span of a line,
// the walk over its pieces in the cells of a row (stage 3, coverage, and stage 7, its backward,
// walk alike through `piece_walk`), the Jacobians of the piece ends, and the fill rules.
// CPU twin: src/raster/coverage.rs (keep in sync: half-open rows and cells, projection of
// parts left of the visible range onto its first cell, a sink cell at xr).
//
// Stages (the numbering of src/raster/lib.rs): 1 prepare and 2 rows run on the CPU; on the GPU
// forward 3 coverage → 4 composite; backward 3 coverage → 5 composite_backward →
// 6 color_reduce → 7 coverage_backward → 8 line_reduce.

// What the per-item and per-pixel stages of one band of rows read first.
// Rust twin: raster::layout::BandInfo.
struct BandInfo {
    width: u32,
    height: u32,
    n_items: u32,
    y0: u32,
    background: vec4<f32>,   // premultiplied
    inv_scale: vec2<f32>,    // render pixels -> canvas units
    n_pixels: u32,
    first_line_entry: u32,
}

// One layer's part of one pixel row (an item). Rust twin: raster::rows::LayerRow.
struct LayerRow {
    layer: u32,
    xl: u32,           // first cell
    xr: u32,           // end of the visible cells; cell xr is the sink
    lines_start: u32,  // range of line_ids
    lines_end: u32,
}

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
    // What fixed each end (for end_jac).
    s_kind: u32,
    s_b: f32,
    e_kind: u32,
    e_b: f32,
}

// The piece between two ends, placed in its cell (or projected onto xl, or dropped in the sink).
fn make_piece(l: vec4<f32>, ts: f32, ks: u32, bs: f32, te: f32, ke: u32, be: f32, xl: i32, xr: i32) -> Piece {
    var p: Piece;
    p.s = end_pos(l, ts, ks, bs);
    p.e = end_pos(l, te, ke, be);
    p.s_kind = ks;
    p.s_b = bs;
    p.e_kind = ke;
    p.e_b = be;
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

// The walk over the pieces of line l inside row `row`, cells xl..=xr: split at every integer x
// of the row part's closed x-range (clipped to [xl, xr]), in t order. CPU twin:
// raster::coverage::walk. Use:
//     var w = piece_walk(l, row, xl, xr);
//     while (!walk_done(w)) { let p = walk_next(&w); if (p.valid) { ... } }
struct PieceWalk {
    l: vec4<f32>,
    xl: i32,
    xr: i32,
    t_lo: f32,
    t_hi: f32,
    hi_kind: u32,
    hi_b: f32,
    // The end of the previous piece (the start of the next).
    tp: f32,
    kp: u32,
    bp: f32,
    kmin: i32,
    kmax: i32,
    // Column boundaries crossed, and pieces emitted so far (one more piece than boundaries).
    nb: i32,
    m: i32,
}

fn piece_walk(l: vec4<f32>, row: i32, xl: i32, xr: i32) -> PieceWalk {
    var w: PieceWalk;
    w.l = l;
    w.xl = xl;
    w.xr = xr;
    w.m = 0;
    let sp = row_span(l, row);
    if (!sp.valid) {
        w.nb = -1;
        return w;
    }
    let dx = l.z - l.x;
    let xa = end_pos(l, sp.t_lo, sp.lo_kind, sp.lo_b).x;
    let xb = end_pos(l, sp.t_hi, sp.hi_kind, sp.hi_b).x;
    w.t_lo = sp.t_lo;
    w.t_hi = sp.t_hi;
    w.hi_kind = sp.hi_kind;
    w.hi_b = sp.hi_b;
    w.tp = sp.t_lo;
    w.kp = sp.lo_kind;
    w.bp = sp.lo_b;
    w.kmin = max(i32(ceil(min(xa, xb))), xl);
    w.kmax = min(i32(floor(max(xa, xb))), xr);
    if (dx == 0.0) {
        w.kmin = 1;
        w.kmax = 0;
    }
    w.nb = max(w.kmax - w.kmin + 1, 0);
    return w;
}

fn walk_done(w: PieceWalk) -> bool {
    return w.m > w.nb;
}

// The next piece (check walk_done first); the last one ends at the span's end.
fn walk_next(w: ptr<function, PieceWalk>) -> Piece {
    let l = (*w).l;
    let dx = l.z - l.x;
    var te = (*w).t_hi;
    var ke = (*w).hi_kind;
    var be = (*w).hi_b;
    let m = (*w).m;
    if (m < (*w).nb) {
        let k = select((*w).kmax - m, (*w).kmin + m, dx > 0.0);
        te = clamp((f32(k) - l.x) / dx, (*w).t_lo, (*w).t_hi);
        ke = END_COL;
        be = f32(k);
    }
    let p = make_piece(l, (*w).tp, (*w).kp, (*w).bp, te, ke, be, (*w).xl, (*w).xr);
    (*w).tp = te;
    (*w).kp = ke;
    (*w).bp = be;
    (*w).m = m + 1;
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

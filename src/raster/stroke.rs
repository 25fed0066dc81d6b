//! Stroke outlines: a stroked polyline becomes a closed outline filled with the nonzero rule.
//!
//! Every outline vertex is a [`OutlineVertex`]: a kind and up to three polyline vertices
//! (`a`, `b`, `c`) plus the half width `h`. [`OutlineKind::eval`] is generic over
//! [`Scalar`], so the backward pass gets its exact Jacobian with [`Dual`] numbers.
//!
//! Construction (as Skia and tiny-skia stroke): the left offset (+n) forward, the end cap, the
//! right offset (−n) backward, the start cap. At a corner, the outer side gets the join (miter
//! within the limit, else bevel; or a round arc); the inner side ends both offsets at their
//! intersection (the inner miter point) where the segments are long enough, else pivots
//! through the vertex so the nonzero rule fills the overlap. Vertices inside a flattened curve get a bevel
//! (their turn is a small fraction of a degree). Approximations, documented: dashes are not
//! drawn; anti-aliasing of overlapping parts of the outline counts overlap area twice inside
//! edge pixels (the usual limit of accumulation rasterizers).

use super::dual::{Dual, N_IN, Scalar};
use clipvg_document::scene::{LineCap, LineJoin};

/// How an outline vertex is computed from `a`, `b`, `c` (polyline vertices) and `h`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OutlineKind {
    /// `a + s·h·n(a→b)` (at the start of segment a→b).
    OffsetStart { s: f32 },
    /// `b + s·h·n(a→b)` (at the end of segment a→b).
    OffsetEnd { s: f32 },
    /// Miter tip at `b` between a→b and b→c on side `s`.
    Miter { s: f32 },
    /// Point `k` of `count` on the round join arc at `b` on side `s`.
    JoinArc { s: f32, k: u16, count: u16 },
    /// Point `k` of `count` of a round cap around `b` (end of a→b, `end`) or `a` (start).
    CapArc { end: bool, k: u16, count: u16 },
    /// Corner of a square cap on side `s`.
    SquareCap { end: bool, s: f32 },
}

/// One outline vertex: its kind, polyline vertex ids `[a, b, c]` and stroke width index.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OutlineVertex {
    pub kind: OutlineKind,
    pub inputs: [u32; 3],
    pub width: u32,
}

fn normal<T: Scalar>(a: [T; 2], b: [T; 2]) -> [T; 2] {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len = (dx * dx + dy * dy).sqrt();
    [-dy / len, dx / len]
}

impl OutlineKind {
    /// Position of the vertex.
    pub fn eval<T: Scalar>(self, a: [T; 2], b: [T; 2], c: [T; 2], h: T) -> [T; 2] {
        match self {
            OutlineKind::OffsetStart { s } => {
                let n = normal(a, b);
                let sh = T::c(s as f64) * h;
                [a[0] + sh * n[0], a[1] + sh * n[1]]
            }
            OutlineKind::OffsetEnd { s } => {
                let n = normal(a, b);
                let sh = T::c(s as f64) * h;
                [b[0] + sh * n[0], b[1] + sh * n[1]]
            }
            OutlineKind::Miter { s } => {
                let (n0, n1) = (normal(a, b), normal(b, c));
                let k = T::c(s as f64) * h / (T::c(1.0) + n0[0] * n1[0] + n0[1] * n1[1]);
                [b[0] + k * (n0[0] + n1[0]), b[1] + k * (n0[1] + n1[1])]
            }
            OutlineKind::JoinArc { s, k, count } => {
                let (n0, n1) = (normal(a, b), normal(b, c));
                let total = (n0[0] * n1[1] - n0[1] * n1[0]).atan2(n0[0] * n1[0] + n0[1] * n1[1]);
                let u = [T::c(s as f64) * n0[0], T::c(s as f64) * n0[1]];
                arc_point(b, u, total * T::c(k as f64 / count as f64), h)
            }
            OutlineKind::CapArc { end, k, count } => {
                let n = normal(a, b);
                let (centre, u) = if end { (b, n) } else { (a, [-n[0], -n[1]]) };
                arc_point(centre, u, T::c(-std::f64::consts::PI * k as f64 / count as f64), h)
            }
            OutlineKind::SquareCap { end, s } => {
                let n = normal(a, b);
                // Unit direction a→b is (n.y, −n.x).
                let d = [n[1], -n[0]];
                let (p, dir) = if end { (b, T::c(1.0)) } else { (a, T::c(-1.0)) };
                let sh = T::c(s as f64) * h;
                [p[0] + sh * n[0] + dir * h * d[0], p[1] + sh * n[1] + dir * h * d[1]]
            }
        }
    }
}

/// `centre + h·(u cos φ + perp(u) sin φ)` with perp(u) = (−u.y, u.x).
fn arc_point<T: Scalar>(centre: [T; 2], u: [T; 2], phi: T, h: T) -> [T; 2] {
    let (c, s) = (phi.cos(), phi.sin());
    [centre[0] + h * (u[0] * c - u[1] * s), centre[1] + h * (u[1] * c + u[0] * s)]
}

impl OutlineVertex {
    /// Position from the polyline positions and the half width.
    pub fn position(&self, pos: &[[f32; 2]], h: f32) -> [f32; 2] {
        let p = |i: usize| {
            let q = pos[self.inputs[i] as usize];
            [q[0] as f64, q[1] as f64]
        };
        let r = self.kind.eval(p(0), p(1), p(2), h as f64);
        [r[0] as f32, r[1] as f32]
    }

    /// Jacobian rows `d(x, y)/d(a.x, a.y, b.x, b.y, c.x, c.y, h)`.
    pub fn jacobian(&self, pos: &[[f32; 2]], h: f32) -> [[f64; N_IN]; 2] {
        let p = |i: usize| {
            let q = pos[self.inputs[i] as usize];
            [Dual::var(q[0] as f64, 2 * i), Dual::var(q[1] as f64, 2 * i + 1)]
        };
        let r = self.kind.eval(p(0), p(1), p(2), Dual::var(h as f64, 6));
        [r[0].d, r[1].d]
    }
}

/// Tolerance of round joins and caps, in pixels of sagitta.
const ARC_TOLERANCE: f64 = 0.05;

fn arc_steps(h: f64, angle: f64) -> u16 {
    let step = 2.0 * (1.0 - (ARC_TOLERANCE / h.max(ARC_TOLERANCE)).min(1.0)).acos();
    ((angle.abs() / step.max(0.05)).ceil() as u16).clamp(1, 64)
}

/// A point of the outline being built: a polyline vertex itself, or a derived vertex.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OutlinePoint {
    Base(u32),
    Derived(OutlineVertex),
}

/// Stroke style, in render pixels.
#[derive(Clone, Copy, Debug)]
pub struct StrokeStyle {
    pub width_index: u32,
    pub half_width: f32,
    pub cap: LineCap,
    pub join: LineJoin,
    pub miter_limit: f32,
}

/// Builds the outline loops of one stroked polyline (vertex ids into `pos`; `corner[i]` marks
/// original on-curve points where the real join applies). Returns closed loops of points.
pub fn outline(
    ids: &[u32],
    corner: &[bool],
    closed: bool,
    pos: &[[f32; 2]],
    style: &StrokeStyle,
) -> Vec<Vec<OutlinePoint>> {
    let Some((v, is_corner)) = distinct_vertices(ids, corner, closed, pos) else { return Vec::new() };
    let o = Outliner { v, is_corner, closed, pos, style };
    let left = o.side(1.0);
    let mut right = o.side(-1.0);
    right.reverse();
    if closed {
        return vec![left, right];
    }
    let (la, lb) = o.seg(o.seg_count() - 1);
    let (fa, fb) = o.seg(0);
    let mut loop_ = left;
    loop_.extend(o.cap(true, la, lb));
    loop_.extend(right);
    loop_.extend(o.cap(false, fa, fb));
    vec![loop_]
}

/// The polyline without zero-length segments (a dropped vertex passes its corner mark on), and
/// without a closing vertex equal to the first; `None` when too few vertices remain to stroke.
fn distinct_vertices(ids: &[u32], corner: &[bool], closed: bool, pos: &[[f32; 2]]) -> Option<(Vec<u32>, Vec<bool>)> {
    let same = |a: u32, b: u32| {
        let (p, q) = (pos[a as usize], pos[b as usize]);
        (p[0] - q[0]).abs() < 1e-6 && (p[1] - q[1]).abs() < 1e-6
    };
    let mut v: Vec<u32> = Vec::with_capacity(ids.len());
    let mut is_corner: Vec<bool> = Vec::with_capacity(ids.len());
    for (i, &id) in ids.iter().enumerate() {
        if let Some(&last) = v.last()
            && same(last, id)
        {
            *is_corner.last_mut().unwrap() |= corner[i];
            continue;
        }
        v.push(id);
        is_corner.push(corner[i]);
    }
    if closed && v.len() > 1 && same(v[0], *v.last().unwrap()) {
        v.pop();
        is_corner.pop();
    }
    if v.len() < 2 || (closed && v.len() < 3) {
        return None;
    }
    Some((v, is_corner))
}

/// One polyline being outlined (its vertices distinct, see [`distinct_vertices`]).
struct Outliner<'a> {
    v: Vec<u32>,
    is_corner: Vec<bool>,
    closed: bool,
    pos: &'a [[f32; 2]],
    style: &'a StrokeStyle,
}

impl Outliner<'_> {
    fn mk(&self, kind: OutlineKind, a: u32, b: u32, c: u32) -> OutlinePoint {
        OutlinePoint::Derived(OutlineVertex { kind, inputs: [a, b, c], width: self.style.width_index })
    }

    fn seg_count(&self) -> usize {
        if self.closed { self.v.len() } else { self.v.len() - 1 }
    }

    /// Segment `i` as its two vertex ids.
    fn seg(&self, i: usize) -> (u32, u32) {
        let n = self.v.len();
        (self.v[i % n], self.v[(i + 1) % n])
    }

    /// One side: offsets of every segment with joins between them.
    fn side(&self, s: f32) -> Vec<OutlinePoint> {
        let mut out = Vec::new();
        // The inner corner of the previous join replaced this segment's start offset.
        let mut skip_start = false;
        let mut drop_first = false;
        let seg_count = self.seg_count();
        for i in 0..seg_count {
            let (a, b) = self.seg(i);
            if !skip_start {
                out.push(self.mk(OutlineKind::OffsetStart { s }, a, b, b));
            }
            skip_start = false;
            out.push(self.mk(OutlineKind::OffsetEnd { s }, a, b, b));
            let has_next = self.closed || i + 1 < seg_count;
            if !has_next {
                break;
            }
            let (_, c) = self.seg(i + 1);
            if self.join(&mut out, s, i, [a, b, c]) {
                skip_start = true;
                if self.closed && i + 1 == seg_count {
                    drop_first = true;
                }
            }
        }
        if drop_first {
            out.remove(0);
        }
        out
    }

    /// The corner at `b` between segments `i` (a→b) and `i + 1` (b→c) on side `s`, after the
    /// end offset of segment `i` in `out`. Returns whether an inner miter point replaced that
    /// end offset (and so replaces the next segment's start offset too).
    fn join(&self, out: &mut Vec<OutlinePoint>, s: f32, i: usize, [a, b, c]: [u32; 3]) -> bool {
        let (pa, pb, pc) = (self.pos[a as usize], self.pos[b as usize], self.pos[c as usize]);
        let (d0, d1) = ([pb[0] - pa[0], pb[1] - pa[1]], [pc[0] - pb[0], pc[1] - pb[1]]);
        let cross = (d0[0] * d1[1] - d0[1] * d1[0]) as f64;
        let dot = (d0[0] * d1[0] + d0[1] * d1[1]) as f64;
        let (l0, l1) = (d0[0].hypot(d0[1]) as f64, d1[0].hypot(d1[1]) as f64);
        let n0 = [-d0[1], d0[0]];
        // Turning towards this side makes it the inner side.
        let inner = (s as f64) * ((n0[0] * d1[0] + n0[1] * d1[1]) as f64) > 0.0;
        if inner {
            // The inner offsets meet at the inner miter point, h·tan(θ/2) back along each
            // segment. Where both segments are long enough, end them there (a simple
            // outline: no overlap to double-count in edge pixels); else pivot through the
            // vertex and let the nonzero rule fill the overlap.
            let back = self.style.half_width as f64 * cross.abs() / (l0 * l1 + dot).max(1e-12);
            if back <= 0.5 * l0.min(l1) {
                out.pop();
                out.push(self.mk(OutlineKind::Miter { s }, a, b, c));
                return true;
            }
            out.push(OutlinePoint::Base(b));
            return false;
        }
        let angle = cross.atan2(dot);
        let join = if self.is_corner[(i + 1) % self.v.len()] { self.style.join } else { LineJoin::Bevel };
        match join {
            LineJoin::Bevel => {}
            LineJoin::Miter => {
                // Miter length / width = 1 / sin(θ/2) with θ the angle between segments.
                let cos_turn = dot / (l0 * l1);
                let ratio = (2.0 / (1.0 + cos_turn).max(1e-12)).sqrt();
                if ratio <= self.style.miter_limit as f64 {
                    out.push(self.mk(OutlineKind::Miter { s }, a, b, c));
                }
            }
            LineJoin::Round => {
                let count = arc_steps(self.style.half_width as f64, angle);
                for k in 1..count {
                    out.push(self.mk(OutlineKind::JoinArc { s, k, count }, a, b, c));
                }
            }
        }
        false
    }

    /// The cap at the end of segment a→b (`end`) or at its start.
    fn cap(&self, end: bool, a: u32, b: u32) -> Vec<OutlinePoint> {
        match self.style.cap {
            LineCap::Butt => Vec::new(),
            LineCap::Square => {
                let (s0, s1) = if end { (1.0, -1.0) } else { (-1.0, 1.0) };
                vec![
                    self.mk(OutlineKind::SquareCap { end, s: s0 }, a, b, b),
                    self.mk(OutlineKind::SquareCap { end, s: s1 }, a, b, b),
                ]
            }
            LineCap::Round => {
                let count = arc_steps(self.style.half_width as f64, std::f64::consts::PI);
                (1..count).map(|k| self.mk(OutlineKind::CapArc { end, k, count }, a, b, b)).collect()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jacobians_match_finite_differences_for_every_kind() {
        let pos = vec![[1.0f32, 2.0], [6.0, 3.0], [7.5, 8.0]];
        let kinds = [
            OutlineKind::OffsetStart { s: 1.0 },
            OutlineKind::OffsetEnd { s: -1.0 },
            OutlineKind::Miter { s: 1.0 },
            OutlineKind::JoinArc { s: -1.0, k: 2, count: 5 },
            OutlineKind::CapArc { end: true, k: 3, count: 7 },
            OutlineKind::CapArc { end: false, k: 1, count: 7 },
            OutlineKind::SquareCap { end: false, s: 1.0 },
        ];
        for kind in kinds {
            let v = OutlineVertex { kind, inputs: [0, 1, 2], width: 0 };
            let jac = v.jacobian(&pos, 1.5);
            let f = |x: [f64; 7]| kind.eval([x[0], x[1]], [x[2], x[3]], [x[4], x[5]], x[6]);
            let x0 = [1.0, 2.0, 6.0, 3.0, 7.5, 8.0, 1.5];
            for i in 0..7 {
                let (mut a, mut b) = (x0, x0);
                a[i] += 1e-6;
                b[i] -= 1e-6;
                let (fa, fb) = (f(a), f(b));
                for c in 0..2 {
                    let fd = (fa[c] - fb[c]) / 2e-6;
                    assert!((fd - jac[c][i]).abs() < 1e-6, "{kind:?} d{c}/d{i}: {fd} vs {}", jac[c][i]);
                }
            }
        }
    }

    #[test]
    fn square_stroke_outline_has_expected_size() {
        let pos = vec![[0.0f32, 0.0], [10.0, 0.0]];
        let style = StrokeStyle {
            width_index: 0,
            half_width: 2.0,
            cap: LineCap::Square,
            join: LineJoin::Miter,
            miter_limit: 4.0,
        };
        let loops = outline(&[0, 1], &[true, true], false, &pos, &style);
        assert_eq!(loops.len(), 1);
        let pts: Vec<[f32; 2]> = loops[0]
            .iter()
            .map(|p| match p {
                OutlinePoint::Base(i) => pos[*i as usize],
                OutlinePoint::Derived(v) => v.position(&pos, 2.0),
            })
            .collect();
        // Signed area of a 14×4 rectangle.
        let area: f32 = (0..pts.len())
            .map(|i| {
                let (p, q) = (pts[i], pts[(i + 1) % pts.len()]);
                p[0] * q[1] - q[0] * p[1]
            })
            .sum::<f32>()
            / 2.0;
        assert!((area.abs() - 56.0).abs() < 1e-4, "area {area}");
    }
}

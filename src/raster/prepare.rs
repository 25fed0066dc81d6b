//! Stage 1, *prepare* (CPU for both backends; stages numbered as in the crate docs): scene →
//! polygons in render pixels.
//!
//! * **Flatten**: each cubic becomes `n` lines (Wang's bound for a 0.05 px tolerance). Every
//!   flattened point is a [`BaseVertex`]: `Σ_k B_k(t)·P[ctrl_k]`, linear in the control points,
//!   so its gradient is the Bernstein weights.
//! * **Stroke**: stroked polylines become closed outlines of derived vertices (see
//!   [`super::stroke`]).
//! * **Layers**: one per painted fragment in painter's order (a shape's fill, then its stroke),
//!   each a set of closed loops of lines.

use std::ops::Range;

use super::stroke::{self, OutlinePoint, OutlineVertex, StrokeStyle};
use clipvg_document::scene::{FillRule, Paint, Scene};
use clipvg_document::{LimitExceeded, Limits};

/// Flattening tolerance in render pixels (max distance between curve and chord).
pub const FLATTEN_TOLERANCE: f32 = 0.05;
/// Upper bound of lines per cubic, so absurd coordinates cannot explode the work.
const MAX_LINES_PER_CUBIC: u32 = 256;

/// A point on a curve: `Σ w[k]·points[ctrl[k]]` (canvas space, before the render scale).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BaseVertex {
    pub ctrl: [u32; 4],
    pub w: [f32; 4],
}

/// A painted fragment: lines `lines` filled by `rule` with `paint`.
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    pub lines: Range<u32>,
    pub rule: FillRule,
    pub paint: Paint,
    /// Index of the scene shape.
    pub shape: u32,
    /// Bounding box of its vertices in render pixels `[x0, y0, x1, y1]`.
    pub bbox: [f32; 4],
}

/// A scene ready to rasterize at one size.
#[derive(Clone, Debug, Default)]
pub struct Prepared {
    pub width: u32,
    pub height: u32,
    /// Canvas → render scale per axis.
    pub scale: [f32; 2],
    /// Positions of all vertices in render pixels: base vertices first, then outline vertices.
    pub positions: Vec<[f32; 2]>,
    pub base: Vec<BaseVertex>,
    /// Outline vertex `i` is vertex `base.len() + i`.
    pub derived: Vec<OutlineVertex>,
    /// Render-pixel stroke widths (scene widths × the mean scale).
    pub stroke_widths: Vec<f32>,
    /// Each line joins two vertex ids.
    pub lines: Vec<[u32; 2]>,
    pub layers: Vec<Layer>,
}

impl Prepared {
    /// Endpoints of a line in render pixels.
    pub fn line(&self, i: usize) -> [[f32; 2]; 2] {
        let [a, b] = self.lines[i];
        [self.positions[a as usize], self.positions[b as usize]]
    }

    /// Stroke width scale (render px per canvas px) applied to `stroke_widths`.
    pub fn width_scale(&self) -> f32 {
        (self.scale[0] * self.scale[1]).sqrt()
    }
}

fn bernstein(t: f32) -> [f32; 4] {
    let s = 1.0 - t;
    [s * s * s, 3.0 * s * s * t, 3.0 * s * t * t, t * t * t]
}

/// Lines of one cubic (control points in render pixels): Wang's bound for
/// [`FLATTEN_TOLERANCE`], at most [`MAX_LINES_PER_CUBIC`]. A cubic of a fill-only subpath that
/// lies wholly above, below or right of the canvas (`cull`: width, height) becomes its chord: no
/// part of it can reach a pixel, so its lines add nothing to the render or the gradients
/// whatever they are, and huge offscreen coordinates cost one line instead of hundreds.
fn cubic_lines(c: &[[f32; 2]; 4], cull: Option<[f32; 2]>) -> u32 {
    if let Some([w, h]) = cull {
        let (mut x0, mut y0, mut y1) = (f32::INFINITY, f32::INFINITY, f32::NEG_INFINITY);
        let mut big = 0.0f32;
        for q in c {
            x0 = x0.min(q[0]);
            y0 = y0.min(q[1]);
            y1 = y1.max(q[1]);
            big = big.max(q[0].abs()).max(q[1].abs());
        }
        // A margin of a pixel plus the rounding of a Bernstein sum of the coordinates, so no
        // flattened vertex of the curve could land on the canvas.
        let m = 1.0 + 1e-5 * big;
        if y1 < -m || y0 > h + m || x0 > w + m {
            return 1;
        }
    }
    let dd = |a: [f32; 2], b: [f32; 2], c: [f32; 2]| {
        let x = a[0] - 2.0 * b[0] + c[0];
        let y = a[1] - 2.0 * b[1] + c[1];
        (x * x + y * y).sqrt()
    };
    let m = dd(c[0], c[1], c[2]).max(dd(c[1], c[2], c[3]));
    if m.is_finite() { ((0.75 * m / FLATTEN_TOLERANCE).sqrt().ceil() as u32).clamp(1, MAX_LINES_PER_CUBIC) } else { 1 }
}

/// Flattens and strokes `scene` for a `width`×`height` render, within `limits.flattened_lines`:
/// the flattened vertices (and with them the fill lines) are counted before anything is
/// allocated, stroke outlines as they are built; the first count over the limit stops the work.
pub fn prepare(scene: &Scene, width: u32, height: u32, limits: &Limits) -> Result<Prepared, LimitExceeded> {
    // Vertex and line ids are u32.
    let max_lines = limits.flattened_lines.min(u32::MAX as u64);
    let over = |needed: u64| {
        Limits::check("flattened_lines", "line pieces after flattening curves and outlining strokes", needed, max_lines)
    };
    let scale =
        [width as f32 / scene.width.max(f32::MIN_POSITIVE), height as f32 / scene.height.max(f32::MIN_POSITIVE)];
    let mut p = Prepared { width, height, scale, ..Prepared::default() };
    let width_scale = p.width_scale();
    p.stroke_widths = scene.stroke_widths.iter().map(|w| w.max(0.0) * width_scale).collect();
    let polys = flatten(scene, &mut p, &over)?;
    for (si, shape) in scene.shapes.iter().enumerate() {
        let polys = &polys[shape.subpaths.start as usize..shape.subpaths.end as usize];
        if shape.fill != Paint::None {
            let start = p.lines.len() as u32;
            over(
                p.lines.len() as u64
                    + polys.iter().map(|q| if q.ids.len() < 2 { 0 } else { q.ids.len() as u64 }).sum::<u64>(),
            )?;
            for poly in polys {
                // Fills close every subpath, open ones with a straight line.
                push_loop(&mut p.lines, poly.ids.iter().copied());
            }
            push_layer(&mut p, start, shape.fill_rule, shape.fill, si as u32);
        }
        if let Some(st) = shape.stroke {
            add_stroke(&mut p, polys, &st, si as u32, &over)?;
        }
    }
    Ok(p)
}

/// One flattened subpath: its vertex ids, which of them are on-curve points (where a stroke's
/// real join applies), and whether it is closed.
struct Poly {
    ids: Vec<u32>,
    corner: Vec<bool>,
    closed: bool,
}

/// The control point ids of cubic `seg` of `s`.
fn ctrl_of(s: &clipvg_document::scene::Subpath, seg: u32) -> [u32; 4] {
    let count = s.point_count();
    let idx = |k: u32| s.first_point + (k % count);
    [idx(3 * seg), idx(3 * seg + 1), idx(3 * seg + 2), idx(3 * seg + 3)]
}

/// Which subpaths a visible stroke draws: they keep all their lines (an outline reaches past
/// the canvas edge they may lie beyond).
fn stroked_subpaths(scene: &Scene, stroke_widths: &[f32]) -> Vec<bool> {
    let mut stroked = vec![false; scene.subpaths.len()];
    for shape in &scene.shapes {
        if let Some(st) = shape.stroke
            && st.paint != Paint::None
            && stroke_widths.get(st.width as usize).is_some_and(|w| *w > 0.0)
        {
            for k in shape.subpaths.clone() {
                if let Some(s) = stroked.get_mut(k as usize) {
                    *s = true;
                }
            }
        }
    }
    stroked
}

/// Flattens every subpath once into `p`'s base vertices (fills and strokes share them), after
/// counting them against the budget: one vertex per flattened line, plus the end point of
/// open subpaths (every vertex of a filled or stroked subpath starts at least one line).
fn flatten(
    scene: &Scene,
    p: &mut Prepared,
    over: &impl Fn(u64) -> Result<(), LimitExceeded>,
) -> Result<Vec<Poly>, LimitExceeded> {
    let scale = p.scale;
    let sp = |i: u32| {
        let q = scene.points[i as usize];
        [q[0] * scale[0], q[1] * scale[1]]
    };
    let stroked = stroked_subpaths(scene, &p.stroke_widths);
    let cull = |si: usize| (!stroked[si]).then_some([p.width as f32, p.height as f32]);
    let mut vertices = 0u64;
    // Lines per cubic (≤ 256), kept for the pass that makes them.
    let mut per_cubic: Vec<u16> = Vec::with_capacity(scene.subpaths.iter().map(|s| s.segments as usize).sum());
    for (si, s) in scene.subpaths.iter().enumerate() {
        for seg in 0..s.segments {
            let n = cubic_lines(&ctrl_of(s, seg).map(sp), cull(si));
            per_cubic.push(n as u16);
            vertices += n as u64;
        }
        if !s.closed && s.segments > 0 {
            vertices += 1;
        }
        over(vertices)?;
    }
    p.positions.reserve(vertices as usize);
    p.base.reserve(vertices as usize);
    let mut polys: Vec<Poly> = Vec::with_capacity(scene.subpaths.len());
    let mut per_cubic = per_cubic.into_iter();
    for s in &scene.subpaths {
        let (mut ids, mut corner) = (Vec::new(), Vec::new());
        for seg in 0..s.segments {
            let ctrl = ctrl_of(s, seg);
            let c = ctrl.map(sp);
            let n = per_cubic.next().unwrap_or(1) as u32;
            for k in 0..n {
                let t = k as f32 / n as f32;
                let w = bernstein(t);
                ids.push(p.positions.len() as u32);
                corner.push(k == 0);
                p.base.push(BaseVertex { ctrl, w });
                p.positions.push(eval(&c, &w));
            }
        }
        if !s.closed && s.segments > 0 {
            // The final on-curve point of an open subpath.
            let last = s.first_point + (3 * s.segments) % s.point_count();
            ids.push(p.positions.len() as u32);
            corner.push(true);
            p.base.push(BaseVertex { ctrl: [last; 4], w: [1.0, 0.0, 0.0, 0.0] });
            p.positions.push(sp(last));
        }
        polys.push(Poly { ids, corner, closed: s.closed });
    }
    Ok(polys)
}

/// The stroke layer of shape `si` over its flattened `polys` (nothing for a zero width or no
/// paint), its outlines counted against the budget as they are built.
fn add_stroke(
    p: &mut Prepared,
    polys: &[Poly],
    st: &clipvg_document::scene::Stroke,
    si: u32,
    over: &impl Fn(u64) -> Result<(), LimitExceeded>,
) -> Result<(), LimitExceeded> {
    let style = StrokeStyle {
        width_index: st.width,
        half_width: p.stroke_widths[st.width as usize] / 2.0,
        cap: st.cap,
        join: st.join,
        miter_limit: st.miter_limit,
    };
    if style.half_width <= 0.0 || st.paint == Paint::None {
        return Ok(());
    }
    let start = p.lines.len() as u32;
    for poly in polys {
        let loops = stroke::outline(&poly.ids, &poly.corner, poly.closed, &p.positions, &style);
        over(p.lines.len() as u64 + loops.iter().map(|l| if l.len() < 2 { 0 } else { l.len() as u64 }).sum::<u64>())?;
        for lp in loops {
            let ids: Vec<u32> = lp
                .into_iter()
                .map(|pt| match pt {
                    OutlinePoint::Base(i) => i,
                    OutlinePoint::Derived(v) => {
                        let pos = v.position(&p.positions, style.half_width);
                        p.derived.push(v);
                        p.positions.push(pos);
                        (p.positions.len() - 1) as u32
                    }
                })
                .collect();
            push_loop(&mut p.lines, ids.into_iter());
        }
    }
    push_layer(p, start, FillRule::NonZero, st.paint, si);
    Ok(())
}

fn eval(c: &[[f32; 2]; 4], w: &[f32; 4]) -> [f32; 2] {
    let mut out = [0.0f32; 2];
    for k in 0..4 {
        out[0] += w[k] * c[k][0];
        out[1] += w[k] * c[k][1];
    }
    out
}

fn push_loop(lines: &mut Vec<[u32; 2]>, ids: impl Iterator<Item = u32>) {
    let ids: Vec<u32> = ids.collect();
    if ids.len() < 2 {
        return;
    }
    for i in 0..ids.len() {
        lines.push([ids[i], ids[(i + 1) % ids.len()]]);
    }
}

fn push_layer(p: &mut Prepared, start: u32, rule: FillRule, paint: Paint, shape: u32) {
    let end = p.lines.len() as u32;
    if end == start {
        return;
    }
    let mut bbox = [f32::INFINITY, f32::INFINITY, f32::NEG_INFINITY, f32::NEG_INFINITY];
    for l in &p.lines[start as usize..end as usize] {
        let q = p.positions[l[0] as usize];
        bbox = [bbox[0].min(q[0]), bbox[1].min(q[1]), bbox[2].max(q[0]), bbox[3].max(q[1])];
    }
    p.layers.push(Layer { lines: start..end, rule, paint, shape, bbox });
}

//! Shapes to outlines: every SVG shape element becomes subpaths of cubic Bézier segments in the
//! element's user space, plus lengths, units and transforms.
//!
//! A subpath with `n` segments is stored as its control polygon: `3n + 1` points when open
//! (`p0 c1 c2 p1 c1 c2 p2 …`), `3n` points when closed (the last segment ends at `p0`).
//! Lines and quadratics are elevated to cubics exactly (a line's handles sit at 1/3 and 2/3);
//! arcs are converted by kurbo with an error far below a pixel, and never more than
//! [`MAX_ARC_CUBICS`] cubics per arc whatever its radius.
//!
//! Path data is read with `svgtypes`' token-level [`svgtypes::PathParser`] and simplified here
//! (relative → absolute, `H`/`V`, smooth curves, quadratics, arcs) in one loop: svgtypes' own
//! simplifying parser recurses once per command in some runs (a long run of `z` overflowed the
//! stack), and its arc conversion uses an absolute tolerance, so a huge radius made millions of
//! cubics. Every cubic produced is counted against a caller's budget before it is stored.

use kurbo::{Affine, Point, Vec2};
use svgtypes::{Length, LengthUnit, PathSegment};

use crate::limits::LimitExceeded;

/// Most cubics one elliptical arc command becomes (a full ellipse at the finest tolerance).
pub const MAX_ARC_CUBICS: usize = 16;

/// One subpath as a cubic control polygon (see the module docs).
#[derive(Clone, Debug, PartialEq)]
pub struct Subpath {
    pub points: Vec<Point>,
    pub closed: bool,
}

impl Subpath {
    /// Number of cubic segments.
    pub fn segments(&self) -> usize {
        if self.closed { self.points.len() / 3 } else { self.points.len().saturating_sub(1) / 3 }
    }

    /// The points mapped through an affine transform.
    pub fn transformed(&self, t: Affine) -> Subpath {
        Subpath { points: self.points.iter().map(|&p| t * p).collect(), closed: self.closed }
    }
}

/// Magic number for a quarter circle as one cubic: 4/3·(√2 − 1).
const KAPPA: f64 = 0.552_284_749_830_793_4;

struct Builder {
    out: Vec<Subpath>,
    cur: Vec<Point>,
}

impl Builder {
    fn new() -> Self {
        Builder { out: Vec::new(), cur: Vec::new() }
    }
    fn move_to(&mut self, p: Point) {
        self.flush(false);
        self.cur.push(p);
    }
    fn line_to(&mut self, p: Point) {
        let Some(&p0) = self.cur.last() else { return self.move_to(p) };
        self.cur.extend([p0.lerp(p, 1.0 / 3.0), p0.lerp(p, 2.0 / 3.0), p]);
    }
    fn quad_to(&mut self, c: Point, p: Point) {
        let Some(&p0) = self.cur.last() else { return self.move_to(p) };
        self.cur.extend([p0.lerp(c, 2.0 / 3.0), p.lerp(c, 2.0 / 3.0), p]);
    }
    fn cubic_to(&mut self, c1: Point, c2: Point, p: Point) {
        if self.cur.is_empty() {
            return self.move_to(p);
        }
        self.cur.extend([c1, c2, p]);
    }
    /// Ends the current subpath. A closed one gets a straight closing segment unless its last
    /// point already equals its first (then the last explicit segment closes it).
    fn flush(&mut self, close: bool) {
        let pts = std::mem::take(&mut self.cur);
        if pts.len() < 4 {
            return; // a lone moveto: nothing to draw
        }
        let mut pts = pts;
        if close {
            let first = pts[0];
            if *pts.last().unwrap() == first {
                pts.pop();
            } else {
                let last = *pts.last().unwrap();
                pts.extend([last.lerp(first, 1.0 / 3.0), last.lerp(first, 2.0 / 3.0)]);
            }
        }
        self.out.push(Subpath { points: pts, closed: close });
    }
    fn close(&mut self) {
        let start = self.cur.first().copied();
        self.flush(true);
        // After Z the current point is the subpath's start (svgtypes emits the implicit moveto).
        if let Some(s) = start {
            self.cur.push(s);
        }
    }
    fn finish(mut self) -> Vec<Subpath> {
        self.flush(false);
        self.out
    }
}

/// Parses path data. On a syntax error the segments before it are kept (as SVG requires) and
/// the error is returned beside them. No limit on the number of segments (the text bounds
/// it); see [`path_from_d_with`].
pub fn path_from_d(d: &str) -> (Vec<Subpath>, Option<String>) {
    path_from_d_with(d, u64::MAX).unwrap_or_default() // no limit: never an error
}

/// Like [`path_from_d`], but refuses path data that makes more than `max_segments` cubic
/// segments (the `segments` budget) before storing them.
// Long on purpose: one match over the path commands, sharing the current point and the reflected control points.
pub fn path_from_d_with(d: &str, max_segments: u64) -> Result<(Vec<Subpath>, Option<String>), LimitExceeded> {
    let mut b = Builder::new();
    let mut error = None;
    // Current point, start of the current subpath, and the reflected control points of the
    // previous segment (`S` reflects a cubic's, `T` a quadratic's).
    let mut cur = Point::ZERO;
    let mut start = Point::ZERO;
    let mut last_cubic_c2: Option<Point> = None;
    let mut last_quad_c: Option<Point> = None;
    let mut segments: u64 = 0;
    let mut count = |n: u64| -> Result<(), LimitExceeded> {
        segments = segments.saturating_add(n);
        if segments > max_segments {
            Err(LimitExceeded { field: "segments", what: "cubic segments", needed: segments, limit: max_segments })
        } else {
            Ok(())
        }
    };
    for seg in svgtypes::PathParser::from(d) {
        let seg = match seg {
            Ok(s) => s,
            Err(e) => {
                error = Some(format!("path data error: {e}"));
                break;
            }
        };
        let at = |abs: bool, x: f64, y: f64| if abs { Point::new(x, y) } else { Point::new(cur.x + x, cur.y + y) };
        let (mut next_cubic, mut next_quad) = (None, None);
        match seg {
            PathSegment::MoveTo { abs, x, y } => {
                cur = at(abs, x, y);
                start = cur;
                b.move_to(cur);
            }
            PathSegment::LineTo { abs, x, y } => {
                count(1)?;
                cur = at(abs, x, y);
                b.line_to(cur);
            }
            PathSegment::HorizontalLineTo { abs, x } => {
                count(1)?;
                cur = Point::new(if abs { x } else { cur.x + x }, cur.y);
                b.line_to(cur);
            }
            PathSegment::VerticalLineTo { abs, y } => {
                count(1)?;
                cur = Point::new(cur.x, if abs { y } else { cur.y + y });
                b.line_to(cur);
            }
            PathSegment::CurveTo { abs, x1, y1, x2, y2, x, y } => {
                count(1)?;
                let (c1, c2, p) = (at(abs, x1, y1), at(abs, x2, y2), at(abs, x, y));
                b.cubic_to(c1, c2, p);
                cur = p;
                next_cubic = Some(c2);
            }
            PathSegment::SmoothCurveTo { abs, x2, y2, x, y } => {
                count(1)?;
                let c1 = last_cubic_c2.map_or(cur, |c| reflect(c, cur));
                let (c2, p) = (at(abs, x2, y2), at(abs, x, y));
                b.cubic_to(c1, c2, p);
                cur = p;
                next_cubic = Some(c2);
            }
            PathSegment::Quadratic { abs, x1, y1, x, y } => {
                count(1)?;
                let (c, p) = (at(abs, x1, y1), at(abs, x, y));
                b.quad_to(c, p);
                cur = p;
                next_quad = Some(c);
            }
            PathSegment::SmoothQuadratic { abs, x, y } => {
                count(1)?;
                let c = last_quad_c.map_or(cur, |q| reflect(q, cur));
                let p = at(abs, x, y);
                b.quad_to(c, p);
                cur = p;
                next_quad = Some(c);
            }
            PathSegment::EllipticalArc { abs, rx, ry, x_axis_rotation, large_arc, sweep, x, y } => {
                let p = at(abs, x, y);
                let arc = kurbo::SvgArc {
                    from: cur,
                    to: p,
                    radii: Vec2::new(rx.abs(), ry.abs()),
                    x_rotation: x_axis_rotation.to_radians(),
                    large_arc,
                    sweep,
                };
                let cubics = arc_cubics(&arc);
                cur = p;
                if cubics.is_empty() {
                    count(1)?;
                    b.line_to(p);
                } else {
                    count(cubics.len() as u64)?;
                    for (c1, c2, q) in cubics {
                        b.cubic_to(c1, c2, q);
                        // The current point is where the last cubic ends (within rounding of
                        // the arc's end point), as svgtypes had it: scenes stay bit-identical.
                        cur = q;
                    }
                }
            }
            PathSegment::ClosePath { .. } => {
                b.close();
                cur = start;
            }
        }
        last_cubic_c2 = next_cubic;
        last_quad_c = next_quad;
    }
    let mut out = b.finish();
    // A trailing lone moveto after Z was pushed by `close`; `finish` dropped it already.
    out.retain(|s| s.points.iter().all(|p| p.x.is_finite() && p.y.is_finite()));
    Ok((out, error))
}

/// `c` mirrored about `about` (computed as `2·about − c`, the rounding svgtypes used).
fn reflect(c: Point, about: Point) -> Point {
    Point::new(about.x * 2.0 - c.x, about.y * 2.0 - c.y)
}

/// An SVG arc as at most [`MAX_ARC_CUBICS`] cubics; empty when it is a straight line (a zero
/// radius, equal ends) or not finite, which the caller draws as a line.
///
/// The tolerance is 0.1 user units (what svgtypes used, so ordinary arcs convert exactly as
/// before) but never below a 10⁻⁷ of the radius: kurbo's count grows as (radius /
/// tolerance)^(1/6), so this bounds it (≤ 15 for a full ellipse) whatever the radius.
fn arc_cubics(arc: &kurbo::SvgArc) -> Vec<(Point, Point, Point)> {
    let finite = arc.from.is_finite() && arc.to.is_finite() && arc.radii.is_finite() && arc.x_rotation.is_finite();
    if !finite {
        return Vec::new();
    }
    let Some(a) = kurbo::Arc::from_svg_arc(arc) else { return Vec::new() };
    if !(a.center.is_finite() && a.radii.is_finite() && a.start_angle.is_finite() && a.sweep_angle.is_finite()) {
        return Vec::new();
    }
    let r = a.radii.x.abs().max(a.radii.y.abs());
    let tolerance = (r * 1e-7).max(0.1);
    let mut out = Vec::new();
    for el in a.append_iter(tolerance) {
        if out.len() >= MAX_ARC_CUBICS {
            break; // cannot happen with the tolerance above; a guard, not a rule
        }
        if let kurbo::PathEl::CurveTo(c1, c2, p) = el {
            out.push((c1, c2, p));
        }
    }
    out
}

/// A rectangle with optional rounded corners (`rx`, `ry` already clamped to half the sides).
pub fn rect(x: f64, y: f64, w: f64, h: f64, rx: f64, ry: f64) -> Vec<Subpath> {
    let mut b = Builder::new();
    if rx <= 0.0 || ry <= 0.0 {
        b.move_to(Point::new(x, y));
        b.line_to(Point::new(x + w, y));
        b.line_to(Point::new(x + w, y + h));
        b.line_to(Point::new(x, y + h));
        b.close();
        return b.finish();
    }
    let (kx, ky) = (rx * KAPPA, ry * KAPPA);
    b.move_to(Point::new(x + rx, y));
    b.line_to(Point::new(x + w - rx, y));
    b.cubic_to(Point::new(x + w - rx + kx, y), Point::new(x + w, y + ry - ky), Point::new(x + w, y + ry));
    b.line_to(Point::new(x + w, y + h - ry));
    b.cubic_to(Point::new(x + w, y + h - ry + ky), Point::new(x + w - rx + kx, y + h), Point::new(x + w - rx, y + h));
    b.line_to(Point::new(x + rx, y + h));
    b.cubic_to(Point::new(x + rx - kx, y + h), Point::new(x, y + h - ry + ky), Point::new(x, y + h - ry));
    b.line_to(Point::new(x, y + ry));
    b.cubic_to(Point::new(x, y + ry - ky), Point::new(x + rx - kx, y), Point::new(x + rx, y));
    b.close();
    b.finish()
}

/// An axis-aligned ellipse as four cubic quarter arcs, starting at the rightmost point.
pub fn ellipse(cx: f64, cy: f64, rx: f64, ry: f64) -> Vec<Subpath> {
    let (kx, ky) = (rx * KAPPA, ry * KAPPA);
    let mut b = Builder::new();
    b.move_to(Point::new(cx + rx, cy));
    b.cubic_to(Point::new(cx + rx, cy + ky), Point::new(cx + kx, cy + ry), Point::new(cx, cy + ry));
    b.cubic_to(Point::new(cx - kx, cy + ry), Point::new(cx - rx, cy + ky), Point::new(cx - rx, cy));
    b.cubic_to(Point::new(cx - rx, cy - ky), Point::new(cx - kx, cy - ry), Point::new(cx, cy - ry));
    b.cubic_to(Point::new(cx + kx, cy - ry), Point::new(cx + rx, cy - ky), Point::new(cx + rx, cy));
    b.close();
    b.finish()
}

/// A polyline (open) or polygon (closed) through `points`.
pub fn poly(points: &[Point], closed: bool) -> Vec<Subpath> {
    let mut b = Builder::new();
    for (i, &p) in points.iter().enumerate() {
        if i == 0 { b.move_to(p) } else { b.line_to(p) }
    }
    if closed {
        b.close();
    }
    b.finish()
}

/// Parses an SVG `transform` list (`None` for an unparsable one, which SVG treats as identity
/// and we report).
pub fn parse_transform(s: &str) -> Option<Affine> {
    let t: svgtypes::Transform = s.parse().ok()?;
    let a = Affine::new([t.a, t.b, t.c, t.d, t.e, t.f]);
    a.is_finite().then_some(a)
}

/// Which viewport dimension a percentage refers to.
#[derive(Clone, Copy, Debug)]
pub enum Axis {
    X,
    Y,
    /// The normalised diagonal √((w² + h²)/2), for radii and stroke widths.
    Diagonal,
}

/// Converts an SVG length to user units (px at 96 dpi).
pub fn length_to_user(len: Length, axis: Axis, viewport: Vec2) -> f64 {
    let n = len.number;
    match len.unit {
        LengthUnit::None | LengthUnit::Px => n,
        LengthUnit::In => n * 96.0,
        LengthUnit::Cm => n * 96.0 / 2.54,
        LengthUnit::Mm => n * 96.0 / 25.4,
        LengthUnit::Pt => n * 4.0 / 3.0,
        LengthUnit::Pc => n * 16.0,
        // No font cascade: the CSS initial font size.
        LengthUnit::Em => n * 16.0,
        LengthUnit::Ex => n * 8.0,
        LengthUnit::Percent => {
            let reference = match axis {
                Axis::X => viewport.x,
                Axis::Y => viewport.y,
                Axis::Diagonal => ((viewport.x.powi(2) + viewport.y.powi(2)) / 2.0).sqrt(),
            };
            n / 100.0 * reference
        }
    }
}

/// Parses a length attribute value; `None` if absent or malformed.
pub fn parse_length(s: Option<&str>, axis: Axis, viewport: Vec2) -> Option<f64> {
    let len: Length = s?.trim().parse().ok()?;
    let v = length_to_user(len, axis, viewport);
    v.is_finite().then_some(v)
}

/// Parses a `points` list of `polyline`/`polygon`. A trailing odd number is ignored, as SVG says.
pub fn parse_points(s: &str) -> Vec<Point> {
    svgtypes::PointsParser::from(s).map(|(x, y)| Point::new(x, y)).collect()
}

/// Like [`parse_points`], but refuses a list that would make more than `max_segments` line
/// segments before storing it (the `segments` budget).
pub fn parse_points_with(s: &str, max_segments: u64) -> Result<Vec<Point>, LimitExceeded> {
    let mut out = Vec::new();
    for (x, y) in svgtypes::PointsParser::from(s) {
        // A polygon's n points make n segments (with the closing one), a polyline's n − 1.
        if out.len() as u64 >= max_segments {
            return Err(LimitExceeded {
                field: "segments",
                what: "cubic segments",
                needed: out.len() as u64 + 1,
                limit: max_segments,
            });
        }
        out.push(Point::new(x, y));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Point, b: Point) -> bool {
        (a - b).hypot() < 1e-9
    }

    #[test]
    fn path_commands_relative_absolute_and_close() {
        let (sp, err) = path_from_d("m10 10 h10 v10 l-10 0 z M 0 0 Q 5 5 10 0 T 20 0");
        assert!(err.is_none());
        assert_eq!(sp.len(), 2);
        assert!(sp[0].closed);
        // Square: 3 explicit lines + the closing line = 4 segments.
        assert_eq!(sp[0].segments(), 4);
        assert_eq!(sp[0].points.len(), 12);
        assert!(close(sp[0].points[3], Point::new(20.0, 10.0)));
        assert!(close(sp[0].points[1], Point::new(10.0 + 10.0 / 3.0, 10.0)));
        // Quadratic elevation: c1 = p0 + 2/3 (c - p0).
        assert!(!sp[1].closed);
        assert_eq!(sp[1].segments(), 2);
        assert!(close(sp[1].points[1], Point::new(10.0 / 3.0, 10.0 / 3.0)));
        // T reflects the control point: (15,-5).
        assert!(close(sp[1].points[4], Point::new(10.0 + 10.0 / 3.0, -10.0 / 3.0)));
    }

    #[test]
    fn explicit_return_to_start_is_the_closing_segment() {
        let (sp, _) = path_from_d("M0 0 L10 0 L10 10 L0 0 Z");
        assert_eq!(sp[0].segments(), 3);
    }

    #[test]
    fn arcs_become_cubics_on_the_circle() {
        let (sp, err) = path_from_d("M 10 0 A 10 10 0 0 1 -10 0 A 10 10 0 0 1 10 0 Z");
        assert!(err.is_none());
        let s = &sp[0];
        assert!(s.segments() >= 2);
        for seg in 0..s.segments() {
            let n = s.points.len();
            let p = |i: usize| s.points[(3 * seg + i) % n];
            let c = kurbo::CubicBez::new(p(0), p(1), p(2), p(3));
            for k in 0..=8 {
                let q = kurbo::ParamCurve::eval(&c, k as f64 / 8.0);
                assert!((q.to_vec2().hypot() - 10.0).abs() < 0.01, "{q:?}");
            }
        }
    }

    #[test]
    fn path_error_keeps_the_prefix() {
        let (sp, err) = path_from_d("M0 0 L10 0 L10 10 L NaN 3");
        assert!(err.is_some());
        assert_eq!(sp.len(), 1);
        assert_eq!(sp[0].segments(), 2);
    }

    #[test]
    fn rounded_rect_and_ellipse() {
        let r = rect(0.0, 0.0, 10.0, 6.0, 2.0, 1.0);
        assert_eq!(r[0].segments(), 8);
        assert!(r[0].closed);
        let e = ellipse(5.0, 5.0, 3.0, 2.0);
        assert_eq!(e[0].segments(), 4);
        assert!(close(e[0].points[3], Point::new(5.0, 7.0)));
    }

    #[test]
    fn lengths_and_units() {
        let vp = Vec2::new(200.0, 100.0);
        assert_eq!(parse_length(Some("1in"), Axis::X, vp), Some(96.0));
        assert_eq!(parse_length(Some("50%"), Axis::Y, vp), Some(50.0));
        assert!((parse_length(Some("25.4mm"), Axis::X, vp).unwrap() - 96.0).abs() < 1e-9);
        assert_eq!(parse_length(Some("bogus"), Axis::X, vp), None);
    }

    #[test]
    fn transforms_compose_in_svg_order() {
        let t = parse_transform("translate(10 0) scale(2)").unwrap();
        assert!(close(t * Point::new(1.0, 1.0), Point::new(12.0, 2.0)));
        let r = parse_transform("rotate(90 5 5)").unwrap();
        assert!(close(r * Point::new(10.0, 5.0), Point::new(5.0, 10.0)));
        assert!(parse_transform("scale(").is_none());
    }
}

//! One round of tracing: a bitmap and a [`Precision`] in, filled cubic paths out (our driver on
//! visioncortex, in `tracer.rs`: colour clusters, spline fitting, stacked or cut-out shapes),
//! and the layered SVG text of the rounds.
//!
//! Coordinates are pixels of the traced bitmap until [`TracedPath::transform`] places them;
//! each subpath is a closed cubic control polygon of `3n` points (the last segment ends at the
//! first point), the layout of [`crate::scene::Subpath`].

use std::fmt::Write as _;

use image::RgbaImage;
use kurbo::{Affine, Point};
use visioncortex::CompoundPathElement;

use super::bitmap::to_trace_input;
use super::precision::Precision;
use super::tracer::trace_shapes;
use crate::error::{Error, Result};

/// One filled shape of a round: an opaque colour and closed cubic subpaths (outer outline and
/// holes, which wind the other way: filled with the nonzero rule).
#[derive(Clone, Debug, PartialEq)]
pub struct TracedPath {
    pub color: [u8; 3],
    pub subpaths: Vec<Vec<Point>>,
}

impl TracedPath {
    /// Number of cubic segments.
    pub fn segments(&self) -> usize {
        self.subpaths.iter().map(|s| s.len() / 3).sum()
    }

    /// Maps every point through `t`.
    pub fn transform(&mut self, t: Affine) {
        for p in self.subpaths.iter_mut().flatten() {
            *p = t * *p;
        }
    }

    /// SVG path data, absolute, with two decimals (a hundredth of a pixel).
    pub fn path_data(&self) -> String {
        let mut d = String::new();
        for sp in &self.subpaths {
            let n = sp.len() / 3;
            let _ = write!(d, "{}M{}", if d.is_empty() { "" } else { " " }, pair(sp[0]));
            for s in 0..n {
                let _ =
                    write!(d, " C{} {} {}", pair(sp[3 * s + 1]), pair(sp[3 * s + 2]), pair(sp[(3 * s + 3) % sp.len()]));
            }
            d.push_str(" Z");
        }
        d
    }

    /// `#rrggbb`.
    pub fn fill(&self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.color[0], self.color[1], self.color[2])
    }
}

fn pair(p: Point) -> String {
    format!("{},{}", short(p.x), short(p.y))
}

/// A number with at most two decimals and no trailing zeros.
pub(crate) fn short(v: f64) -> String {
    let mut s = format!("{v:.2}");
    while s.ends_with('0') {
        s.pop();
    }
    if s.ends_with('.') {
        s.pop();
    }
    if s == "-0" { "0".into() } else { s }
}

/// Traces `img` at `precision`. Paths come in the clustering's stacking order (large
/// background clusters first), which is the painter's order within the round.
pub fn trace(img: &RgbaImage, precision: &Precision) -> Result<Vec<TracedPath>> {
    let input = to_trace_input(img);
    let precision = precision.clone();
    // The driver reports a picture it cannot key as `Err(String)`, and visioncortex may panic
    // on input it does not expect; neither may reach the caller as a crash.
    let shapes = std::panic::catch_unwind(move || trace_shapes(input, &precision))
        .map_err(|e| Error::InvalidInput(format!("the tracer failed: {}", crate::raster::panic_message(&e))))?
        .map_err(|e| Error::InvalidInput(format!("the tracer failed: {e}")))?;
    let mut out = Vec::with_capacity(shapes.len());
    for shape in &shapes {
        let subpaths: Vec<Vec<Point>> = shape.outline.iter().filter_map(closed_cubics).collect();
        if !subpaths.is_empty() {
            out.push(TracedPath { color: [shape.color.r, shape.color.g, shape.color.b], subpaths });
        }
    }
    Ok(out)
}

/// One traced outline as a closed cubic control polygon (`None` if it has no area to speak of).
fn closed_cubics(el: &CompoundPathElement) -> Option<Vec<Point>> {
    let mut pts: Vec<Point> = match el {
        CompoundPathElement::Spline(s) => {
            if s.points.len() < 4 || (s.points.len() - 1) % 3 != 0 {
                return None;
            }
            s.points.iter().map(|p| Point::new(p.x, p.y)).collect()
        }
        CompoundPathElement::PathI32(p) => polygon(p.path.iter().map(|q| Point::new(q.x as f64, q.y as f64))),
        CompoundPathElement::PathF64(p) => polygon(p.path.iter().map(|q| Point::new(q.x, q.y))),
    };
    // `p0 c c p1 … pn`: drop `pn` when it closes onto `p0`, else close with a straight segment.
    let (first, last) = (pts[0], pts[pts.len() - 1]);
    if first.distance(last) < 1e-9 {
        pts.pop();
    } else {
        pts.extend([last.lerp(first, 1.0 / 3.0), last.lerp(first, 2.0 / 3.0)]);
    }
    (pts.len() >= 3).then_some(pts)
}

/// A polygon as cubic segments: `p0 c c p1 c c p2 …` with handles at thirds (exact lines).
fn polygon(points: impl Iterator<Item = Point>) -> Vec<Point> {
    let mut out: Vec<Point> = Vec::new();
    for p in points {
        if let Some(&q) = out.last() {
            out.extend([q.lerp(p, 1.0 / 3.0), q.lerp(p, 2.0 / 3.0)]);
        }
        out.push(p);
    }
    out
}

/// A traced round, ready to be written as one group.
#[derive(Clone, Debug)]
pub struct Round {
    /// `coarse`, `fine`, `detail` ...
    pub label: String,
    pub precision: Precision,
    /// The box of a detail round, `[x, y, w, h]` in canvas pixels.
    pub detail: Option<[f64; 4]>,
    /// In canvas pixels, painter's order.
    pub paths: Vec<TracedPath>,
}

/// How the ids of the written groups and paths are made: `{prefix}-round-{k}` and
/// `{prefix}-r{k}-{n}`, rounds counted from 1, paths from 0.
#[derive(Clone, Debug)]
pub struct Ids {
    pub prefix: String,
}

impl Ids {
    pub fn group(&self, round: usize) -> String {
        format!("{}-round-{}", self.prefix, round + 1)
    }
    pub fn path(&self, round: usize, n: usize) -> String {
        format!("{}-r{}-{}", self.prefix, round + 1, n)
    }
}

/// Writes the rounds as groups, bottom (coarse) first. `tag_prefix` is the namespace prefix
/// of the document's SVG tags (`""` or `"svg:"`); `indent` starts each line.
pub fn write_rounds(out: &mut String, rounds: &[Round], ids: &Ids, tag_prefix: &str, indent: &str) {
    for (k, r) in rounds.iter().enumerate() {
        let detail = match r.detail {
            Some(b) => format!(" data-clipvg-box=\"{},{},{},{}\"", short(b[0]), short(b[1]), short(b[2]), short(b[3])),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "{indent}<{tag_prefix}g id=\"{}\" data-clipvg-round=\"{}:{}\"{detail}>",
            ids.group(k),
            r.label,
            r.precision.knobs()
        );
        for (n, p) in r.paths.iter().enumerate() {
            let _ = writeln!(
                out,
                "{indent}  <{tag_prefix}path id=\"{}\" fill=\"{}\" d=\"{}\"/>",
                ids.path(k, n),
                p.fill(),
                p.path_data()
            );
        }
        let _ = writeln!(out, "{indent}</{tag_prefix}g>");
    }
}

/// A standalone layered SVG of `width × height` canvas pixels. With a `tag_prefix` (`"svg:"`)
/// every tag carries it and the root declares it, for splicing into a document written so.
pub fn to_document(width: u32, height: u32, rounds: &[Round], ids: &Ids, tag_prefix: &str, comment: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    let _ = writeln!(out, "<!-- {} -->", comment.replace("--", "- -"));
    let xmlns = match tag_prefix.strip_suffix(':') {
        Some(ns) => format!("xmlns:{ns}"),
        None => "xmlns".into(),
    };
    let _ = writeln!(
        out,
        "<{tag_prefix}svg {xmlns}=\"{}\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">",
        crate::svg::SVG_NS
    );
    write_rounds(&mut out, rounds, ids, tag_prefix, "  ");
    let _ = writeln!(out, "</{tag_prefix}svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_path_data() {
        assert_eq!(short(1.0), "1");
        assert_eq!(short(-0.001), "0");
        assert_eq!(short(2.456), "2.46");
        assert_eq!(short(10.5), "10.5");
        let p = TracedPath {
            color: [255, 0, 16],
            subpaths: vec![polygon([(0.0, 0.0), (3.0, 0.0), (3.0, 3.0), (0.0, 0.0)].into_iter().map(Point::from))],
        };
        let mut p = p;
        p.subpaths[0].pop();
        assert_eq!(p.fill(), "#ff0010");
        assert_eq!(p.segments(), 3);
        assert_eq!(p.path_data(), "M0,0 C1,0 2,0 3,0 C3,1 3,2 3,3 C2,2 1,1 0,0 Z");
    }

    #[test]
    fn traces_two_colours() {
        let img = RgbaImage::from_fn(40, 30, |x, _| {
            if x < 20 { image::Rgba([200, 20, 20, 255]) } else { image::Rgba([20, 20, 200, 255]) }
        });
        let paths = trace(&img, &Precision::preset("fine").unwrap()).unwrap();
        assert!(!paths.is_empty());
        assert!(paths.iter().any(|p| p.color[0] > 150) && paths.iter().any(|p| p.color[2] > 150));
        for p in &paths {
            assert!(p.subpaths.iter().all(|s| s.len() % 3 == 0 && s.len() >= 3));
        }
    }
}

//! Paint servers: colours, `currentColor`, and linear/radial gradients with `href` inheritance.
//!
//! Colours are straight (not premultiplied) sRGB in [0, 1], as SVG specifies them; nothing is
//! converted to linear light, matching what browsers, resvg and diffvg composite.

use kurbo::{Affine, Vec2};

use super::document::{Document, ElementId};
use super::geometry::{Axis, parse_length, parse_transform};
use super::style::Styles;

/// Straight RGBA in [0, 1].
pub type Rgba = [f64; 4];

/// A paint after resolving references.
#[derive(Clone, Debug, PartialEq)]
pub enum ResolvedPaint {
    None,
    Color(Rgba),
    Gradient(GradientSpec),
}

/// How a gradient continues outside [0, 1].
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Spread {
    Pad,
    Reflect,
    Repeat,
}

/// Gradient geometry in gradient space.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum GradientKind {
    Linear {
        x1: f64,
        y1: f64,
        x2: f64,
        y2: f64,
    },
    /// Focal radial gradient: centre circle (cx, cy, r), focal circle (fx, fy, fr).
    Radial {
        cx: f64,
        cy: f64,
        r: f64,
        fx: f64,
        fy: f64,
        fr: f64,
    },
}

/// One colour stop.
#[derive(Clone, Debug, PartialEq)]
pub struct Stop {
    pub offset: f64,
    /// Colour with `stop-opacity` folded into alpha.
    pub color: Rgba,
    /// The `<stop>` element, for write-back.
    pub element: ElementId,
}

/// A resolved gradient, still in its own units.
#[derive(Clone, Debug, PartialEq)]
pub struct GradientSpec {
    /// The gradient element the paint named.
    pub element: ElementId,
    /// The element whose `<stop>` children are used (the first in the `href` chain with stops).
    pub stops_owner: ElementId,
    pub kind: GradientKind,
    /// `gradientUnits="objectBoundingBox"` (the default).
    pub bbox_units: bool,
    pub transform: Affine,
    pub spread: Spread,
    pub stops: Vec<Stop>,
}

/// Parses a colour (`#rgb`, `#rrggbb`, names, `rgb()`, `rgba()`, `hsl()`, ...).
pub fn parse_color(s: &str) -> Option<Rgba> {
    let c: svgtypes::Color = s.trim().parse().ok()?;
    Some([c.red as f64 / 255.0, c.green as f64 / 255.0, c.blue as f64 / 255.0, c.alpha as f64 / 255.0])
}

/// Parses an opacity (`0.5` or `50%`), clamped to [0, 1].
pub fn parse_opacity(s: &str) -> Option<f64> {
    let s = s.trim();
    let v = match s.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().ok()? / 100.0,
        None => s.parse::<f64>().ok()?,
    };
    v.is_finite().then(|| v.clamp(0.0, 1.0))
}

/// Resolves a `fill`/`stroke` value. `current_color` is the element's computed `color`.
/// Problems (a missing reference, a pattern) are pushed to `warnings` and the SVG fallback rule
/// is applied.
pub fn resolve_paint(
    doc: &Document,
    styles: &Styles,
    value: &str,
    current_color: Rgba,
    viewport: Vec2,
    warnings: &mut Vec<String>,
) -> ResolvedPaint {
    let parsed = match svgtypes::Paint::from_str(value.trim()) {
        Ok(p) => p,
        Err(_) => {
            warnings.push(format!("unreadable paint \"{value}\", using none"));
            return ResolvedPaint::None;
        }
    };
    match parsed {
        svgtypes::Paint::None => ResolvedPaint::None,
        svgtypes::Paint::CurrentColor => ResolvedPaint::Color(current_color),
        svgtypes::Paint::Color(c) => ResolvedPaint::Color([
            c.red as f64 / 255.0,
            c.green as f64 / 255.0,
            c.blue as f64 / 255.0,
            c.alpha as f64 / 255.0,
        ]),
        svgtypes::Paint::FuncIRI(link, fallback) => {
            let fallback_paint = || match fallback {
                Some(svgtypes::PaintFallback::Color(c)) => ResolvedPaint::Color([
                    c.red as f64 / 255.0,
                    c.green as f64 / 255.0,
                    c.blue as f64 / 255.0,
                    c.alpha as f64 / 255.0,
                ]),
                Some(svgtypes::PaintFallback::CurrentColor) => ResolvedPaint::Color(current_color),
                _ => ResolvedPaint::None,
            };
            let Some(target) = doc.by_id(link) else {
                warnings.push(format!("paint refers to missing element #{link}"));
                return fallback_paint();
            };
            match doc.element(target).name.as_str() {
                "linearGradient" | "radialGradient" => {
                    match resolve_gradient(doc, styles, target, current_color, viewport) {
                        Some(g) if g.stops.is_empty() => ResolvedPaint::None,
                        Some(g) if g.stops.len() == 1 => ResolvedPaint::Color(g.stops[0].color),
                        Some(g) => ResolvedPaint::Gradient(g),
                        None => {
                            warnings.push(format!("gradient #{link} is invalid"));
                            fallback_paint()
                        }
                    }
                }
                other => {
                    warnings.push(format!("paint server <{other}> (#{link}) is not supported"));
                    fallback_paint()
                }
            }
        }
        svgtypes::Paint::Inherit => ResolvedPaint::None,
        svgtypes::Paint::ContextFill | svgtypes::Paint::ContextStroke => {
            warnings.push("context-fill/context-stroke are not supported".into());
            ResolvedPaint::None
        }
    }
}

/// The `href` chain of a gradient, starting with itself, without cycles.
fn href_chain(doc: &Document, start: ElementId) -> Vec<ElementId> {
    let mut chain = vec![start];
    let mut cur = start;
    while let Some(next) = doc.element(cur).href().and_then(|h| doc.resolve_iri(h)) {
        let is_gradient = matches!(doc.element(next).name.as_str(), "linearGradient" | "radialGradient");
        if !is_gradient || chain.contains(&next) || chain.len() > 64 {
            break;
        }
        chain.push(next);
        cur = next;
    }
    chain
}

// Long on purpose: the geometry, units, spread and stops all read attributes through the same href-chain closures.
fn resolve_gradient(
    doc: &Document,
    styles: &Styles,
    el: ElementId,
    current_color: Rgba,
    viewport: Vec2,
) -> Option<GradientSpec> {
    let chain = href_chain(doc, el);
    // First element in the chain that has the attribute.
    let attr = |name: &str| chain.iter().find_map(|&e| doc.element(e).attr(name));
    let bbox_units = attr("gradientUnits").map(str::trim) != Some("userSpaceOnUse");
    // In bbox units, plain numbers and percentages are both fractions of the box.
    let len = |name: &str, axis: Axis, default: f64| -> f64 {
        let Some(v) = attr(name) else { return default };
        if bbox_units {
            let v = v.trim();
            match v.strip_suffix('%') {
                Some(p) => p.trim().parse::<f64>().map(|x| x / 100.0).unwrap_or(default),
                None => v.parse::<f64>().unwrap_or(default),
            }
        } else {
            parse_length(Some(v), axis, viewport).unwrap_or(default)
        }
    };
    let full = |axis: Axis| -> f64 {
        if bbox_units {
            1.0
        } else {
            match axis {
                Axis::X => viewport.x,
                Axis::Y => viewport.y,
                Axis::Diagonal => ((viewport.x.powi(2) + viewport.y.powi(2)) / 2.0).sqrt(),
            }
        }
    };
    let kind = if doc.element(el).name == "linearGradient" {
        GradientKind::Linear {
            x1: len("x1", Axis::X, 0.0),
            y1: len("y1", Axis::Y, 0.0),
            x2: len("x2", Axis::X, full(Axis::X)),
            y2: len("y2", Axis::Y, 0.0),
        }
    } else {
        let cx = len("cx", Axis::X, 0.5 * full(Axis::X));
        let cy = len("cy", Axis::Y, 0.5 * full(Axis::Y));
        GradientKind::Radial {
            cx,
            cy,
            r: len("r", Axis::Diagonal, 0.5 * full(Axis::Diagonal)),
            fx: len("fx", Axis::X, cx),
            fy: len("fy", Axis::Y, cy),
            fr: len("fr", Axis::Diagonal, 0.0),
        }
    };
    let transform = match attr("gradientTransform") {
        Some(t) => parse_transform(t)?,
        None => Affine::IDENTITY,
    };
    let spread = match attr("spreadMethod").map(str::trim) {
        Some("reflect") => Spread::Reflect,
        Some("repeat") => Spread::Repeat,
        _ => Spread::Pad,
    };
    let stops_owner = chain
        .iter()
        .copied()
        .find(|&e| doc.element(e).children.iter().any(|&c| doc.element(c).name == "stop"))
        .unwrap_or(el);
    let mut stops = Vec::new();
    let mut last = 0.0f64;
    for &s in &doc.element(stops_owner).children {
        if doc.element(s).name != "stop" {
            continue;
        }
        let offset = doc.element(s).attr("offset").and_then(parse_opacity).unwrap_or(0.0);
        // Offsets never decrease (SVG 1.1 §13.2.4).
        let offset = offset.max(last);
        last = offset;
        let color_value = styles.own(s, "stop-color").map(|v| v.value.as_str()).unwrap_or("black");
        let mut color = if color_value.eq_ignore_ascii_case("currentcolor") {
            current_color
        } else {
            parse_color(color_value).unwrap_or([0.0, 0.0, 0.0, 1.0])
        };
        let opacity = styles.own(s, "stop-opacity").and_then(|v| parse_opacity(&v.value)).unwrap_or(1.0);
        color[3] *= opacity;
        stops.push(Stop { offset, color, element: s });
    }
    Some(GradientSpec { element: el, stops_owner, kind, bbox_units, transform, spread, stops })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc_and_paint(src: &str, value: &str) -> (ResolvedPaint, Vec<String>) {
        let doc = Document::parse(src).unwrap();
        let styles = Styles::compute(&doc);
        let mut w = Vec::new();
        let p = resolve_paint(&doc, &styles, value, [0.0, 0.0, 1.0, 1.0], Vec2::new(100.0, 50.0), &mut w);
        (p, w)
    }

    #[test]
    fn colours() {
        assert_eq!(parse_color("#f00"), Some([1.0, 0.0, 0.0, 1.0]));
        assert_eq!(parse_color("rgb(0, 255, 0)"), Some([0.0, 1.0, 0.0, 1.0]));
        assert_eq!(parse_color("white"), Some([1.0, 1.0, 1.0, 1.0]));
        let c = parse_color("rgba(0,0,255,0.5)").unwrap();
        assert!((c[3] - 0.5).abs() < 0.01);
        assert_eq!(parse_opacity("50%"), Some(0.5));
        assert_eq!(parse_opacity("2"), Some(1.0));
        let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\"/>";
        assert_eq!(doc_and_paint(svg, "currentColor").0, ResolvedPaint::Color([0.0, 0.0, 1.0, 1.0]));
        assert_eq!(doc_and_paint(svg, "none").0, ResolvedPaint::None);
    }

    #[test]
    fn gradient_href_inheritance_units_and_transform() {
        let src = r##"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">
          <defs>
            <linearGradient id="base"><stop offset="0" stop-color="red"/><stop offset="100%" style="stop-color:blue;stop-opacity:0.5"/></linearGradient>
            <linearGradient id="g" xlink:href="#base" gradientUnits="userSpaceOnUse" x1="10" x2="50%" gradientTransform="scale(2)" spreadMethod="reflect"/>
            <radialGradient id="r" href="#base" fx="0.25"/>
          </defs></svg>"##;
        let ResolvedPaint::Gradient(g) = doc_and_paint(src, "url(#g)").0 else { panic!() };
        assert!(!g.bbox_units);
        assert_eq!(g.kind, GradientKind::Linear { x1: 10.0, y1: 0.0, x2: 50.0, y2: 0.0 });
        assert_eq!(g.spread, Spread::Reflect);
        assert_eq!(g.transform, Affine::scale(2.0));
        assert_eq!(g.stops.len(), 2);
        assert_eq!(g.stops[1].color, [0.0, 0.0, 1.0, 0.5]);
        let ResolvedPaint::Gradient(r) = doc_and_paint(src, "url(#r)").0 else { panic!() };
        assert!(r.bbox_units);
        assert_eq!(r.kind, GradientKind::Radial { cx: 0.5, cy: 0.5, r: 0.5, fx: 0.25, fy: 0.5, fr: 0.0 });
    }

    #[test]
    fn missing_reference_uses_fallback_and_warns() {
        let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\"/>";
        let (p, w) = doc_and_paint(svg, "url(#nope) green");
        assert_eq!(p, ResolvedPaint::Color([0.0, 128.0 / 255.0, 0.0, 1.0]));
        assert_eq!(w.len(), 1);
        let (p, _) = doc_and_paint(svg, "url(#nope)");
        assert_eq!(p, ResolvedPaint::None);
    }

    #[test]
    fn cyclic_href_terminates() {
        let src = r##"<svg xmlns="http://www.w3.org/2000/svg"><linearGradient id="a" href="#b"/><linearGradient id="b" href="#a"/></svg>"##;
        assert_eq!(doc_and_paint(src, "url(#a)").0, ResolvedPaint::None);
    }
}

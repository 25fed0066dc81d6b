//! Vectorizing `<image>` elements in place: the element is replaced by a group holding the
//! stacked rounds, at the same position and size, and every other byte of the document stays
//! as it was (one splice per image through [`Editor::replace_element`]).
//!
//! The group keeps the image's `id` and its other presentation attributes (`class`, `style`,
//! `opacity`, `clip-path`, `inkscape:label`, ...) copied byte for byte; its `transform` is the
//! image's own followed by the placement `matrix(...)` from working pixels to the image's
//! viewport (`x`, `y`, `width`, `height`, `preserveAspectRatio`). With `slice`, only the visible
//! part of the bitmap is traced, so the group needs no clip.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use image::RgbaImage;
use kurbo::{Affine, Rect};
use serde::Serialize;

use super::{Ids, Progress, VectorizeOptions, VectorizeReport, bitmap, vectorize_with};
use crate::error::{Error, Result};
use crate::svg::geometry::{Axis, parse_length};
use crate::svg::{Canvas, Document, Editor, ElementId, view_box_transform};

/// Attributes of the `<image>` that describe the bitmap, not the group replacing it.
const IMAGE_ONLY: &[&str] = &[
    "x",
    "y",
    "width",
    "height",
    "href",
    "preserveAspectRatio",
    "transform",
    "image-rendering",
    "crossorigin",
    "absref",
];

/// One vectorized image.
#[derive(Clone, Debug, Serialize)]
pub struct EmbeddedImage {
    /// The element as named in messages (`<image id="photo">`).
    pub element: String,
    /// Prefix of the ids of its rounds and paths (`clipvg-photo` → `clipvg-photo-r1-0`).
    pub id_prefix: String,
    pub report: VectorizeReport,
}

/// The new document text and what happened to each image.
#[derive(Clone, Debug, Serialize)]
pub struct EmbeddedOutcome {
    pub svg: String,
    pub images: Vec<EmbeddedImage>,
}

/// All `<image>` elements of the document, in document order.
pub fn image_elements(doc: &Document) -> Vec<ElementId> {
    doc.element_ids().filter(|&e| doc.element(e).is_svg() && doc.element(e).name == "image").collect()
}

/// Vectorizes the `<image>` with id `element_id` in place and returns the new document text;
/// everything outside that element is unchanged. Relative file references resolve against
/// `options.base_dir`. This is the editor's "Vectorize bitmap" action.
pub fn vectorize_image_element(doc: &Document, element_id: &str, options: &VectorizeOptions) -> Result<String> {
    let el = doc.require_id(element_id)?;
    Ok(vectorize_images(doc, &[el], options, &mut |_| true)?.svg)
}

/// Vectorizes several `<image>` elements in place, in one pass.
pub fn vectorize_images(
    doc: &Document,
    elements: &[ElementId],
    options: &VectorizeOptions,
    progress: &mut dyn FnMut(Progress<'_>) -> bool,
) -> Result<EmbeddedOutcome> {
    if elements.is_empty() {
        return Err(Error::EmptySelection("the document has no <image> element to vectorize".into()));
    }
    let canvas = Canvas::of(doc, &mut Vec::new())?;
    let mut taken: HashSet<String> =
        doc.element_ids().filter_map(|e| doc.element(e).id().map(str::to_string)).collect();
    let all_images = image_elements(doc);
    let mut editor = Editor::new(doc);
    let mut images = Vec::new();
    for &el in elements {
        let element = doc.element(el);
        let name = doc.describe(el);
        if !(element.is_svg() && element.name == "image") {
            return Err(Error::InvalidInput(format!("{name} is not an <image>; only bitmaps can be vectorized")));
        }
        let (bytes, source) = image_bytes(doc, el, options.base_dir.as_deref())?;
        let img = bitmap::decode(&bytes, &source)?;
        let placed = placement(doc, el, &img, canvas.viewport)?;
        let crop =
            image::imageops::crop_imm(&img, placed.crop.0, placed.crop.1, placed.crop.2, placed.crop.3).to_image();
        let mut opts = options.clone();
        for d in &mut opts.detail {
            d.rect[0] -= placed.crop.0 as f64;
            d.rect[1] -= placed.crop.1 as f64;
        }
        let ids = Ids {
            prefix: unique_prefix(element.id(), all_images.iter().position(|&i| i == el).unwrap_or(0), &mut taken),
        };
        let tag_prefix = element.tag_prefix(doc.source());
        let v = vectorize_with(&crop, &source, &opts, &ids, tag_prefix, progress)?;
        // Working pixels → bitmap pixels → the image's user space.
        let [w, h] = v.report.size;
        let to_user = placed.to_user
            * Affine::translate((placed.crop.0 as f64, placed.crop.1 as f64))
            * Affine::scale_non_uniform(placed.crop.2 as f64 / w as f64, placed.crop.3 as f64 / h as f64);
        editor.replace_element(el, group_markup(doc, el, &v.svg, to_user, tag_prefix)?);
        images.push(EmbeddedImage { element: name, id_prefix: ids.prefix, report: v.report });
    }
    Ok(EmbeddedOutcome { svg: editor.finish_checked()?, images })
}

/// The encoded bitmap of an `<image>` and the name to use for it in messages.
fn image_bytes(doc: &Document, el: ElementId, base_dir: Option<&Path>) -> Result<(Vec<u8>, PathBuf)> {
    let element = doc.element(el);
    let name = doc.describe(el);
    let href = element.href().map(str::trim).filter(|h| !h.is_empty());
    let Some(href) = href else {
        return Err(Error::InvalidInput(format!("{name} has no href: there is no bitmap to vectorize")));
    };
    if let Some(bytes) = bitmap::data_uri_bytes(href) {
        let bytes = bytes.map_err(|e| Error::InvalidInput(format!("{name}: {e}")))?;
        return Ok((bytes, PathBuf::from(format!("{name} (data: URI)"))));
    }
    if href.contains("://") && !href.starts_with("file://") {
        return Err(Error::InvalidInput(format!(
            "{name} links to \"{href}\", which is not a local file; save the image next to the document and link that"
        )));
    }
    let relative = PathBuf::from(percent_decode(href.strip_prefix("file://").unwrap_or(href)));
    let mut candidates = Vec::new();
    if relative.is_absolute() {
        candidates.push(relative.clone());
    } else if let Some(dir) = base_dir {
        candidates.push(dir.join(&relative));
    }
    // Inkscape records the absolute path of a linked file beside the relative one.
    if let Some(abs) = element.attributes.iter().find(|a| a.name == "absref").map(|a| PathBuf::from(&a.value)) {
        candidates.push(abs);
    }
    if candidates.is_empty() {
        return Err(Error::InvalidInput(format!(
            "{name} links to the relative file \"{href}\" and no document folder was given to resolve it"
        )));
    }
    for path in &candidates {
        if let Ok(bytes) = std::fs::read(path) {
            return Ok((bytes, path.clone()));
        }
    }
    Err(Error::InvalidInput(format!(
        "{name} links to \"{href}\", but {} does not exist or cannot be read",
        candidates[0].display()
    )))
}

/// `%20` → space (file names in `file://` URIs and hrefs); a `%` not followed by two hex digits
/// stays as it is, and bytes that are not UTF-8 become U+FFFD.
fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// Where the bitmap goes: its visible part (`crop`, bitmap pixels `x, y, w, h`) and the map
/// from bitmap pixels to the image element's user space.
struct Placement {
    crop: (u32, u32, u32, u32),
    to_user: Affine,
}

/// SVG 2 §"The image element": the viewport is `x, y, width, height` (auto sizes from the
/// bitmap), the bitmap is fitted into it by `preserveAspectRatio` (default `xMidYMid meet`).
fn placement(doc: &Document, el: ElementId, img: &RgbaImage, viewport: kurbo::Vec2) -> Result<Placement> {
    let element = doc.element(el);
    let (iw, ih) = (img.width() as f64, img.height() as f64);
    let len = |name: &str, axis: Axis| parse_length(element.attr(name).filter(|v| v.trim() != "auto"), axis, viewport);
    let x = len("x", Axis::X).unwrap_or(0.0);
    let y = len("y", Axis::Y).unwrap_or(0.0);
    let (w, h) = match (len("width", Axis::X), len("height", Axis::Y)) {
        (Some(w), Some(h)) => (w, h),
        (Some(w), None) => (w, w * ih / iw),
        (None, Some(h)) => (h * iw / ih, h),
        (None, None) => (iw, ih),
    };
    if !(w > 0.0 && h > 0.0 && w.is_finite() && h.is_finite()) {
        return Err(Error::InvalidInput(format!(
            "{} has zero size ({w}×{h}): nothing of it is drawn",
            doc.describe(el)
        )));
    }
    let aspect: svgtypes::AspectRatio =
        element.attr("preserveAspectRatio").and_then(|s| s.parse().ok()).unwrap_or_default();
    let vb = svgtypes::ViewBox { x: 0.0, y: 0.0, w: iw, h: ih };
    let to_user = Affine::translate((x, y)) * view_box_transform(vb, aspect, w, h);
    // What of the bitmap the viewport shows (all of it unless `slice`).
    let shown =
        to_user.inverse().transform_rect_bbox(Rect::new(x, y, x + w, y + h)).intersect(Rect::new(0.0, 0.0, iw, ih));
    let snap = |r: Rect| (r.x0.floor().max(0.0), r.y0.floor().max(0.0), r.x1.ceil().min(iw), r.y1.ceil().min(ih));
    let (x0, y0, x1, y1) = snap(shown);
    if x1 <= x0 || y1 <= y0 {
        return Err(Error::InvalidInput(format!("{} shows no part of its bitmap", doc.describe(el))));
    }
    Ok(Placement { crop: (x0 as u32, y0 as u32, (x1 - x0) as u32, (y1 - y0) as u32), to_user })
}

/// A transform coefficient: rounded to 1e-9, shortest form.
fn precise(v: f64) -> String {
    let r = (v * 1e9).round() / 1e9;
    if r == 0.0 { "0".into() } else { format!("{r}") }
}

/// `clipvg-{image id}` (or `clipvg-image{n}`), made unique against every id in use.
fn unique_prefix(image_id: Option<&str>, index: usize, taken: &mut HashSet<String>) -> String {
    let base = match image_id {
        Some(id) => format!(
            "clipvg-{}",
            id.chars()
                .map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' })
                .collect::<String>()
        ),
        None => format!("clipvg-image{}", index + 1),
    };
    let clashes = |p: &str, taken: &HashSet<String>| taken.iter().any(|t| t == p || t.starts_with(&format!("{p}-")));
    let mut prefix = base.clone();
    let mut n = 2;
    while clashes(&prefix, taken) {
        prefix = format!("{base}-{n}");
        n += 1;
    }
    taken.insert(prefix.clone());
    prefix
}

/// The group that replaces the `<image>`: its kept attributes byte for byte, the transform,
/// and the rounds (the children of the generated document's root).
fn group_markup(doc: &Document, el: ElementId, layered: &str, to_user: Affine, tag_prefix: &str) -> Result<String> {
    let src = doc.source();
    let element = doc.element(el);
    let mut tag = format!("<{tag_prefix}g");
    for a in element.attributes.iter().filter(|a| !IMAGE_ONLY.contains(&a.name.as_str())) {
        tag.push(' ');
        tag.push_str(&src[a.range.clone()]);
    }
    let c = to_user.as_coeffs().map(precise);
    let own =
        element.attr("transform").map(|t| format!("{} ", crate::svg::edit::escape_attr(t, '"'))).unwrap_or_default();
    tag.push_str(&format!(" transform=\"{own}matrix({} {} {} {} {} {})\">", c[0], c[1], c[2], c[3], c[4], c[5]));
    let generated = Document::parse(layered)?;
    let kids = &generated.element(generated.root()).children;
    let inner = match (kids.first(), kids.last()) {
        (Some(&a), Some(&b)) => {
            &layered[generated.element(a).source_range().start..generated.element(b).source_range().end]
        }
        _ => "",
    };
    Ok(format!("{tag}\n{inner}\n</{tag_prefix}g>"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_unique() {
        let mut taken: HashSet<String> = ["clipvg-photo-r1-0".to_string(), "x".into()].into();
        assert_eq!(unique_prefix(Some("photo"), 0, &mut taken), "clipvg-photo-2");
        assert_eq!(unique_prefix(Some("photo"), 0, &mut taken), "clipvg-photo-3");
        assert_eq!(unique_prefix(None, 4, &mut taken), "clipvg-image5");
        assert_eq!(unique_prefix(Some("a b"), 0, &mut taken), "clipvg-a_b");
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("my%20photo.png"), "my photo.png");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("é%4"), "é%4");
        assert_eq!(percent_decode("%C3%A9%ff"), "é\u{fffd}");
        assert_eq!(precise(0.1 + 0.2), "0.3");
        assert_eq!(precise(-1e-12), "0");
    }
}

//! `clipvg edit photo.png …`: bitmaps in. A PNG or JPEG input (by its first bytes, else by its
//! extension) is vectorized first with `clipvg vectorize`'s defaults (the multi-round vectorizer,
//! its default rounds and working size) into an in-memory SVG, which the edit then edits; only
//! the edited SVG is written. Without ROIs the whole canvas is the ROI; `--roi-box` boxes are in
//! pixels of the vectorized canvas (the picture's own up to 1024 px on the long side).

use std::io::Read;
use std::path::Path;

use clipvg::error::Result;
use clipvg::svg::Document;
use clipvg_document::Limits;

/// Whether `path` is a PNG or JPEG picture: by its magic bytes, else (unreadable) by its
/// extension.
pub fn is_bitmap(path: &Path) -> bool {
    let mut head = [0u8; 8];
    let read = std::fs::File::open(path).and_then(|mut f| f.read(&mut head));
    match read {
        Ok(n) => head[..n].starts_with(b"\x89PNG\r\n\x1a\n") || head[..n].starts_with(&[0xFF, 0xD8, 0xFF]),
        Err(_) => {
            let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
            matches!(ext.as_deref(), Some("png" | "jpg" | "jpeg"))
        }
    }
}

/// The document an edit of `input` edits: the SVG itself, or a bitmap's vectorization (with a
/// line on stderr saying so).
pub fn open(input: &Path, limits: &Limits) -> Result<Document> {
    if !is_bitmap(input) {
        return Ok(Document::open_with(input, limits, &mut clipvg_document::no_progress())?);
    }
    eprintln!("{} is a bitmap: vectorizing it first (clipvg vectorize's default rounds)", input.display());
    let options = clipvg::vectorize::VectorizeOptions::default();
    let v = clipvg::vectorize::vectorize_file(input, &options, &mut |p| {
        if let (line, true) = crate::vectorize::progress_line(p) {
            eprintln!("  {line}");
        }
        true
    })?;
    let refined = v.report.refine.as_ref().map(|r| format!(", {} refinement steps", r.steps)).unwrap_or_default();
    eprintln!(
        "vectorized into {} paths on a {}×{} canvas (PSNR {:.2} dB{refined}, {:.1} s); editing",
        v.report.paths(),
        v.report.size[0],
        v.report.size[1],
        v.report.psnr_db,
        v.report.elapsed_s
    );
    Ok(Document::parse_with(&v.svg, limits, &mut clipvg_document::no_progress())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitmaps_are_known_by_content_then_extension() {
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("picture.svg");
        std::fs::write(&png, b"\x89PNG\r\n\x1a\n....").unwrap();
        assert!(is_bitmap(&png), "content wins over the extension");
        let svg = dir.path().join("drawing.png");
        std::fs::write(&svg, b"<svg/>").unwrap();
        assert!(!is_bitmap(&svg));
        assert!(is_bitmap(&dir.path().join("missing.JPG")));
        assert!(!is_bitmap(&dir.path().join("missing.svg")));
    }
}

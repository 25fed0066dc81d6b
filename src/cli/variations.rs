//! `clipvg edit --variations N`'s outputs: the file of each variation (`OUT.svg`, `OUT-2.svg`, …)
//! and a contact sheet PNG (`OUT-variations.png`) of all of them side by side, variation 1 on
//! the left.

use std::path::{Path, PathBuf};

use clipvg::edit::{EditOutcome, Stop};
use clipvg::error::{Error, Result};

/// Long side of each picture on the contact sheet, in pixels.
pub const SHEET_TILE: u32 = 256;
/// White space between and around the pictures of the contact sheet, in pixels.
pub const SHEET_GAP: u32 = 8;

/// Where variation `k` (1-based) of an edit writing `output` goes: `output` itself for 1, else
/// the name with `-k` before the extension (`out.svg` → `out-2.svg`).
pub fn variation_path(output: &Path, k: usize) -> PathBuf {
    if k <= 1 {
        return output.to_path_buf();
    }
    with_suffix(output, &format!("-{k}"), None)
}

/// Where the contact sheet of an edit writing `output` goes: `out.svg` → `out-variations.png`.
pub fn sheet_path(output: &Path) -> PathBuf {
    with_suffix(output, "-variations", Some("png"))
}

/// `output` with `suffix` after its stem and its extension, or `extension` instead.
fn with_suffix(output: &Path, suffix: &str, extension: Option<&str>) -> PathBuf {
    let stem = output.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let ext = extension.map(str::to_string).or_else(|| output.extension().map(|e| e.to_string_lossy().into_owned()));
    let name = match ext {
        Some(e) => format!("{stem}{suffix}.{e}"),
        None => format!("{stem}{suffix}"),
    };
    output.with_file_name(name)
}

/// The pictures of the variations' documents side by side on white, each [`SHEET_TILE`] pixels
/// on its long side (rendered with clipvg's rasterizer), [`SHEET_GAP`] apart, in order.
pub fn contact_sheet(svgs: &[&str]) -> Result<image::RgbaImage> {
    let tiles: Vec<image::RgbaImage> =
        svgs.iter().map(|svg| crate::edit::preview(svg, SHEET_TILE)).collect::<Result<_>>()?;
    let width = tiles.iter().map(|t| t.width() + SHEET_GAP).sum::<u32>() + SHEET_GAP;
    let height = tiles.iter().map(|t| t.height()).max().unwrap_or(0) + 2 * SHEET_GAP;
    let mut sheet = image::RgbaImage::from_pixel(width, height, image::Rgba([255, 255, 255, 255]));
    let mut x = SHEET_GAP;
    for tile in &tiles {
        image::imageops::overlay(&mut sheet, tile, x as i64, SHEET_GAP as i64);
        x += tile.width() + SHEET_GAP;
    }
    Ok(sheet)
}

/// Writes the contact sheet of `svgs` to `path` as a PNG, atomically.
pub fn write_sheet(path: &Path, svgs: &[&str]) -> Result<()> {
    let sheet = contact_sheet(svgs)?;
    let mut png = Vec::new();
    sheet
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| Error::Image { path: path.into(), message: e.to_string() })?;
    clipvg::util::write_atomic(path, &png)
}

/// The lines `clipvg edit` ends with: per variation how it ended, its iterations, time, final
/// loss, changed elements and file (one line without the variation's name when there is one
/// variation), then the contact sheet's file.
pub fn summary(outcomes: &[EditOutcome], outputs: &[PathBuf], seed: u64, sheet: Option<&Path>) -> Vec<String> {
    let mut lines = Vec::new();
    for (k, (outcome, path)) in outcomes.iter().zip(outputs).enumerate() {
        let r = &outcome.report;
        let stop = match &r.stop {
            Stop::Finished => "finished".to_string(),
            Stop::Cancelled => "cancelled".to_string(),
            Stop::NonFinite { iteration } => {
                format!("stopped at iteration {iteration}: the step produced NaN/infinity; kept the last good state")
            }
        };
        let which = if outcomes.len() > 1 {
            format!("variation {} (seed {}): ", k + 1, seed.wrapping_add(k as u64))
        } else {
            String::new()
        };
        lines.push(format!(
            "{which}{stop}: {} iterations in {:.1} s, final loss {:.4}, {} element(s) changed → {}",
            r.iterations_done,
            r.elapsed_s,
            r.losses.last().copied().unwrap_or(f32::NAN),
            r.changed.len(),
            path.display()
        ));
    }
    if let Some(path) = sheet {
        lines.push(format!("contact sheet of the {} variations, left to right → {}", outcomes.len(), path.display()));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variations_are_named_after_the_output() {
        let out = Path::new("dir/out.svg");
        assert_eq!(variation_path(out, 1), PathBuf::from("dir/out.svg"));
        assert_eq!(variation_path(out, 3), PathBuf::from("dir/out-3.svg"));
        assert_eq!(variation_path(Path::new("x"), 2), PathBuf::from("x-2"));
        assert_eq!(sheet_path(out), PathBuf::from("dir/out-variations.png"));
    }

    #[test]
    fn the_sheet_holds_every_picture_side_by_side() {
        let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="20" height="10"><rect width="20" height="10" fill="red"/></svg>"#;
        let sheet = contact_sheet(&[svg, svg, svg]).unwrap();
        assert_eq!((sheet.width(), sheet.height()), (3 * (SHEET_TILE + SHEET_GAP) + SHEET_GAP, 128 + 2 * SHEET_GAP));
        // Red inside each tile, white in the gaps.
        let red = sheet.get_pixel(SHEET_GAP + 2 * (SHEET_TILE + SHEET_GAP) + 10, SHEET_GAP + 10);
        assert!(red[0] > 200 && red[1] < 60, "{red:?}");
        assert_eq!(sheet.get_pixel(SHEET_TILE + SHEET_GAP + 2, SHEET_GAP + 10), &image::Rgba([255, 255, 255, 255]));
    }
}

//! `--palette`: colours given as `#c0392b,#f1c40f,…` or as a GIMP palette file (`.gpl`), read
//! into the request's hex strings. Errors are one sentence naming the flag or the file.

use std::path::Path;

use clipvg::error::{Error, Result};

/// The palette `arg` names: a `.gpl` file (or any existing file), else comma-separated hex
/// colours; each entry as `#rrggbb`.
pub fn parse_palette(arg: &str) -> Result<Vec<String>> {
    let path = Path::new(arg.trim());
    let is_gpl = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gpl"));
    if is_gpl || path.is_file() {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::InvalidInput(format!("--palette: cannot read the palette file {}: {e}", path.display()))
        })?;
        return parse_gpl(&text, path);
    }
    let colours = arg
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            clipvg_request::parse_hex(s).map(hex).ok_or_else(|| {
                Error::InvalidInput(format!(
                    "--palette: \"{s}\" is not a hex colour such as #c0392b (give #hex,#hex,… or a .gpl file)"
                ))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    if colours.is_empty() {
        return Err(Error::InvalidInput("--palette: no colours given (give #hex,#hex,… or a .gpl file)".into()));
    }
    Ok(colours)
}

/// `#rrggbb` of straight RGB in [0, 1].
fn hex(rgb: [f32; 3]) -> String {
    let [r, g, b] = rgb.map(|v| (v * 255.0).round() as u8);
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// The colours of a GIMP palette: a `GIMP Palette` first line, optional `Name:`, `Columns:` and
/// `#` comment lines, then one `R G B name` row per colour (channels 0–255, the name optional).
pub fn parse_gpl(text: &str, path: &Path) -> Result<Vec<String>> {
    let shown = path.display();
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    if lines.next().map(|(_, l)| l.trim()) != Some("GIMP Palette") {
        return Err(Error::InvalidInput(format!(
            "--palette: {shown} is not a GIMP palette (its first line is not \"GIMP Palette\")"
        )));
    }
    let mut colours = Vec::new();
    for (n, line) in lines {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with("Name:") || line.starts_with("Columns:") {
            continue;
        }
        let channels: Option<Vec<u8>> = line.split_whitespace().take(3).map(|t| t.parse::<u8>().ok()).collect();
        match channels.as_deref() {
            Some(&[r, g, b]) => colours.push(format!("#{r:02x}{g:02x}{b:02x}")),
            _ => {
                return Err(Error::InvalidInput(format!(
                    "--palette: line {} of {shown} is not \"R G B name\" with R, G and B from 0 to 255: \"{line}\"",
                    n + 1
                )));
            }
        }
    }
    if colours.is_empty() {
        return Err(Error::InvalidInput(format!("--palette: the GIMP palette {shown} has no colours")));
    }
    Ok(colours)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_gimp_palettes_become_hex_and_mistakes_one_sentence() {
        assert_eq!(parse_palette("#C0392B, f1c40f,#0f0").unwrap(), ["#c0392b", "#f1c40f", "#00ff00"]);
        let e = parse_palette("#c0392b,crimson").unwrap_err().to_string();
        assert!(e.contains("\"crimson\"") && e.contains("--palette"), "{e}");
        let gpl = "GIMP Palette\nName: Brand\nColumns: 2\n# a comment\n192  57  43\tBrand red\n241 196 15 Yellow\n\n0 0 255\n";
        assert_eq!(parse_gpl(gpl, Path::new("b.gpl")).unwrap(), ["#c0392b", "#f1c40f", "#0000ff"]);
        let e = parse_gpl("GIMP Palette\n300 0 0 too red\n", Path::new("b.gpl")).unwrap_err().to_string();
        assert!(e.contains("line 2 of b.gpl"), "{e}");
        let e = parse_gpl("JASC-PAL\n", Path::new("p.gpl")).unwrap_err().to_string();
        assert!(e.contains("not a GIMP palette"), "{e}");
        let e = parse_palette("/nonexistent/brand.gpl").unwrap_err().to_string();
        assert!(e.contains("cannot read the palette file /nonexistent/brand.gpl"), "{e}");
        assert!(!e.contains('\n'));
    }
}

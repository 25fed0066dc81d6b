//! Palette entries of an edit request: colours written `#rrggbb` or `#rgb` (the `#` optional),
//! read as straight RGB in [0, 1]. Blank entries are skipped, so an empty dialog field (which
//! reaches the request as `[""]`) means "no palette".

use crate::RequestError;

/// The RGB of one hex colour (`#c0392b`, `c0392b`, `#f00`), channels in [0, 1]; `None` if it is
/// not one.
pub fn parse_hex(text: &str) -> Option<[f32; 3]> {
    let hex = text.trim();
    let hex = hex.strip_prefix('#').unwrap_or(hex);
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let digit = |i: usize, n: usize| u8::from_str_radix(&hex[i..i + n], 16).ok();
    let bytes = match hex.len() {
        3 => [digit(0, 1)? * 17, digit(1, 1)? * 17, digit(2, 1)? * 17],
        6 => [digit(0, 2)?, digit(2, 2)?, digit(4, 2)?],
        _ => return None,
    };
    Some(bytes.map(|b| b as f32 / 255.0))
}

/// The RGB of every non-blank entry, or an error naming the first entry that is not a colour.
pub fn palette_rgb(entries: &[String]) -> Result<Vec<[f32; 3]>, RequestError> {
    let mut out = Vec::new();
    for (i, e) in entries.iter().enumerate().filter(|(_, e)| !e.trim().is_empty()) {
        let rgb = parse_hex(e).ok_or_else(|| {
            RequestError(format!("request field `palette[{i}]` must be a hex colour such as #c0392b, not \"{e}\""))
        })?;
        out.push(rgb);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_colours_parse_and_others_are_refused_by_index() {
        assert_eq!(parse_hex("#ff0000"), Some([1.0, 0.0, 0.0]));
        assert_eq!(parse_hex(" 0f0 "), Some([0.0, 1.0, 0.0]));
        assert_eq!(parse_hex("#c0392b").map(|c| (c[0] * 255.0).round()), Some(192.0));
        for bad in ["#ff00", "red", "#gg0000", "", "#"] {
            assert_eq!(parse_hex(bad), None, "{bad}");
        }
        let ok = palette_rgb(&["".into(), "#00f".into(), " ".into()]).unwrap();
        assert_eq!(ok, vec![[0.0, 0.0, 1.0]]);
        let e = palette_rgb(&["#fff".into(), "crimson".into()]).unwrap_err().0;
        assert!(e.contains("`palette[1]`") && e.contains("\"crimson\""), "{e}");
    }
}

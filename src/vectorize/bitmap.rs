//! Bitmaps in: decoding (PNG, JPEG, WebP, GIF) with limits, `data:` URIs, the checks that turn
//! unusable pictures into one clear error, and the working size.
//!
//! Everything is converted to 8-bit straight RGBA (grayscale, palette and 16-bit images
//! included), in pixels of the image.

use std::io::Cursor;
use std::path::Path;

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use image::{ImageReader, Limits, RgbaImage};

use crate::error::{Error, Result};

/// Largest side we decode; a bigger picture is refused before its pixels are allocated.
pub const MAX_DECODE_SIDE: u32 = 16_384;
/// Most memory the decoder may allocate (a 16 384² RGBA image).
const MAX_DECODE_BYTES: u64 = 1 << 30;
/// Long side of the working image when none is asked for: larger pictures are scaled down to
/// it (and the caller is told), as tracing cost and path count grow with the pixel count.
pub const DEFAULT_MAX_LONG_SIDE: u32 = 1024;
/// Largest working long side accepted from a caller.
pub const MAX_LONG_SIDE: u32 = 4096;
/// A pixel with less alpha than this counts as transparent.
const OPAQUE_ENOUGH: u8 = 128;

/// Decodes an encoded image, naming `source` (a path or a description) in errors.
pub fn decode(bytes: &[u8], source: &Path) -> Result<RgbaImage> {
    let err = |message: String| Error::Image { path: source.to_path_buf(), message };
    let mut reader =
        ImageReader::new(Cursor::new(bytes)).with_guessed_format().map_err(|e| err(format!("cannot be read: {e}")))?;
    if reader.format().is_none() {
        return Err(err("is not a PNG, JPEG, WebP or GIF image".into()));
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODE_SIDE);
    limits.max_image_height = Some(MAX_DECODE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => {
            err(format!("is larger than the {MAX_DECODE_SIDE} pixels per side clipvg decodes; scale it down first"))
        }
        image::ImageError::Unsupported(u) => err(format!("uses an unsupported format or feature ({u})")),
        other => err(format!("is corrupt or truncated ({other})")),
    })?;
    Ok(img.to_rgba8())
}

/// Reads and decodes an image file.
pub fn open(path: &Path) -> Result<RgbaImage> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    decode(&bytes, path)
}

/// Refuses pictures with nothing to trace: empty, or fully transparent.
pub fn check_content(img: &RgbaImage, source: &Path) -> Result<()> {
    if img.width() == 0 || img.height() == 0 {
        return Err(Error::Image { path: source.into(), message: "has no pixels".into() });
    }
    if img.pixels().all(|p| p.0[3] < OPAQUE_ENOUGH) {
        return Err(Error::Image {
            path: source.into(),
            message: "is fully transparent: there is nothing to vectorize".into(),
        });
    }
    Ok(())
}

/// The tracer's view of a picture: alpha made binary (the traced shapes are opaque; what is
/// mostly transparent is left out), transparent pixels zeroed.
pub fn to_trace_input(img: &RgbaImage) -> visioncortex::ColorImage {
    let mut pixels = img.as_raw().clone();
    for px in pixels.chunks_exact_mut(4) {
        if px[3] < OPAQUE_ENOUGH {
            px.copy_from_slice(&[0, 0, 0, 0]);
        } else {
            px[3] = 255;
        }
    }
    visioncortex::ColorImage { pixels, width: img.width() as usize, height: img.height() as usize }
}

/// The working size for a `width × height` picture: `long_side` if given, else the picture's
/// own size capped at [`DEFAULT_MAX_LONG_SIDE`]. Returns `(w, h)`, each at least 1.
pub fn working_size(width: u32, height: u32, long_side: Option<u32>) -> Result<(u32, u32)> {
    let long = width.max(height);
    let target = match long_side {
        Some(0) => return Err(Error::InvalidInput("--size must be at least 1 pixel".into())),
        Some(s) if s > MAX_LONG_SIDE => {
            return Err(Error::InvalidInput(format!("--size {s} is above the {MAX_LONG_SIDE} pixels clipvg traces")));
        }
        Some(s) => s,
        None => long.min(DEFAULT_MAX_LONG_SIDE),
    };
    let scale = target as f64 / long as f64;
    let side = |v: u32| ((v as f64 * scale).round() as u32).max(1);
    Ok((side(width), side(height)))
}

/// Resamples to `(w, h)` (Catmull-Rom, widened when shrinking, so it also low-passes).
pub fn resize(img: &RgbaImage, w: u32, h: u32) -> RgbaImage {
    if (img.width(), img.height()) == (w, h) {
        return img.clone();
    }
    image::imageops::resize(img, w, h, image::imageops::FilterType::CatmullRom)
}

/// Straight RGBA floats in [0, 1] composited over `background`, `h × w × 4` (the layout of
/// [`crate::raster::Image`]), for comparing with renders.
pub fn to_float_over(img: &RgbaImage, background: [f32; 4]) -> Vec<f32> {
    let mut out = Vec::with_capacity(img.as_raw().len());
    for px in img.pixels() {
        let a = px.0[3] as f32 / 255.0;
        let ab = background[3] * (1.0 - a);
        let alpha = a + ab;
        for c in 0..3 {
            let v = px.0[c] as f32 / 255.0 * a + background[c] * ab;
            out.push(if alpha > 0.0 { v / alpha } else { 0.0 });
        }
        out.push(alpha);
    }
    out
}

/// Decodes a `data:` URI's payload (base64 only; bitmaps are never percent-encoded in
/// practice). Returns `None` for anything that is not a `data:` URI.
pub fn data_uri_bytes(href: &str) -> Option<Result<Vec<u8>>> {
    let rest = href.trim_start().strip_prefix("data:")?;
    let Some((header, payload)) = rest.split_once(',') else {
        return Some(Err(Error::InvalidInput("a data: URI without a comma has no payload".into())));
    };
    if !header.split(';').any(|p| p.trim().eq_ignore_ascii_case("base64")) {
        return Some(Err(Error::InvalidInput(format!(
            "the data: URI \"data:{header},…\" is not base64-encoded; clipvg reads base64 images only"
        ))));
    }
    Some(
        base64_decode(payload).ok_or_else(|| Error::InvalidInput(format!("the data:{header} URI is not valid base64"))),
    )
}

/// The base64 engine of [`base64_decode`]: the standard alphabet, padding optional, trailing
/// bits ignored.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Standard base64 (RFC 4648 §4, `+/`, optional `=` padding, the URL-safe `-_` read as `+/`);
/// ASCII whitespace, which SVG editors insert in long data URIs, is skipped.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace())
        .map(|c| match c {
            b'-' => b'+',
            b'_' => b'/',
            c => c,
        })
        .collect();
    // Up to two `=` at the very end, and nowhere else.
    let data = match digits.iter().position(|&c| c == b'=') {
        Some(p) if digits[p..].iter().all(|&c| c == b'=') && digits[p..].len() <= 2 => &digits[..p],
        Some(_) => return None,
        None => &digits[..],
    };
    LENIENT.decode(data).ok()
}

/// Standard base64 with padding (for writing `data:` URIs in tests and tools).
pub fn base64_encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip_and_rejects() {
        for n in 0..10 {
            let bytes: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
            let text = base64_encode(&bytes);
            assert_eq!(base64_decode(&text).unwrap(), bytes);
        }
        assert_eq!(base64_encode(b"Man"), "TWFu");
        assert_eq!(base64_decode("TW\nFu\r\n").unwrap(), b"Man");
        assert_eq!(base64_decode("TWE=").unwrap(), b"Ma");
        assert!(base64_decode("T").is_none());
        assert!(base64_decode("TW=u").is_none());
        assert!(base64_decode("TW*u").is_none());
        // Lenient as SVG files need: padding optional or short, trailing bits, URL-safe digits.
        assert_eq!(base64_decode("TWE").unwrap(), b"Ma");
        assert_eq!(base64_decode("TWF=").unwrap(), b"Ma");
        assert_eq!(base64_decode("TWFu=").unwrap(), b"Man");
        assert_eq!(base64_decode("-_8=").unwrap(), base64_decode("+/8=").unwrap());
        assert!(base64_decode("TWE===").is_none());
    }

    #[test]
    fn data_uris() {
        assert!(data_uri_bytes("file.png").is_none());
        assert_eq!(data_uri_bytes("data:image/png;base64,TWFu").unwrap().unwrap(), b"Man");
        assert!(data_uri_bytes("data:image/png,abc").unwrap().is_err());
    }

    #[test]
    fn working_sizes() {
        assert_eq!(working_size(4000, 3000, None).unwrap(), (1024, 768));
        assert_eq!(working_size(300, 200, None).unwrap(), (300, 200));
        assert_eq!(working_size(451, 300, Some(512)).unwrap(), (512, 341));
        assert_eq!(working_size(10_000, 1, Some(100)).unwrap(), (100, 1));
        assert!(working_size(10, 10, Some(0)).is_err());
        assert!(working_size(10, 10, Some(100_000)).is_err());
    }

    #[test]
    fn garbage_is_one_clear_error() {
        let e = decode(b"not an image at all", Path::new("x.png")).unwrap_err().to_string();
        assert!(e.starts_with("image x.png:"), "{e}");
        let mut png = Vec::new();
        RgbaImage::new(4, 4).write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        png.truncate(png.len() / 2);
        assert!(decode(&png, Path::new("t.png")).is_err());
    }
}

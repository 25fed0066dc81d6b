//! Pixels for the image tower.
//!
//! * Image files, as HuggingFace `CLIPImageProcessor` (PIL backend) prepares them: convert to
//!   RGB (transparency is composited onto white, as transformers 5's `convert_to_rgb` does with
//!   Pillow's `alpha_composite`; transformers 4 dropped alpha), resize the shortest side to S with
//!   Pillow's bicubic filter (a = −0.5, antialiased when shrinking, 8-bit fixed point, horizontal
//!   pass then vertical), centre-crop S×S at `((H−S)/2, (W−S)/2)` rounded down, scale by 1/255 and
//!   normalise with CLIP's mean and std. Output layout CHW.
//! * Rendered images inside the autodiff graph: [`normalize`] and [`resize_bilinear`] on
//!   `[batch, 3, H, W]` tensors with values in [0, 1].

use std::path::Path;

use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use burn::tensor::{Device, Tensor, TensorData};
use image::RgbImage;

use super::ClipError;

/// CLIP's per-channel mean (RGB), from OpenAI's training pipeline.
pub const CLIP_MEAN: [f32; 3] = [0.481_454_66, 0.457_827_5, 0.408_210_73];
/// CLIP's per-channel standard deviation (RGB).
pub const CLIP_STD: [f32; 3] = [0.268_629_54, 0.261_302_6, 0.275_777_1];

/// Largest image side the resize accepts, so an extreme aspect ratio cannot ask for gigabytes.
const MAX_RESIZED_SIDE: usize = 1 << 15;

/// `(x − mean) / std` per channel, differentiable: `[batch, 3, H, W]` in [0, 1] → the tower's input.
pub fn normalize(pixels: Tensor<4>) -> Tensor<4> {
    let device = pixels.device();
    let mean = Tensor::<1>::from_data(TensorData::new(CLIP_MEAN.to_vec(), [3]), &device);
    let std = Tensor::<1>::from_data(TensorData::new(CLIP_STD.to_vec(), [3]), &device);
    (pixels - mean.reshape([1, 3, 1, 1])) / std.reshape([1, 3, 1, 1])
}

/// Bilinear resize to `[height, width]` with half-pixel centres (`F.interpolate(...,
/// mode="bilinear", align_corners=False)`), differentiable. No antialiasing: shrink by at most 2×
/// per call, or render at the target size.
pub fn resize_bilinear(pixels: Tensor<4>, size: [usize; 2]) -> Tensor<4> {
    let mut options = InterpolateOptions::new(InterpolateMode::Bilinear);
    options.align_corners = false;
    options.output_size = Some(size);
    interpolate(pixels, options)
}

/// One preprocessed image.
#[derive(Debug, Clone, PartialEq)]
pub struct Preprocessed {
    /// The resized and cropped image, `[3, S, S]` in CHW order.
    pub u8_chw: Vec<u8>,
    /// Normalised values, `[3, S, S]` in CHW order.
    pub pixel_values: Vec<f32>,
}

/// The CLIP image processor for square inputs of side `size`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImageProcessor {
    pub size: usize,
    pub mean: [f32; 3],
    pub std: [f32; 3],
}

impl ImageProcessor {
    /// CLIP's processor for `size`×`size` inputs (shortest edge = crop = `size`).
    pub fn new(size: usize) -> Self {
        Self { size, mean: CLIP_MEAN, std: CLIP_STD }
    }

    /// Decodes an image file into RGB: grey is replicated, transparency composited onto white.
    pub fn open(path: &Path) -> Result<RgbImage, ClipError> {
        let bad = |message: String| ClipError::Image { path: path.to_path_buf(), message };
        let reader = image::ImageReader::open(path)
            .map_err(|e| ClipError::io(path, e))?
            .with_guessed_format()
            .map_err(|e| ClipError::io(path, e))?;
        let img = reader.decode().map_err(|e| bad(format!("cannot decode: {e}")))?;
        if img.width() == 0 || img.height() == 0 {
            return Err(bad("has no pixels".into()));
        }
        if !img.color().has_alpha() {
            return Ok(img.to_rgb8());
        }
        let rgba = img.to_rgba8();
        let mut rgb = RgbImage::new(rgba.width(), rgba.height());
        for (out, px) in rgb.pixels_mut().zip(rgba.pixels()) {
            let [r, g, b, a] = px.0;
            out.0 = [over_white(r, a), over_white(g, a), over_white(b, a)];
        }
        Ok(rgb)
    }

    /// Reads and preprocesses an image file.
    pub fn preprocess_file(&self, path: &Path) -> Result<Preprocessed, ClipError> {
        let img = Self::open(path)?;
        self.preprocess(&img).map_err(|message| ClipError::Image { path: path.to_path_buf(), message })
    }

    /// Resize, crop and normalise; the error says why an image cannot be used.
    pub fn preprocess(&self, img: &RgbImage) -> Result<Preprocessed, String> {
        let (w, h) = (img.width() as usize, img.height() as usize);
        let s = self.size;
        if w == 0 || h == 0 {
            return Err("has no pixels".into());
        }
        // transformers' get_resize_output_image_size: short side → S, long side int(S·long/short).
        let (nw, nh) =
            if h <= w { (((s * w) as f64 / h as f64) as usize, s) } else { (s, ((s * h) as f64 / w as f64) as usize) };
        if nw.max(nh) > MAX_RESIZED_SIDE {
            return Err(format!("{w}×{h} is too elongated: resizing its short side to {s} gives {nw}×{nh} pixels"));
        }
        let resized = if (nw, nh) == (w, h) { img.clone() } else { pillow_bicubic_resize(img, nw, nh) };
        let (top, left) = ((nh - s) / 2, (nw - s) / 2);
        let mut u8_chw = vec![0u8; 3 * s * s];
        for c in 0..3 {
            for y in 0..s {
                for x in 0..s {
                    u8_chw[(c * s + y) * s + x] = resized.get_pixel((left + x) as u32, (top + y) as u32)[c];
                }
            }
        }
        let pixel_values = self.normalize_u8(&u8_chw);
        Ok(Preprocessed { u8_chw, pixel_values })
    }

    /// `x = f32(v · (1/255))` (the product in f64, as numpy does), then `(x − mean) / std` in f32.
    pub fn normalize_u8(&self, u8_chw: &[u8]) -> Vec<f32> {
        let plane = u8_chw.len() / 3;
        u8_chw
            .iter()
            .enumerate()
            .map(|(i, &v)| {
                let c = (i / plane).min(2);
                let x = (f64::from(v) * (1.0 / 255.0)) as f32;
                (x - self.mean[c]) / self.std[c]
            })
            .collect()
    }

    /// Preprocessed images as a `[batch, 3, S, S]` tensor.
    pub fn to_tensor(&self, images: &[Preprocessed], device: &Device) -> Tensor<4> {
        let s = self.size;
        let flat: Vec<f32> = images.iter().flat_map(|p| p.pixel_values.iter().copied()).collect();
        Tensor::from_data(TensorData::new(flat, [images.len(), 3, s, s]), device)
    }
}

/// One channel of `Image.alpha_composite(white, rgba)`, in Pillow's integer arithmetic
/// (AlphaComposite.c: 7 fractional bits, division by 255 as `((x >> 8) + x) >> 8`).
fn over_white(c: u8, a: u8) -> u8 {
    const BITS: u32 = 7;
    let div255 = |x: u32| ((x >> 8) + x) >> 8;
    if a == 0 {
        return 255;
    }
    let a = u32::from(a);
    let out_a255 = a * 255 + 255 * (255 - a);
    let coef1 = a * 255 * 255 * (1 << BITS) / out_a255;
    let coef2 = 255 * (1 << BITS) - coef1;
    let mixed = u32::from(c) * coef1 + 255 * coef2;
    (div255(mixed + (0x80 << BITS)) >> BITS) as u8
}

/// Pillow's fixed-point precision for 8-bit resampling (`PRECISION_BITS` in Resample.c).
const PRECISION_BITS: u32 = 32 - 8 - 2;

/// Pillow's bicubic kernel (a = −0.5), support 2.
fn bicubic(x: f64) -> f64 {
    const A: f64 = -0.5;
    let x = x.abs();
    if x < 1.0 {
        ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
    } else if x < 2.0 {
        (((x - 5.0) * x + 8.0) * x - 4.0) * A
    } else {
        0.0
    }
}

/// Per output sample: first input index and fixed-point weights (Pillow's `precompute_coeffs` +
/// `normalize_coeffs_8bpc`). Shrinking widens the kernel by the scale (antialiasing).
fn coefficients(in_size: usize, out_size: usize) -> Vec<(usize, Vec<i32>)> {
    let scale = in_size as f64 / out_size as f64;
    let filter_scale = scale.max(1.0);
    let support = 2.0 * filter_scale;
    (0..out_size)
        .map(|xx| {
            let center = (xx as f64 + 0.5) * scale;
            // Pillow truncates toward zero with `(int)`, after adding 0.5.
            let xmin = ((center - support + 0.5) as i64).max(0) as usize;
            let xmax = ((center + support + 0.5) as i64).min(in_size as i64) as usize;
            let weights: Vec<f64> = (xmin..xmax).map(|x| bicubic((x as f64 - center + 0.5) / filter_scale)).collect();
            let total: f64 = weights.iter().sum();
            let fixed = weights
                .iter()
                .map(|&w| {
                    let w = if total != 0.0 { w / total } else { w };
                    let v = w * f64::from(1u32 << PRECISION_BITS);
                    (if v < 0.0 { v - 0.5 } else { v + 0.5 }) as i32
                })
                .collect();
            (xmin, fixed)
        })
        .collect()
}

/// Rounds a fixed-point sum back to a byte (Pillow's `clip8`).
fn clip8(acc: i64) -> u8 {
    (acc >> PRECISION_BITS).clamp(0, 255) as u8
}

/// Pillow's `Image.resize((w, h), Image.BICUBIC)` on an RGB image: horizontal pass into an
/// 8-bit intermediate, then the vertical pass.
pub fn pillow_bicubic_resize(img: &RgbImage, out_w: usize, out_h: usize) -> RgbImage {
    let (in_w, in_h) = (img.width() as usize, img.height() as usize);
    let src = img.as_raw();
    let half = 1i64 << (PRECISION_BITS - 1);

    let horizontal = if out_w != in_w {
        let coeffs = coefficients(in_w, out_w);
        let mut out = vec![0u8; out_w * in_h * 3];
        for y in 0..in_h {
            let row = &src[y * in_w * 3..(y + 1) * in_w * 3];
            for (x, (start, k)) in coeffs.iter().enumerate() {
                for c in 0..3 {
                    let acc = k
                        .iter()
                        .enumerate()
                        .fold(half, |acc, (i, &w)| acc + i64::from(row[(start + i) * 3 + c]) * i64::from(w));
                    out[(y * out_w + x) * 3 + c] = clip8(acc);
                }
            }
        }
        out
    } else {
        src.clone()
    };

    let vertical = if out_h != in_h {
        let coeffs = coefficients(in_h, out_h);
        let mut out = vec![0u8; out_w * out_h * 3];
        for (y, (start, k)) in coeffs.iter().enumerate() {
            for x in 0..out_w * 3 {
                let acc = k
                    .iter()
                    .enumerate()
                    .fold(half, |acc, (i, &w)| acc + i64::from(horizontal[(start + i) * out_w * 3 + x]) * i64::from(w));
                out[y * out_w * 3 + x] = clip8(acc);
            }
        }
        out
    } else {
        horizontal
    };
    RgbImage::from_raw(out_w as u32, out_h as u32, vertical)
        .unwrap_or_else(|| unreachable!("buffer size is out_w × out_h × 3 by construction"))
}

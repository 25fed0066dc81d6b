//! Paint evaluation at a pixel: solid colours and linear/radial gradients with pad, reflect and
//! repeat. Stops interpolate straight RGBA linearly (as diffvg does). The colour at a pixel is a
//! linear blend of at most two colour entries, so its gradient is the blend weights.

use clipvg_document::scene::Spread;
use clipvg_document::scene::{Gradient, GradientShape, Paint, Scene};

/// A pixel's paint as a blend `w0·colors[i0] + w1·colors[i1]` (`w1 = 0` for solid paints).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Blend {
    pub i0: u32,
    pub i1: u32,
    pub w1: f32,
}

impl Blend {
    /// The blended straight RGBA.
    #[inline]
    pub fn color(&self, colors: &[[f32; 4]]) -> [f32; 4] {
        let (a, b) = (colors[self.i0 as usize], colors[self.i1 as usize]);
        let (w0, w1) = (1.0 - self.w1, self.w1);
        // Written out: `[0, 1, 2, 3].map(..)` was left as a call per pixel (core's `try_map`,
        // 5 % of a render) when the crate's inlining budget moved.
        [w0 * a[0] + w1 * b[0], w0 * a[1] + w1 * b[1], w0 * a[2] + w1 * b[2], w0 * a[3] + w1 * b[3]]
    }
}

/// Gradient parameter `t` at a canvas point, before spreading; `None` where a two-point conical
/// gradient is undefined (the pixel is transparent there).
pub fn gradient_t(g: &Gradient, canvas: [f32; 2]) -> Option<f32> {
    let m = g.canvas_to_gradient;
    let p = [m[0] * canvas[0] + m[2] * canvas[1] + m[4], m[1] * canvas[0] + m[3] * canvas[1] + m[5]];
    match g.shape {
        GradientShape::Linear { x1, y1, x2, y2 } => {
            let (dx, dy) = (x2 - x1, y2 - y1);
            let len2 = dx * dx + dy * dy;
            if len2 <= 0.0 {
                return Some(1.0);
            }
            Some(((p[0] - x1) * dx + (p[1] - y1) * dy) / len2)
        }
        GradientShape::Radial { cx, cy, r, fx, fy, fr } => {
            // Circles c(t) = f + t·(c − f), r(t) = fr + t·(r − fr); find the largest t with
            // |p − c(t)| = r(t) and r(t) ≥ 0.
            let (cdx, cdy, dr) = (cx - fx, cy - fy, r - fr);
            let (pfx, pfy) = (p[0] - fx, p[1] - fy);
            let a = cdx * cdx + cdy * cdy - dr * dr;
            let b = pfx * cdx + pfy * cdy + fr * dr;
            let c = pfx * pfx + pfy * pfy - fr * fr;
            let t = if a.abs() < 1e-9 * (r * r).max(1e-12) {
                if b == 0.0 {
                    return None;
                }
                c / (2.0 * b)
            } else {
                let disc = b * b - a * c;
                if disc < 0.0 {
                    return None;
                }
                let sq = disc.sqrt();
                let (t1, t2) = ((b + sq) / a, (b - sq) / a);
                let (hi, lo) = if t1 > t2 { (t1, t2) } else { (t2, t1) };
                if fr + hi * dr >= 0.0 {
                    hi
                } else if fr + lo * dr >= 0.0 {
                    lo
                } else {
                    return None;
                }
            };
            Some(t)
        }
    }
}

fn spread(t: f32, s: Spread) -> f32 {
    match s {
        Spread::Pad => t.clamp(0.0, 1.0),
        Spread::Repeat => t - t.floor(),
        Spread::Reflect => {
            let m = t.rem_euclid(2.0);
            if m > 1.0 { 2.0 - m } else { m }
        }
    }
}

/// The blend of `paint` at the render pixel centre `(px, py)`; `None` = transparent.
#[inline]
pub fn blend_at(scene: &Scene, paint: Paint, px: f32, py: f32, inv_scale: [f32; 2]) -> Option<Blend> {
    match paint {
        Paint::None => None,
        Paint::Solid(i) => Some(Blend { i0: i, i1: i, w1: 0.0 }),
        Paint::Gradient(gi) => {
            let g = &scene.gradients[gi as usize];
            let t = spread(gradient_t(g, [px * inv_scale[0], py * inv_scale[1]])?, g.spread);
            let n = g.offsets.len();
            let first = g.first_color;
            if n == 0 {
                return None;
            }
            if t <= g.offsets[0] {
                return Some(Blend { i0: first, i1: first, w1: 0.0 });
            }
            for k in 1..n {
                if t <= g.offsets[k] {
                    let (o0, o1) = (g.offsets[k - 1], g.offsets[k]);
                    let w1 = if o1 > o0 { (t - o0) / (o1 - o0) } else { 1.0 };
                    return Some(Blend { i0: first + k as u32 - 1, i1: first + k as u32, w1 });
                }
            }
            let last = first + n as u32 - 1;
            Some(Blend { i0: last, i1: last, w1: 0.0 })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grad(shape: GradientShape, spread: Spread) -> Gradient {
        Gradient {
            shape,
            canvas_to_gradient: [1.0, 0.0, 0.0, 1.0, 0.0, 0.0],
            spread,
            first_color: 0,
            offsets: vec![0.0, 1.0],
        }
    }

    #[test]
    fn linear_and_spreads() {
        let g = grad(GradientShape::Linear { x1: 0.0, y1: 0.0, x2: 10.0, y2: 0.0 }, Spread::Pad);
        assert_eq!(gradient_t(&g, [5.0, 3.0]), Some(0.5));
        assert_eq!(spread(1.25, Spread::Pad), 1.0);
        assert_eq!(spread(1.25, Spread::Repeat), 0.25);
        assert_eq!(spread(1.25, Spread::Reflect), 0.75);
        assert_eq!(spread(-0.25, Spread::Reflect), 0.25);
    }

    #[test]
    fn radial_centred_and_focal() {
        let g = grad(GradientShape::Radial { cx: 0.0, cy: 0.0, r: 10.0, fx: 0.0, fy: 0.0, fr: 0.0 }, Spread::Pad);
        let t = gradient_t(&g, [3.0, 4.0]).unwrap();
        assert!((t - 0.5).abs() < 1e-6);
        // Focal point at (5, 0): the focal point itself is t = 0, the rim t = 1.
        let g = grad(GradientShape::Radial { cx: 0.0, cy: 0.0, r: 10.0, fx: 5.0, fy: 0.0, fr: 0.0 }, Spread::Pad);
        assert!(gradient_t(&g, [5.0, 0.0]).unwrap().abs() < 1e-6);
        assert!((gradient_t(&g, [-10.0, 0.0]).unwrap() - 1.0).abs() < 1e-5);
        assert!((gradient_t(&g, [10.0, 0.0]).unwrap() - 1.0).abs() < 1e-5);
    }
}

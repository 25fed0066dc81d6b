//! Our tracing driver on `visioncortex`: a bitmap and a [`Precision`] in, one outline and one
//! colour per colour cluster out.
//!
//! The work, in order:
//! 1. **Keying.** When enough of the picture is transparent ([`needs_key`]), every transparent
//!    pixel is painted with a *key colour* that no pixel has ([`key_colour`], a fixed rule, so
//!    the same picture always traces the same), and the clustering leaves key-coloured pixels
//!    out: no shape covers the transparent areas.
//! 2. **Colour clustering** (`visioncortex::color_clusters`): neighbouring pixels of nearly the
//!    same colour (`color_precision` significant bits) form clusters; patches under
//!    `filter_speckle²` pixels merge into their nearest neighbour by colour, and clusters of
//!    similar colour (closer than `layer_difference`) merge into layers. *Stacked*, each kept
//!    cluster also covers the clusters that were merged into it; *cut out*, the stacked result
//!    is painted and clustered once more, exactly, so the shapes abut.
//! 3. **Outlines.** Each kept cluster, largest (bottom) first, becomes a compound path fitted
//!    with splines (corners sharper than `corner_threshold` kept, segments of at least
//!    `length_threshold` pixels, splines split at turns above `splice_threshold`), filled with
//!    the cluster's residual colour.

use visioncortex::color_clusters::{Clusters, HIERARCHICAL_MAX, KeyingAction, Runner, RunnerConfig};
use visioncortex::{Color, ColorImage, CompoundPath, PathSimplifyMode};

use super::precision::Precision;

/// One traced cluster: its outlines (outer boundaries and holes) and its fill.
pub(crate) struct Shape {
    pub outline: CompoundPath,
    pub color: Color,
}

/// Colours tried first as the key, in this order: pure primaries and secondaries, which photos
/// rarely contain exactly. (They are also the ones the vtracer crate tried first, so pictures
/// that lack one of them key as they did when clipvg traced through vtracer.)
const PREFERRED_KEYS: [[u8; 3]; 6] =
    [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0], [0, 255, 255], [255, 0, 255]];

/// Rounds of spline fitting per outline.
const FIT_ITERATIONS: usize = 10;

/// Pixels the clustering handles per step (only the granularity of its progress, not the result).
const BATCH: i32 = 25_600;

/// Traces `image` (straight RGBA, every alpha 0 or 255): the shapes in painter's order, bottom
/// first. Fails only when no key colour is left (every 24-bit colour occurs in the picture).
pub(crate) fn trace_shapes(mut image: ColorImage, precision: &Precision) -> Result<Vec<Shape>, String> {
    let key = if needs_key(&image) {
        let key = key_colour(&image)?;
        paint_transparent(&mut image, key);
        key
    } else {
        // All zeros: visioncortex's "no key" (its builder keys only a colour other than this).
        Color::default()
    };
    let clusters = cluster(image, precision, key);
    let view = clusters.view();
    let (corner, splice) = (radians(precision.corner_threshold), radians(precision.splice_threshold));
    // The output list runs top to bottom; we paint bottom first.
    let shapes = view
        .clusters_output
        .iter()
        .rev()
        .map(|&index| {
            let c = view.get_cluster(index);
            let outline = c.to_compound_path(
                &view,
                false,
                PathSimplifyMode::Spline,
                corner,
                precision.length_threshold,
                FIT_ITERATIONS,
                splice,
            );
            Shape { outline, color: c.residue_color() }
        })
        .collect();
    Ok(shapes)
}

/// The colour clusters of one trace: the hierarchical clustering at `precision`, and for a
/// cut-out trace a second, exact clustering of what the first one paints.
fn cluster(image: ColorImage, precision: &Precision, key: Color) -> Clusters {
    let pixels = image.width * image.height;
    let stacked = precision.stacked.unwrap_or(true);
    let first = RunnerConfig {
        // With no layer step, clusters also join across diagonal neighbours.
        diagonal: precision.layer_difference == 0,
        hierarchical: HIERARCHICAL_MAX,
        batch_size: BATCH,
        good_min_area: precision.filter_speckle * precision.filter_speckle,
        good_max_area: pixels,
        // Colours are the same when equal in their top `color_precision` bits, give or take one.
        is_same_color_a: 8 - precision.color_precision,
        is_same_color_b: 1,
        deepen_diff: precision.layer_difference,
        hollow_neighbours: 1,
        key_color: key,
        // A cut-out trace keeps the keyed pixels as one cluster for the second pass to drop.
        keying_action: if stacked { KeyingAction::Discard } else { KeyingAction::Keep },
    };
    let clusters = Runner::new(first, image).run();
    if stacked {
        return clusters;
    }
    let painted = clusters.view().to_color_image();
    let exact = RunnerConfig {
        diagonal: false,
        hierarchical: 64,
        batch_size: BATCH,
        good_min_area: 0,
        good_max_area: pixels,
        is_same_color_a: 0,
        is_same_color_b: 1,
        deepen_diff: 0,
        hollow_neighbours: 0,
        key_color: key,
        keying_action: KeyingAction::Discard,
    };
    Runner::new(exact, painted).run()
}

/// Whether the transparent pixels are keyed: when the five sampled rows (top, quarter, middle,
/// three quarters, bottom; a short picture samples some row twice) hold at least `⌊2·width/5⌋`
/// transparent pixels, a fifth of two rows' worth. A picture one or two pixels wide always keys
/// (the bound is 0), one with no pixels never.
fn needs_key(image: &ColorImage) -> bool {
    let (w, h) = (image.width, image.height);
    if w == 0 || h == 0 {
        return false;
    }
    let rows = [0, h / 4, h / 2, 3 * h / 4, h - 1];
    let transparent: usize =
        rows.iter().map(|&y| (0..w).filter(|&x| image.pixels[4 * (y * w + x) + 3] == 0).count()).sum();
    transparent >= 2 * w / 5
}

/// The key colour: the first of [`PREFERRED_KEYS`] that no pixel of `image` has, else the first
/// colour in increasing `0xRRGGBB` order from `0x000001` that no pixel has. Black is never the
/// key (transparent pixels are black until keyed, and all-zero means "no key" to visioncortex),
/// so the key is never the colour of an opaque pixel, and never random.
fn key_colour(image: &ColorImage) -> Result<Color, String> {
    // One bit per 24-bit colour (2 MiB).
    let mut used = vec![0u64; 1 << 18];
    for px in image.pixels.chunks_exact(4) {
        let c = rgb(px[0], px[1], px[2]);
        used[(c >> 6) as usize] |= 1 << (c & 63);
    }
    let free = |c: &u32| used[(*c >> 6) as usize] & (1 << (*c & 63)) == 0;
    PREFERRED_KEYS
        .iter()
        .map(|&[r, g, b]| rgb(r, g, b))
        .chain(1..1 << 24)
        .find(free)
        .map(|c| Color::new((c >> 16) as u8, (c >> 8) as u8, c as u8))
        .ok_or_else(|| "every colour occurs in the picture: none is left to mark its transparent pixels".to_string())
}

fn rgb(r: u8, g: u8, b: u8) -> u32 {
    (r as u32) << 16 | (g as u32) << 8 | b as u32
}

/// Paints every transparent pixel opaque `key`.
fn paint_transparent(image: &mut ColorImage, key: Color) {
    for px in image.pixels.chunks_exact_mut(4) {
        if px[3] == 0 {
            px.copy_from_slice(&[key.r, key.g, key.b, key.a]);
        }
    }
}

fn radians(degrees: i32) -> f64 {
    degrees as f64 / 180.0 * std::f64::consts::PI
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(w: usize, h: usize, f: impl Fn(usize, usize) -> [u8; 4]) -> ColorImage {
        let f = &f;
        let pixels = (0..h).flat_map(|y| (0..w).flat_map(move |x| f(x, y))).collect();
        ColorImage { pixels, width: w, height: h }
    }

    #[test]
    fn key_is_the_first_free_colour_in_the_fixed_order() {
        let red = [255, 0, 0, 255];
        let img = image(4, 4, |x, _| if x == 0 { [0, 0, 0, 0] } else { [10, 20, 30, 255] });
        assert_eq!(key_colour(&img).unwrap(), Color::new(255, 0, 0));
        let img = image(4, 4, |x, _| if x == 0 { red } else { [0, 255, 0, 255] });
        assert_eq!(key_colour(&img).unwrap(), Color::new(0, 0, 255));
        // All six preferred colours used: the scan from 0x000001 picks the first one missing.
        let img = image(8, 1, |x, _| match x {
            0..6 => {
                let [r, g, b] = PREFERRED_KEYS[x];
                [r, g, b, 255]
            }
            6 => [0, 0, 1, 255],
            _ => [0, 0, 0, 0],
        });
        assert_eq!(key_colour(&img).unwrap(), Color::new(0, 0, 2));
    }

    #[test]
    fn keying_needs_transparency_on_the_sampled_rows() {
        assert!(!needs_key(&image(10, 10, |_, _| [1, 2, 3, 255])));
        // ⌊2·10/5⌋ = 4 transparent pixels on the sampled rows (0, 2, 5, 7, 9) are enough.
        let corner = |n: usize| image(10, 10, move |x, y| if y == 0 && x < n { [0; 4] } else { [1, 2, 3, 255] });
        assert!(!needs_key(&corner(3)));
        assert!(needs_key(&corner(4)));
        // A transparent row that is not sampled does not count.
        assert!(!needs_key(&image(10, 10, |_, y| if y == 1 { [0; 4] } else { [1, 2, 3, 255] })));
        assert!(needs_key(&image(2, 3, |_, _| [1, 2, 3, 255])));
        assert!(!needs_key(&image(0, 3, |_, _| [0; 4])));
    }
}

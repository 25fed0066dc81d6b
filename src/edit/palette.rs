//! The final snap of an edit with a palette: every trained colour becomes its nearest palette
//! colour (squared RGB distance, the first entry on a tie; alpha kept).

use super::optimizer::{Optimized, trains_colours};
use super::preserve::{palette_of, untouched};
use super::request::EditRequest;
use crate::scene::Scene;

/// The palette entry nearest to `rgb`, if the palette has any.
pub fn nearest(rgb: [f32; 3], palette: &[[f32; 3]]) -> Option<[f32; 3]> {
    let d = |p: &[f32; 3]| (0..3).map(|k| (rgb[k] - p[k]).powi(2)).sum::<f32>();
    palette.iter().copied().reduce(|best, p| if d(&p) < d(&best) { p } else { best })
}

/// With `snap` in a run that trains colours (and strength above 0), sets every trainable colour
/// of `result` to its nearest palette colour.
pub fn snap(req: &EditRequest, scene: &Scene, result: &mut Optimized) {
    if !req.snap || !trains_colours(req) || untouched(req) {
        return;
    }
    let palette = palette_of(req);
    for (c, _) in result.colors.iter_mut().zip(&scene.color_trainable).filter(|(_, t)| **t) {
        if let Some(p) = nearest([c[0], c[1], c[2]], &palette) {
            (c[0], c[1], c[2]) = (p[0], p[1], p[2]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_entry_wins_and_the_first_on_a_tie() {
        let pal = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]];
        assert_eq!(nearest([0.6, 0.1, 0.5], &pal), Some([1.0, 0.0, 0.0]));
        assert_eq!(nearest([0.1, 0.3, 0.9], &pal), Some([0.0, 1.0, 0.0]));
        assert_eq!(nearest([0.5, 0.5, 0.0], &pal), Some([1.0, 0.0, 0.0]));
        assert_eq!(nearest([0.5, 0.5, 0.0], &[]), None);
    }
}

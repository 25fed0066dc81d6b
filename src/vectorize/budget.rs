//! The path budget (`max_paths`): a vectorization keeps at most so many paths over all rounds.
//!
//! What goes first: the shapes of the upper rounds that do the least — the smallest gain where
//! the thinning measured it ([`super::select`]: how much closer to the bitmap the shape brings
//! the picture), else the smallest area. An upper round's shapes lie on the rounds below, which
//! were traced to cover the picture on their own, so dropping one shows the coarser colour under
//! it (a loss of detail) and never a hole; the bottom round's shapes go only when the upper
//! rounds have none left, smallest first.

use kurbo::Point;

use super::trace::{Round, TracedPath};

/// The area a path covers, canvas pixels²: the shoelace area of its control polygons (outer
/// outlines and holes wind in opposite directions, so holes subtract). Close to the area of
/// the curves for the short segments the tracer makes; used only to rank paths.
pub fn path_area(path: &TracedPath) -> f64 {
    let signed: f64 = path.subpaths.iter().map(|sp| polygon_area(sp)).sum();
    signed.abs()
}

fn polygon_area(points: &[Point]) -> f64 {
    let n = points.len();
    (0..n).map(|i| points[i].to_vec2().cross(points[(i + 1) % n].to_vec2())).sum::<f64>() / 2.0
}

/// Drops paths until at most `max` remain over all `rounds`: first the shapes of the upper rounds
/// with a measured gain (`gains[k][i]` for path `i` of round `k`, or `gains[k]` empty), least
/// gain first; then the other upper rounds' shapes (detail rounds, or no thinning), smallest
/// first; then the bottom round's, smallest first. Paths keep their order within their round.
/// Returns how many were dropped.
pub fn limit_paths(rounds: &mut [Round], max: usize, gains: &[Vec<f64>]) -> usize {
    let total: usize = rounds.iter().map(|r| r.paths.len()).sum();
    if total <= max {
        return 0;
    }
    // (class, key, round, index): class 0 upper with gains (key: gain), 1 upper without (key:
    // area), 2 the bottom round (key: area); ties keep a fixed order (round, then index) so the
    // same input always drops the same paths.
    let mut ranked: Vec<(u8, f64, usize, usize)> = rounds
        .iter()
        .enumerate()
        .flat_map(|(r, round)| {
            let gains = gains.get(r).filter(|g| g.len() == round.paths.len() && r > 0);
            round.paths.iter().enumerate().map(move |(i, p)| match (r, gains) {
                (0, _) => (2, path_area(p), r, i),
                (_, Some(g)) => (0, g[i], r, i),
                (_, None) => (1, path_area(p), r, i),
            })
        })
        .collect();
    ranked.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)).then(a.2.cmp(&b.2)).then(a.3.cmp(&b.3)));
    let drop = total - max;
    let mut gone: Vec<Vec<bool>> = rounds.iter().map(|r| vec![false; r.paths.len()]).collect();
    for &(_, _, r, i) in &ranked[..drop] {
        gone[r][i] = true;
    }
    for (round, gone) in rounds.iter_mut().zip(gone) {
        let mut flags = gone.into_iter();
        round.paths.retain(|_| !flags.next().unwrap_or(false));
    }
    drop
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vectorize::Precision;

    /// A square path of side `s` at `(x, 0)`, as the tracer writes one (3 points per segment).
    fn square(x: f64, s: f64) -> TracedPath {
        let corners = [(x, 0.0), (x + s, 0.0), (x + s, s), (x, s)];
        let mut pts = Vec::new();
        for k in 0..4 {
            let (a, b) = (corners[k], corners[(k + 1) % 4]);
            pts.push(Point::new(a.0, a.1));
            pts.push(Point::new(a.0 + (b.0 - a.0) / 3.0, a.1 + (b.1 - a.1) / 3.0));
            pts.push(Point::new(a.0 + 2.0 * (b.0 - a.0) / 3.0, a.1 + 2.0 * (b.1 - a.1) / 3.0));
        }
        TracedPath { color: [0, 0, 0], subpaths: vec![pts] }
    }

    fn round(sides: &[f64]) -> Round {
        Round {
            label: "r".into(),
            precision: Precision::preset("fine").unwrap(),
            detail: None,
            paths: sides.iter().enumerate().map(|(i, &s)| square(i as f64 * 100.0, s)).collect(),
        }
    }

    #[test]
    fn area_of_a_square_and_of_a_hole() {
        assert!((path_area(&square(0.0, 10.0)) - 100.0).abs() < 1e-9);
        let mut holed = square(0.0, 10.0);
        let mut hole = square(2.0, 4.0).subpaths.remove(0);
        hole.reverse();
        holed.subpaths.push(hole);
        assert!((path_area(&holed) - 84.0).abs() < 1e-9);
    }

    #[test]
    fn drops_the_smallest_upper_shapes_first_and_keeps_order() {
        let mut rounds = vec![round(&[1.0, 50.0]), round(&[9.0, 2.0, 30.0, 3.0]), round(&[4.0, 8.0])];
        assert_eq!(limit_paths(&mut rounds, 5, &[]), 3);
        let sides = |r: &Round| r.paths.iter().map(|p| path_area(p).sqrt().round() as i64).collect::<Vec<_>>();
        // The bottom round's tiny square stays; 2, 3 and 4 go.
        assert_eq!(sides(&rounds[0]), [1, 50]);
        assert_eq!(sides(&rounds[1]), [9, 30]);
        assert_eq!(sides(&rounds[2]), [8]);
        // Within budget: nothing changes.
        assert_eq!(limit_paths(&mut rounds, 5, &[]), 0);
        // Over the upper rounds' count: the bottom round goes last, smallest first.
        assert_eq!(limit_paths(&mut rounds, 1, &[]), 4);
        assert_eq!(sides(&rounds[0]), [50]);
        assert!(rounds[1].paths.is_empty() && rounds[2].paths.is_empty());
    }

    #[test]
    fn measured_gains_rank_before_area() {
        // Round 1 has gains: its big square did little (gain 1), its small one a lot (gain 50);
        // round 2 has none (ranked by area, after the gains).
        let mut rounds = vec![round(&[60.0]), round(&[40.0, 3.0]), round(&[2.0])];
        let gains = vec![vec![], vec![1.0, 50.0], vec![]];
        assert_eq!(limit_paths(&mut rounds, 3, &gains), 1);
        let sides = |r: &Round| r.paths.iter().map(|p| path_area(p).sqrt().round() as i64).collect::<Vec<_>>();
        assert_eq!(sides(&rounds[1]), [3], "the big low-gain square goes first");
        assert_eq!(sides(&rounds[2]), [2]);
        assert_eq!(limit_paths(&mut rounds, 1, &[vec![], vec![50.0], vec![]]), 2);
        assert_eq!((rounds[0].paths.len(), rounds[1].paths.len(), rounds[2].paths.len()), (1, 0, 0));
    }
}

//! The maths of stage 3, *coverage*, and of stage 7, its backward (run per item by
//! [`crate::cpu::coverage`] and [`crate::cpu::coverage_backward`]): exact area coverage of a
//! pixel row by a layer's lines, and its gradient. WGSL twin: `shaders/geometry.wgsl`.
//!
//! For a closed polygon, the signed area `A(x, y)` that the polygon covers inside pixel
//! `[x, x+1] × [y, y+1]` (winding-weighted) is a sum over its lines. Each line is clipped to the
//! row and split at integer x; a piece in cell `c` with height change `dy` and mean x `x̄`
//! adds `dy·(c + 1 − x̄)` to cell `c` (the part of the cell right of the piece) and `dy` to
//! every cell right of it. With `acc[c] += area`, `acc[c+1] += dy − area`, `A` is the prefix sum
//! of `acc` (as in font-rs and tiny-skia). Parts left of the canvas project onto x = 0 (they
//! cover every pixel right of them, exactly), parts right of it are dropped.
//!
//! Coverage is `min(1, |A|)` for nonzero and the triangle wave `1 − |1 − (|A| mod 2)|` for
//! even-odd; both are exact wherever a pixel's lines do not overlap each other.
//!
//! Backward: with `G = dL/dA` over the row and suffix sums `S[j] = Σ_{x≥j} G[x]`, a piece
//! receives `dL/d area = G[c]` and `dL/d dy = S[c+1]`, and the chain rule through the clipping
//! (every piece end is the line at a known parameter t of a row or column boundary) reaches
//! the line's endpoints exactly.

use clipvg_document::scene::FillRule;

/// Coverage of a pixel from its accumulated signed area.
#[inline]
pub fn coverage(a: f32, rule: FillRule) -> f32 {
    let a = a.abs();
    match rule {
        FillRule::NonZero => a.min(1.0),
        FillRule::EvenOdd => {
            let m = a % 2.0;
            1.0 - (1.0 - m).abs()
        }
    }
}

/// d coverage / d A.
#[inline]
pub fn coverage_grad(a: f32, rule: FillRule) -> f32 {
    let s = if a < 0.0 { -1.0 } else { 1.0 };
    match rule {
        FillRule::NonZero => {
            if a.abs() < 1.0 {
                s
            } else {
                0.0
            }
        }
        FillRule::EvenOdd => {
            if a.abs() % 2.0 < 1.0 {
                s
            } else {
                -s
            }
        }
    }
}

/// Where a piece endpoint sits on its line: `t` and what fixed it (for the Jacobian).
#[derive(Clone, Copy, Debug)]
pub(crate) enum End {
    /// The line's start or end point (t = 0 or 1).
    T0,
    T1,
    /// Crossing of the row boundary y = b.
    RowBound(f32),
    /// Crossing of the column boundary x = k.
    ColBound(f32),
}

/// One piece of a line inside one cell of a row.
#[derive(Clone, Copy, Debug)]
struct Piece {
    cell: i32,
    /// Endpoints; `projected` pieces have x fixed at the left clamp.
    xs: f32,
    ys: f32,
    xe: f32,
    ye: f32,
    start: End,
    end: End,
    projected: bool,
}

/// The part of `line` inside row `row` as `(t_lo, end, t_hi, end)`, or `None`.
///
/// Points on a boundary belong to the row and cell below/right of it (half-open `[r, r+1)`),
/// for every line alike. Then a vertex exactly on a pixel boundary produces zero-length pieces
/// on the same side for both of its lines, and the derivative is consistently the one-sided
/// derivative towards increasing coordinates (the pixel coverage itself is continuous there).
#[inline]
pub(crate) fn row_span(line: [[f32; 2]; 2], row: i32) -> Option<(f32, End, f32, End)> {
    let [[_, y0], [_, y1]] = line;
    let dy = y1 - y0;
    if dy == 0.0 || !dy.is_finite() {
        return None;
    }
    let (f0, f1) = (y0.floor() as i64, y1.floor() as i64);
    let row = row as i64;
    if row < f0.min(f1) || row > f0.max(f1) {
        return None;
    }
    let r = row as f32;
    let down = dy > 0.0;
    let (t_lo, lo) = if f0 == row {
        (0.0, End::T0)
    } else {
        let b = if down { r } else { r + 1.0 };
        (((b - y0) / dy).clamp(0.0, 1.0), End::RowBound(b))
    };
    let (t_hi, hi) = if f1 == row {
        (1.0, End::T1)
    } else {
        let b = if down { r + 1.0 } else { r };
        (((b - y0) / dy).clamp(0.0, 1.0), End::RowBound(b))
    };
    Some((t_lo, lo, t_hi.max(t_lo), hi))
}

/// Splits `line` into the pieces inside row `row` for cells `xl ..= xr` (cell `xr` is a sink
/// whose pieces contribute nothing visible and are skipped). Splits happen at every integer x
/// in the closed x-range of the row part (so an end on a column boundary gets a zero-length
/// piece in the cell right of it, see [`row_span`]). WGSL twin: `piece_walk` / `walk_next` in
/// `shaders/geometry.wgsl`, shared there by stages 3 and 7 as this is here.
#[inline]
fn walk(line: [[f32; 2]; 2], row: i32, xl: i32, xr: i32, mut f: impl FnMut(Piece)) {
    let Some((t_lo, lo, t_hi, hi)) = row_span(line, row) else { return };
    let [[x0, y0], [x1, y1]] = line;
    let (dx, dy) = (x1 - x0, y1 - y0);
    let at = |t: f32, e: End| -> (f32, f32) {
        match e {
            End::T0 => (x0, y0),
            End::T1 => (x1, y1),
            End::RowBound(b) => (x0 + t * dx, b),
            End::ColBound(k) => (k, y0 + t * dy),
        }
    };
    let mut emit = |ts: f32, s: End, te: f32, e: End| {
        let (xs, ys) = at(ts, s);
        let (xe, ye) = at(te, e);
        let xm = 0.5 * (xs + xe);
        if xm >= xr as f32 {
            return;
        }
        if xm < xl as f32 {
            f(Piece { cell: xl, xs: xl as f32, ys, xe: xl as f32, ye, start: s, end: e, projected: true });
        } else {
            f(Piece { cell: (xm.floor() as i32).min(xr - 1), xs, ys, xe, ye, start: s, end: e, projected: false });
        }
    };
    let (xa, _) = at(t_lo, lo);
    let (xb, _) = at(t_hi, hi);
    let (mut t_prev, mut e_prev) = (t_lo, lo);
    if dx != 0.0 {
        // Column boundaries in the closed range [min(xa, xb), max(xa, xb)], clipped to
        // [xl, xr], in t order.
        let kmin = (xa.min(xb).ceil() as i64).max(xl as i64);
        let kmax = (xa.max(xb).floor() as i64).min(xr as i64);
        for i in 0..(kmax - kmin + 1).max(0) {
            let k = if dx > 0.0 { kmin + i } else { kmax - i };
            let t = ((k as f32 - x0) / dx).clamp(t_lo, t_hi);
            let e = End::ColBound(k as f32);
            emit(t_prev, e_prev, t, e);
            t_prev = t;
            e_prev = e;
        }
    }
    emit(t_prev, e_prev, t_hi, hi);
}

/// Accumulates the signed area of `lines` over cells `xl..xr` of row `row` into `acc`
/// (`acc.len() == xr − xl + 1`), then turns `acc` into `A` by a prefix sum.
pub fn accumulate(lines: impl Iterator<Item = [[f32; 2]; 2]>, row: i32, xl: i32, xr: i32, acc: &mut [f32]) {
    debug_assert_eq!(acc.len(), (xr - xl + 1) as usize);
    acc.fill(0.0);
    for line in lines {
        walk(line, row, xl, xr, |p| {
            let dy = p.ye - p.ys;
            let area = dy * (p.cell as f32 + 1.0 - 0.5 * (p.xs + p.xe));
            let i = (p.cell - xl) as usize;
            acc[i] += area;
            acc[i + 1] += dy - area;
        });
    }
    let mut run = 0.0;
    for a in acc.iter_mut() {
        run += *a;
        *a = run;
    }
}

/// d(x, y)/d(x0, y0, x1, y1) of a piece end.
#[inline]
fn end_jacobian(e: End, line: [[f32; 2]; 2], projected: bool) -> ([f32; 4], [f32; 4]) {
    let [[x0, y0], [x1, y1]] = line;
    let (dx, dy) = (x1 - x0, y1 - y0);
    let (jx, jy) = match e {
        End::T0 => ([1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]),
        End::T1 => ([0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]),
        End::RowBound(b) => {
            let t = (b - y0) / dy;
            ([1.0 - t, dx * (t - 1.0) / dy, t, -dx * t / dy], [0.0; 4])
        }
        End::ColBound(k) => {
            let t = (k - x0) / dx;
            ([0.0; 4], [dy * (t - 1.0) / dx, 1.0 - t, -dy * t / dx, t])
        }
    };
    (if projected { [0.0; 4] } else { jx }, jy)
}

/// Backward of [`accumulate`]: `g[x − xl] = dL/dA[x]` for the row's cells `xl..xr`; adds
/// `dL/d(x0, y0, x1, y1)` of each line to `out`. `s` is scratch of length `xr − xl + 1`.
pub fn accumulate_backward(
    lines: impl Iterator<Item = (usize, [[f32; 2]; 2])>,
    row: i32,
    xl: i32,
    xr: i32,
    g: &[f32],
    s: &mut [f32],
    mut out: impl FnMut(usize, [f32; 4]),
) {
    let n = (xr - xl) as usize;
    debug_assert!(g.len() >= n && s.len() == n + 1);
    s[n] = 0.0;
    for i in (0..n).rev() {
        s[i] = s[i + 1] + g[i];
    }
    for (id, line) in lines {
        let mut grad = [0.0f32; 4];
        walk(line, row, xl, xr, |p| {
            let i = (p.cell - xl) as usize;
            let (gc, snext) = (g[i], s[i + 1]);
            let dy = p.ye - p.ys;
            let w = p.cell as f32 + 1.0 - 0.5 * (p.xs + p.xe);
            let g_ys = -w * gc - snext;
            let g_ye = w * gc + snext;
            let g_x = -0.5 * dy * gc;
            let (jxs, jys) = end_jacobian(p.start, line, p.projected);
            let (jxe, jye) = end_jacobian(p.end, line, p.projected);
            for k in 0..4 {
                grad[k] += g_x * (jxs[k] + jxe[k]) + g_ys * jys[k] + g_ye * jye[k];
            }
        });
        out(id, grad);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x: f32, y: f32, s: f32) -> Vec<[[f32; 2]; 2]> {
        let p = [[x, y], [x + s, y], [x + s, y + s], [x, y + s]];
        (0..4).map(|i| [p[i], p[(i + 1) % 4]]).collect()
    }

    fn row_area(lines: &[[[f32; 2]; 2]], row: i32, w: i32) -> Vec<f32> {
        let mut acc = vec![0.0; (w + 1) as usize];
        accumulate(lines.iter().copied(), row, 0, w, &mut acc);
        acc.truncate(w as usize);
        acc
    }

    #[test]
    fn square_coverage_is_exact_area() {
        // Square [0.5, 3.25] × [0.25, 2.0].
        let lines = square(0.5, 0.25, 2.75);
        let a0 = row_area(&lines, 0, 5);
        let expect0 = [0.5 * 0.75, 0.75, 0.75, 0.25 * 0.75, 0.0];
        for (a, e) in a0.iter().zip(expect0) {
            assert!((a.abs() - e).abs() < 1e-6, "{a0:?}");
        }
        let total: f32 = (0..4).map(|r| row_area(&lines, r, 5).iter().map(|a| a.abs()).sum::<f32>()).sum();
        assert!((total - 2.75 * 2.75).abs() < 1e-5);
    }

    #[test]
    fn triangle_total_area_and_left_projection() {
        // Partly left of the canvas: the visible area is what remains right of x = 0.
        let p = [[-3.0f32, 0.0], [3.0, 0.5], [1.0, 4.0]];
        let lines: Vec<_> = (0..3).map(|i| [p[i], p[(i + 1) % 3]]).collect();
        let total: f32 = (0..5).map(|r| row_area(&lines, r, 8).iter().sum::<f32>()).sum();
        // Shoelace of the visible part: polygon clipped at x = 0, computed independently.
        let clipped = clip_left(&p);
        let area = shoelace(&clipped);
        assert!((total.abs() - area.abs()).abs() < 1e-4, "{total} vs {area}");
    }

    fn shoelace(p: &[[f32; 2]]) -> f32 {
        (0..p.len())
            .map(|i| {
                let (a, b) = (p[i], p[(i + 1) % p.len()]);
                a[0] * b[1] - b[0] * a[1]
            })
            .sum::<f32>()
            / 2.0
    }

    /// Sutherland–Hodgman against x ≥ 0.
    fn clip_left(p: &[[f32; 2]]) -> Vec<[f32; 2]> {
        let mut out = Vec::new();
        for i in 0..p.len() {
            let (a, b) = (p[i], p[(i + 1) % p.len()]);
            if a[0] >= 0.0 {
                out.push(a);
            }
            if (a[0] >= 0.0) != (b[0] >= 0.0) {
                let t = -a[0] / (b[0] - a[0]);
                out.push([0.0, a[1] + t * (b[1] - a[1])]);
            }
        }
        out
    }

    #[test]
    fn backward_matches_finite_differences() {
        let p = [[0.7f32, 0.3], [5.2, 1.1], [3.9, 3.6], [1.2, 2.9]];
        let lines: Vec<_> = (0..4).map(|i| [p[i], p[(i + 1) % 4]]).collect();
        let w = 7;
        let weights: Vec<f32> = (0..w * 5).map(|i| ((i * 37 % 11) as f32 - 5.0) / 7.0).collect();
        let loss = |lines: &[[[f32; 2]; 2]]| -> f64 {
            (0..5)
                .map(|r| {
                    row_area(lines, r, w)
                        .iter()
                        .enumerate()
                        .map(|(x, a)| (weights[(r * w) as usize + x] * a) as f64)
                        .sum::<f64>()
                })
                .sum()
        };
        let mut grads = [[0.0f32; 4]; 4];
        let mut s = vec![0.0; (w + 1) as usize];
        for r in 0..5 {
            let g = &weights[(r * w) as usize..((r + 1) * w) as usize];
            accumulate_backward(lines.iter().copied().enumerate(), r, 0, w, g, &mut s, |id, gr| {
                for k in 0..4 {
                    grads[id][k] += gr[k];
                }
            });
        }
        for li in 0..4 {
            for k in 0..4 {
                let h = 1e-2f32;
                let mut a = lines.clone();
                let mut b = lines.clone();
                a[li][k / 2][k % 2] += h;
                b[li][k / 2][k % 2] -= h;
                let fd = (loss(&a) - loss(&b)) / (2.0 * h as f64);
                assert!((fd - grads[li][k] as f64).abs() < 1e-3, "line {li} coord {k}: fd {fd} vs {}", grads[li][k]);
            }
        }
    }

    #[test]
    fn rules() {
        assert_eq!(coverage(-0.5, FillRule::NonZero), 0.5);
        assert_eq!(coverage(2.0, FillRule::NonZero), 1.0);
        assert_eq!(coverage(2.0, FillRule::EvenOdd), 0.0);
        assert!((coverage(1.25, FillRule::EvenOdd) - 0.75).abs() < 1e-6);
        assert_eq!(coverage_grad(1.25, FillRule::EvenOdd), -1.0);
        assert_eq!(coverage_grad(-0.3, FillRule::NonZero), -1.0);
    }
}

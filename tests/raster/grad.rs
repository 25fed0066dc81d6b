//! Gradients against central finite differences of the forward pass, on random scenes: control
//! points, colours (solid and gradient stops), stroke widths; nonzero and even-odd fills;
//! overlapping, partly transparent shapes; every cap and join.
//!
//! Loss `L = Σ w·image` with fixed random weights `w`, so dL/d image = w.

use clipvg::raster::Frame;
use clipvg::scene::{BuildOptions, Scene, Trainable, build};
use clipvg::svg::Document;

const SIZE: u32 = 48;
/// The issue's bar for well-conditioned entries.
const MAX_REL_ERR: f64 = 1e-2;

/// A small deterministic generator (xorshift), so the scenes are the same on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * self.next()
    }
}

fn blob(rng: &mut Rng, cx: f64, cy: f64, r: f64) -> String {
    let n = 4 + (rng.next() * 3.0) as usize;
    let pts: Vec<(f64, f64)> = (0..n)
        .map(|i| {
            let a = i as f64 / n as f64 * std::f64::consts::TAU + rng.range(-0.3, 0.3);
            let rr = r * rng.range(0.6, 1.2);
            (cx + rr * a.cos(), cy + rr * a.sin())
        })
        .collect();
    let mut d = format!("M {:.3} {:.3}", pts[0].0, pts[0].1);
    for i in 0..n {
        let (p, q) = (pts[i], pts[(i + 1) % n]);
        d += &format!(
            " C {:.3} {:.3} {:.3} {:.3} {:.3} {:.3}",
            p.0 + rng.range(-5.0, 5.0),
            p.1 + rng.range(-5.0, 5.0),
            q.0 + rng.range(-5.0, 5.0),
            q.1 + rng.range(-5.0, 5.0),
            q.0,
            q.1
        );
    }
    d + " Z"
}

fn scene_svg(seed: u64) -> String {
    let mut rng = Rng(seed);
    let mut body = String::from(
        r##"<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="0.3"><stop offset="0.1" stop-color="#d04010"/><stop offset="0.9" stop-color="#1040d0" stop-opacity="0.8"/></linearGradient>
           <radialGradient id="r" gradientUnits="userSpaceOnUse" cx="30" cy="20" r="14" fx="26" fy="18"><stop offset="0" stop-color="#ffee00"/><stop offset="1" stop-color="#008800"/></radialGradient></defs>"##,
    );
    let rules = ["nonzero", "evenodd"];
    for i in 0..5 {
        let (cx, cy, r) = (rng.range(10.0, 38.0), rng.range(10.0, 38.0), rng.range(6.0, 14.0));
        let fill = match i {
            3 => "url(#g)".to_string(),
            4 => "url(#r)".to_string(),
            _ => format!(
                "rgb({},{},{})",
                (rng.next() * 255.0) as u8,
                (rng.next() * 255.0) as u8,
                (rng.next() * 255.0) as u8
            ),
        };
        body += &format!(
            r#"<path d="{}" fill="{fill}" fill-opacity="{:.2}" fill-rule="{}"/>"#,
            blob(&mut rng, cx, cy, r),
            rng.range(0.35, 0.9),
            rules[i % 2]
        );
    }
    let caps = ["butt", "round", "square"];
    let joins = ["miter", "round", "bevel"];
    for k in 0..3 {
        let pts: Vec<String> =
            (0..4).map(|_| format!("{:.2},{:.2}", rng.range(6.0, 42.0), rng.range(6.0, 42.0))).collect();
        body += &format!(
            r##"<polyline points="{}" fill="none" stroke="#{:02x}30{:02x}" stroke-opacity="0.8" stroke-width="{:.2}" stroke-linecap="{}" stroke-linejoin="{}" stroke-miterlimit="10"/>"##,
            pts.join(" "),
            (rng.next() * 255.0) as u8,
            (rng.next() * 255.0) as u8,
            rng.range(1.5, 4.0),
            caps[k],
            joins[k]
        );
    }
    body += &format!(
        r##"<path d="{}" fill="none" stroke="#202020" stroke-width="2.3" stroke-linejoin="round" stroke-opacity="0.6"/>"##,
        blob(&mut rng, 24.0, 24.0, 12.0)
    );
    format!(r#"<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}">{body}</svg>"#)
}

struct Case {
    scene: Scene,
    weights: Vec<f32>,
}

impl Case {
    fn new(seed: u64) -> Case {
        let doc = Document::parse(scene_svg(seed)).unwrap();
        let scene = build(&doc, &BuildOptions { trainable: Trainable::All, ..Default::default() }).unwrap().scene;
        let mut rng = Rng(seed ^ 0x9e37_79b9);
        let weights = (0..SIZE * SIZE * 4).map(|_| rng.range(-1.0, 1.0) as f32).collect();
        Case { scene, weights }
    }

    fn frame(&self, s: &Scene) -> Frame {
        Frame::new(s, SIZE, SIZE, [1.0, 1.0, 1.0, 1.0]).unwrap()
    }

    fn loss(&self, s: &Scene) -> Option<(f64, usize)> {
        let f = self.frame(s);
        let img = f.render_cpu(s);
        let l = img.data.iter().zip(&self.weights).map(|(a, w)| (*a as f64) * (*w as f64)).sum();
        // The piecewise-constant structure (flattening counts, outline topology) must not
        // change inside a finite difference.
        Some((l, f.prepared.lines.len() * 1_000_003 + f.prepared.derived.len()))
    }

    /// Central difference of a parameter set by `set(scene, delta)`; `None` when the scene's
    /// structure changes within ±h (a kink, not a derivative).
    fn fd(&self, h: f64, set: impl Fn(&mut Scene, f32)) -> Option<f64> {
        let (mut a, mut b) = (self.scene.clone(), self.scene.clone());
        set(&mut a, h as f32);
        set(&mut b, -h as f32);
        let (la, sa) = self.loss(&a)?;
        let (lb, sb) = self.loss(&b)?;
        let (_, s0) = self.loss(&self.scene)?;
        (sa == s0 && sb == s0).then(|| (la - lb) / (2.0 * h))
    }
}

/// Compares analytic and numeric derivatives; returns (checked, well-conditioned) counts.
///
/// Entries smaller than `floor · scale` are left out as ill-conditioned: their difference
/// quotients are dominated by the f32 rounding of the renders.
fn compare(name: &str, analytic: &[f64], numeric: &[Option<(f64, f64)>], scale: f64, floor: f64) -> (usize, usize) {
    let mut good = 0;
    for (i, (a, n)) in analytic.iter().zip(numeric).enumerate() {
        let Some((n1, n2)) = n else { continue };
        if n1.abs().max(n2.abs()) < floor * scale {
            continue;
        }
        // Well-conditioned: the difference quotient is stable when h halves (no kink inside
        // ±h). Richardson extrapolation then removes the O(h²) term of central differences.
        if (n1 - n2).abs() > 0.02 * n1.abs().max(n2.abs()).max(1e-3 * scale) {
            continue;
        }
        good += 1;
        let n = n2 + (n2 - n1) / 3.0;
        let err = (a - n).abs() / n.abs().max(1e-2 * scale);
        assert!(err <= MAX_REL_ERR, "{name}[{i}]: analytic {a:.6e} vs numeric {n:.6e} (rel err {err:.2e})");
    }
    (analytic.len(), good)
}

fn check_case(seed: u64) {
    let case = Case::new(seed);
    let s = &case.scene;
    let frame = case.frame(s);
    let g = frame.backward_cpu(s, &case.weights).unwrap();

    // Points: every 3rd coordinate, to keep the test fast.
    let idx: Vec<(usize, usize)> = (0..s.points.len()).step_by(3).flat_map(|i| [(i, 0), (i, 1)]).collect();
    let analytic: Vec<f64> = idx.iter().map(|&(i, c)| g.points[i][c] as f64).collect();
    let numeric: Vec<Option<(f64, f64)>> = idx
        .iter()
        .map(|&(i, c)| {
            let set = |sc: &mut Scene, d: f32| sc.points[i][c] += d;
            Some((case.fd(1e-2, set)?, case.fd(5e-3, set)?))
        })
        .collect();
    let scale = analytic.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let (n, good) = compare("points", &analytic, &numeric, scale, 1e-3);
    assert!(good * 10 >= n * 7, "only {good}/{n} point entries well-conditioned");

    // Colours (solid and gradient stops).
    let cidx: Vec<(usize, usize)> = (0..s.colors.len()).flat_map(|i| (0..4).map(move |k| (i, k))).collect();
    let analytic: Vec<f64> = cidx.iter().map(|&(i, k)| g.colors[i][k] as f64).collect();
    let numeric: Vec<Option<(f64, f64)>> = cidx
        .iter()
        .map(|&(i, k)| {
            let set = |sc: &mut Scene, d: f32| sc.colors[i][k] += d;
            Some((case.fd(2e-3, set)?, case.fd(1e-3, set)?))
        })
        .collect();
    let scale = analytic.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let (n, good) = compare("colors", &analytic, &numeric, scale, 1e-3);
    assert!(good * 10 >= n * 9, "only {good}/{n} colour entries well-conditioned");

    // Stroke widths.
    let analytic: Vec<f64> = g.stroke_widths.iter().map(|v| *v as f64).collect();
    let numeric: Vec<Option<(f64, f64)>> = (0..s.stroke_widths.len())
        .map(|i| {
            let set = |sc: &mut Scene, d: f32| sc.stroke_widths[i] += d;
            Some((case.fd(1e-2, set)?, case.fd(5e-3, set)?))
        })
        .collect();
    let scale = analytic.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let (n, good) = compare("stroke widths", &analytic, &numeric, scale, 5e-2);
    // Widths move miter tips and arc step counts: fewer are smooth within ±h.
    assert!(good * 2 >= n, "only {good}/{n} stroke widths well-conditioned");
}

#[test]
fn gradients_match_finite_differences_seed_1() {
    check_case(0x1234_5678);
}

#[test]
fn gradients_match_finite_differences_seed_2() {
    check_case(0xdead_beef_cafe);
}

#[test]
fn transparent_background_gradients() {
    // Straight-alpha output over a transparent background divides by alpha: check it too.
    let case = Case::new(77);
    let s = &case.scene;
    let f = Frame::new(s, SIZE, SIZE, [0.0; 4]).unwrap();
    let g = f.backward_cpu(s, &case.weights).unwrap();
    let loss = |sc: &Scene| -> f64 {
        let img = Frame::new(sc, SIZE, SIZE, [0.0; 4]).unwrap().render_cpu(sc);
        img.data.iter().zip(&case.weights).map(|(a, w)| (*a as f64) * (*w as f64)).sum()
    };
    let mut checked = 0;
    for i in 0..s.colors.len() {
        for k in 0..4 {
            let (mut a, mut b) = (s.clone(), s.clone());
            a.colors[i][k] += 1e-3;
            b.colors[i][k] -= 1e-3;
            let fd = (loss(&a) - loss(&b)) / 2e-3;
            let an = g.colors[i][k] as f64;
            if fd.abs() > 1e-2 {
                checked += 1;
                assert!((fd - an).abs() / fd.abs() < 2e-2, "colour {i}.{k}: {an} vs {fd}");
            }
        }
    }
    assert!(checked > 10);
}

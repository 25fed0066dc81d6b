//! Scene parameters ↔ flat arrays and tensors: the one place that packs a scene's control
//! points, colours and stroke widths into what the raster op ([`super::op`]) consumes, and
//! unpacks tensors and gradients back into rows.
//!
//! Layout: points `[P', 2]`, colours `[C', 4]`, stroke widths `[W']`, row-major, each padded with
//! zeros to at least one row ([`padded_lengths`]) because empty tensors are not portable across
//! backends. Unpacking drops the padding.

use burn::tensor::{Device, Tensor, TensorData};
use clipvg_document::scene::Scene;

use crate::SceneGrad;

/// Number of rows each input tensor has for a scene (at least one, as empty tensors are not
/// portable across backends).
pub fn padded_lengths(scene: &Scene) -> [usize; 3] {
    [scene.points.len().max(1), scene.colors.len().max(1), scene.stroke_widths.len().max(1)]
}

/// Rows of `N` values as one flat vector, zero-padded to `rows` rows.
pub fn flatten_rows<const N: usize>(values: &[[f32; N]], rows: usize) -> Vec<f32> {
    let mut flat: Vec<f32> = values.iter().flatten().copied().collect();
    flat.resize(rows * N, 0.0);
    flat
}

/// The first `rows` rows of `N` values of a flat vector (a shorter vector gives fewer rows).
pub fn unflatten_rows<const N: usize>(flat: &[f32], rows: usize) -> Vec<[f32; N]> {
    flat.chunks_exact(N).take(rows).map(|c| std::array::from_fn(|k| c[k])).collect()
}

/// Values zero-padded to `len`.
fn padded(values: &[f32], len: usize) -> Vec<f32> {
    let mut v = values.to_vec();
    v.resize(len, 0.0);
    v
}

/// The control points as a `[P', 2]` tensor on `device`.
pub fn points_tensor(scene: &Scene, device: &Device) -> Tensor<2> {
    let [np, ..] = padded_lengths(scene);
    Tensor::from_data(TensorData::new(flatten_rows(&scene.points, np), [np, 2]), device)
}

/// The colours as a `[C', 4]` tensor on `device`.
pub fn colors_tensor(scene: &Scene, device: &Device) -> Tensor<2> {
    let [_, nc, _] = padded_lengths(scene);
    Tensor::from_data(TensorData::new(flatten_rows(&scene.colors, nc), [nc, 4]), device)
}

/// The stroke widths as a `[W']` tensor on `device`.
pub fn widths_tensor(scene: &Scene, device: &Device) -> Tensor<1> {
    let [.., nw] = padded_lengths(scene);
    Tensor::from_data(TensorData::new(padded(&scene.stroke_widths, nw), [nw]), device)
}

/// The scene's parameters as tensors on `device` (padded, see [`padded_lengths`]).
pub fn scene_tensors(scene: &Scene, device: &Device) -> (Tensor<2>, Tensor<2>, Tensor<1>) {
    (points_tensor(scene, device), colors_tensor(scene, device), widths_tensor(scene, device))
}

/// A tensor's values on the host, as `f32` (empty if they cannot be read as such).
pub fn host_values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_into_vec::<f32>().unwrap_or_default()
}

/// The first `rows` points of a `[P', 2]` tensor.
pub fn points_of(t: Tensor<2>, rows: usize) -> Vec<[f32; 2]> {
    unflatten_rows(&host_values(t), rows)
}

/// The first `rows` colours of a `[C', 4]` tensor.
pub fn colors_of(t: Tensor<2>, rows: usize) -> Vec<[f32; 4]> {
    unflatten_rows(&host_values(t), rows)
}

/// A scene with new points and colours (same lengths as the scene's own).
pub fn with_params(scene: &Scene, points: &[[f32; 2]], colors: &[[f32; 4]]) -> Scene {
    let mut s = scene.clone();
    s.points.copy_from_slice(points);
    s.colors.copy_from_slice(colors);
    s
}

/// A scene with its parameters replaced by flat (possibly padded) host values.
pub fn with_flat_params(scene: &Scene, points: &[f32], colors: &[f32], widths: &[f32]) -> Scene {
    let mut s = scene.clone();
    s.points = unflatten_rows(points, scene.points.len());
    s.colors = unflatten_rows(colors, scene.colors.len());
    s.stroke_widths = widths[..scene.stroke_widths.len()].to_vec();
    s
}

/// Gradients as flat, padded vectors with their tensor shapes, in the order points, colours,
/// stroke widths; `lengths` from [`padded_lengths`].
pub fn flat_gradients(g: SceneGrad, lengths: [usize; 3]) -> [(Vec<f32>, Vec<usize>); 3] {
    let [np, nc, nw] = lengths;
    [
        (flatten_rows(&g.points, np), vec![np, 2]),
        (flatten_rows(&g.colors, nc), vec![nc, 4]),
        (padded(&g.stroke_widths, nw), vec![nw]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_with_padding() {
        let rows = [[1.0f32, 2.0], [3.0, 4.0]];
        let flat = flatten_rows(&rows, 3);
        assert_eq!(flat, [1.0, 2.0, 3.0, 4.0, 0.0, 0.0]);
        assert_eq!(unflatten_rows::<2>(&flat, 2), rows);
        assert_eq!(unflatten_rows::<4>(&[1.0, 2.0, 3.0], 1), Vec::<[f32; 4]>::new());
    }

    #[test]
    fn flat_params_replace_every_array() {
        let s = Scene {
            points: vec![[0.0, 0.0]; 2],
            colors: vec![[0.0; 4]],
            stroke_widths: vec![1.0],
            ..Default::default()
        };
        let t = with_flat_params(&s, &[1.0, 2.0, 3.0, 4.0], &[0.1, 0.2, 0.3, 0.4], &[5.0, 0.0]);
        assert_eq!(t.points, [[1.0, 2.0], [3.0, 4.0]]);
        assert_eq!(t.colors, [[0.1, 0.2, 0.3, 0.4]]);
        assert_eq!(t.stroke_widths, [5.0]);
        let g = SceneGrad { points: vec![[1.0, 1.0]], colors: vec![], stroke_widths: vec![2.0] };
        let [p, c, w] = flat_gradients(g, [2, 1, 1]);
        assert_eq!(p, (vec![1.0, 1.0, 0.0, 0.0], vec![2, 2]));
        assert_eq!(c, (vec![0.0; 4], vec![1, 4]));
        assert_eq!(w, (vec![2.0], vec![1]));
    }
}

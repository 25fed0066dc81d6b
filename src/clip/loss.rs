//! The directional CLIP loss of CLIPVG (after StyleGAN-NADA, Gal et al. 2021):
//!
//! `L = 1 − cos(n(E_I(x)) − n(E_I(x₀)), n(E_T(t)) − n(E_T(t₀)))`, with `n(v) = v / ‖v‖`,
//! averaged over the batch. `x` is the edited image, `x₀` the source, `t` the target prompt and
//! `t₀` the reference prompt ("photo"). Embeddings are the projected, unnormalised outputs of
//! [`super::Clip::encode_image`] / [`super::Clip::encode_text`].

use burn::tensor::Tensor;

/// `torch.cosine_similarity`'s default `eps`: the product of the norms is clamped to it.
const COSINE_EPS: f64 = 1e-8;

/// Rows divided by their L2 norm: `[batch, dim]` → `[batch, dim]`.
pub fn l2_normalize(x: Tensor<2>) -> Tensor<2> {
    let norm = x.clone().powi_scalar(2).sum_dim(1).sqrt();
    x / norm
}

/// Row-wise cosine similarity `a·b / max(‖a‖‖b‖, 1e-8)` of `[batch, dim]` tensors (either may
/// have one row, broadcast against the other) → `[batch]`.
pub fn cosine_similarity(a: Tensor<2>, b: Tensor<2>) -> Tensor<1> {
    let dot = (a.clone() * b.clone()).sum_dim(1);
    let na = a.powi_scalar(2).sum_dim(1);
    let nb = b.powi_scalar(2).sum_dim(1);
    let denom = (na * nb).sqrt().clamp_min(COSINE_EPS);
    (dot / denom).flatten(0, 1)
}

/// The directional loss, a `[1]` tensor: the mean over the batch of
/// `1 − cos(n(img) − n(img0), n(txt) − n(txt0))`.
///
/// Shapes: `img` `[batch, dim]`; `img0`, `txt`, `txt0` `[batch, dim]` or `[1, dim]`.
pub fn directional_loss(img: Tensor<2>, img0: Tensor<2>, txt: Tensor<2>, txt0: Tensor<2>) -> Tensor<1> {
    directional_terms(img, img0, txt, txt0).mean()
}

/// The directional loss of every row, `[batch]`: `1 − cos(n(img) − n(img0), n(txt) − n(txt0))`
/// (same shapes as [`directional_loss`], which is their mean).
pub fn directional_terms(img: Tensor<2>, img0: Tensor<2>, txt: Tensor<2>, txt0: Tensor<2>) -> Tensor<1> {
    let image_direction = l2_normalize(img) - l2_normalize(img0);
    let text_direction = l2_normalize(txt) - l2_normalize(txt0);
    cosine_similarity(image_direction, text_direction).neg() + 1.0
}

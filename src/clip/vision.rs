//! The vision tower (`vision_model.*`): a ViT. Patch embedding (a bias-free convolution with
//! stride = kernel = patch), a class token, learned positions, `pre_layrnorm` (sic, the
//! checkpoint's spelling), the encoder without mask, and `post_layernorm` on the class token.
//!
//! Input: normalised pixels `[batch, channels, S, S]` (S = `image_size`).
//! Output: the pooled class token `[batch, vision hidden]`; [`super::Clip::encode_image`]
//! projects it.

use burn::module::{Module, Param};
use burn::nn::conv::Conv2d;
use burn::nn::{Embedding, LayerNorm};
use burn::tensor::Tensor;

use super::ClipError;
use super::config::ClipVisionConfig;
use super::layers::{ClipEncoder, EncoderShape};
use super::load::{ParamSource, frozen};

/// `vision_model.embeddings`.
#[derive(Module, Debug)]
pub struct ClipVisionEmbeddings {
    pub class_embedding: Param<Tensor<1>>,
    pub patch_embedding: Conv2d,
    pub position_embedding: Embedding,
}

impl ClipVisionEmbeddings {
    /// `[batch, c, S, S]` → `[batch, 1 + (S/P)², hidden]`.
    ///
    /// The patches do not overlap (stride = kernel = P), so the convolution is computed as one
    /// matmul of the unfolded patches `[batch, grid², c·P·P]` with the kernel `[c·P·P, hidden]`;
    /// its gradient with respect to the pixels is then a matmul and a reshape as well.
    pub fn forward(&self, pixels: Tensor<4>) -> Tensor<3> {
        let [batch, channels, height, width] = pixels.dims();
        let weight = self.patch_embedding.weight.val();
        let [hidden, _, patch, _] = weight.dims();
        let (gh, gw) = (height / patch, width / patch);
        let k = channels * patch * patch;
        let patches = pixels
            .reshape([batch, channels, gh, patch, gw, patch])
            .permute([0, 2, 4, 1, 3, 5])
            .reshape([batch * gh * gw, k]);
        let kernel = weight.reshape([hidden, k]).transpose();
        let patches = patches.matmul(kernel).reshape([batch, gh * gw, hidden]);
        let class = self.class_embedding.val().reshape([1, 1, hidden]).expand([batch, 1, hidden]);
        let tokens = Tensor::cat(vec![class, patches], 1);
        tokens + self.position_embedding.weight.val().unsqueeze::<3>()
    }
}

/// `vision_model`.
#[derive(Module, Debug)]
pub struct ClipVisionTransformer {
    pub embeddings: ClipVisionEmbeddings,
    pub pre_layrnorm: LayerNorm,
    pub encoder: ClipEncoder,
    pub post_layernorm: LayerNorm,
}

impl ClipVisionTransformer {
    pub(crate) fn build(src: &impl ParamSource, c: &ClipVisionConfig) -> Result<Self, ClipError> {
        let p = "vision_model";
        let hidden = c.hidden_size;
        let shape = EncoderShape {
            hidden,
            intermediate: c.intermediate_size,
            layers: c.num_hidden_layers,
            heads: c.num_attention_heads,
            act: c.hidden_act,
            eps: c.layer_norm_eps,
        };
        Ok(Self {
            embeddings: ClipVisionEmbeddings {
                class_embedding: frozen(src.tensor(&format!("{p}.embeddings.class_embedding"), [hidden])?),
                patch_embedding: src.patch_conv(
                    &format!("{p}.embeddings.patch_embedding"),
                    c.num_channels,
                    hidden,
                    c.patch_size,
                )?,
                position_embedding: src.embedding(
                    &format!("{p}.embeddings.position_embedding"),
                    c.num_positions(),
                    hidden,
                )?,
            },
            pre_layrnorm: src.layer_norm(&format!("{p}.pre_layrnorm"), hidden, c.layer_norm_eps)?,
            encoder: ClipEncoder::build(src, &format!("{p}.encoder"), shape)?,
            post_layernorm: src.layer_norm(&format!("{p}.post_layernorm"), hidden, c.layer_norm_eps)?,
        })
    }

    /// Normalised pixels `[batch, c, S, S]` → pooled class token `[batch, hidden]`.
    pub fn forward(&self, pixels: Tensor<4>) -> Tensor<2> {
        let h = self.embeddings.forward(pixels);
        let h = self.pre_layrnorm.forward(h);
        let h = self.encoder.forward(h, false);
        let [batch, _, hidden] = h.dims();
        let class = h.slice([0..batch, 0..1]).reshape([batch, hidden]);
        self.post_layernorm.forward(class)
    }
}

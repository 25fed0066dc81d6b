//! The transformer shared by both towers: multi-head self-attention, the MLP and the pre-LN
//! encoder (`encoder.layers.{i}.*` in the checkpoint).
//!
//! Each layer is `h += attn(LN1(h)); h += mlp(LN2(h))`, with `q` scaled by `head_dim^-1/2`
//! (HF `CLIPAttention`, OpenAI `ResidualAttentionBlock`).

use burn::module::Module;
use burn::nn::{LayerNorm, Linear};
use burn::tensor::Tensor;
use burn::tensor::activation::{gelu, gelu_approximate, sigmoid};
use burn::tensor::module::attention;
use burn::tensor::ops::AttentionModuleOptions;

use super::ClipError;
use super::config::Activation;
use super::load::ParamSource;

/// Applies the configured non-linearity.
pub fn activate<const D: usize>(x: Tensor<D>, act: Activation) -> Tensor<D> {
    match act {
        // OpenAI's approximation: x · sigmoid(1.702 x).
        Activation::QuickGelu => x.clone() * sigmoid(x * 1.702),
        Activation::Gelu => gelu(x),
        Activation::GeluTanh => gelu_approximate(x),
    }
}

/// Multi-head self-attention (`self_attn`).
#[derive(Module, Debug)]
pub struct ClipAttention {
    pub q_proj: Linear,
    pub k_proj: Linear,
    pub v_proj: Linear,
    pub out_proj: Linear,
    num_heads: usize,
}

impl ClipAttention {
    pub(crate) fn build(
        src: &impl ParamSource,
        prefix: &str,
        hidden: usize,
        num_heads: usize,
    ) -> Result<Self, ClipError> {
        let proj = |name: &str| src.linear(&format!("{prefix}.{name}"), hidden, hidden, true);
        Ok(Self {
            q_proj: proj("q_proj")?,
            k_proj: proj("k_proj")?,
            v_proj: proj("v_proj")?,
            out_proj: proj("out_proj")?,
            num_heads,
        })
    }

    /// `x`: `[batch, seq, hidden]` → `[batch, seq, hidden]`. `causal` masks future positions
    /// (the text tower).
    pub fn forward(&self, x: Tensor<3>, causal: bool) -> Tensor<3> {
        let [batch, seq, hidden] = x.dims();
        let head_dim = hidden / self.num_heads;
        let heads = |t: Tensor<3>| t.reshape([batch, seq, self.num_heads, head_dim]).swap_dims(1, 2);
        let q = heads(self.q_proj.forward(x.clone()));
        let k = heads(self.k_proj.forward(x.clone()));
        let v = heads(self.v_proj.forward(x));
        // softmax(q kᵀ / sqrt(head_dim) + causal mask) v; the scale defaults to head_dim^-1/2.
        let options = AttentionModuleOptions { scale: None, softcap: None, is_causal: causal };
        let out = attention(q, k, v, None, None, options);
        self.out_proj.forward(out.swap_dims(1, 2).reshape([batch, seq, hidden]))
    }
}

/// `mlp`: `fc2(act(fc1(x)))`.
#[derive(Module, Debug)]
pub struct ClipMlp {
    pub fc1: Linear,
    pub fc2: Linear,
    #[module(skip)]
    act: Activation,
}

impl ClipMlp {
    pub(crate) fn build(
        src: &impl ParamSource,
        prefix: &str,
        hidden: usize,
        intermediate: usize,
        act: Activation,
    ) -> Result<Self, ClipError> {
        Ok(Self {
            fc1: src.linear(&format!("{prefix}.fc1"), hidden, intermediate, true)?,
            fc2: src.linear(&format!("{prefix}.fc2"), intermediate, hidden, true)?,
            act,
        })
    }

    /// `[batch, seq, hidden]` → `[batch, seq, hidden]`.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        self.fc2.forward(activate(self.fc1.forward(x), self.act))
    }
}

/// One pre-LN transformer block (`encoder.layers.{i}`).
#[derive(Module, Debug)]
pub struct ClipEncoderLayer {
    pub self_attn: ClipAttention,
    pub layer_norm1: LayerNorm,
    pub mlp: ClipMlp,
    pub layer_norm2: LayerNorm,
}

impl ClipEncoderLayer {
    /// `[batch, seq, hidden]` → `[batch, seq, hidden]`.
    pub fn forward(&self, h: Tensor<3>, causal: bool) -> Tensor<3> {
        let h = h.clone() + self.self_attn.forward(self.layer_norm1.forward(h), causal);
        h.clone() + self.mlp.forward(self.layer_norm2.forward(h))
    }
}

/// Shapes of one encoder, as the config gives them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EncoderShape {
    pub hidden: usize,
    pub intermediate: usize,
    pub layers: usize,
    pub heads: usize,
    pub act: Activation,
    pub eps: f64,
}

/// The layer stack (`encoder`).
#[derive(Module, Debug)]
pub struct ClipEncoder {
    pub layers: Vec<ClipEncoderLayer>,
}

impl ClipEncoder {
    pub(crate) fn build(src: &impl ParamSource, prefix: &str, s: EncoderShape) -> Result<Self, ClipError> {
        let layers = (0..s.layers)
            .map(|i| {
                let p = format!("{prefix}.layers.{i}");
                Ok(ClipEncoderLayer {
                    self_attn: ClipAttention::build(src, &format!("{p}.self_attn"), s.hidden, s.heads)?,
                    layer_norm1: src.layer_norm(&format!("{p}.layer_norm1"), s.hidden, s.eps)?,
                    mlp: ClipMlp::build(src, &format!("{p}.mlp"), s.hidden, s.intermediate, s.act)?,
                    layer_norm2: src.layer_norm(&format!("{p}.layer_norm2"), s.hidden, s.eps)?,
                })
            })
            .collect::<Result<Vec<_>, ClipError>>()?;
        Ok(Self { layers })
    }

    /// `[batch, seq, hidden]` → `[batch, seq, hidden]`.
    pub fn forward(&self, mut h: Tensor<3>, causal: bool) -> Tensor<3> {
        for layer in &self.layers {
            h = layer.forward(h, causal);
        }
        h
    }
}

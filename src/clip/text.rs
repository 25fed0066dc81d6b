//! The text tower (`text_model.*`): token + position embeddings, a causal pre-LN transformer,
//! the final layer norm, and the hidden state at the EOS position.
//!
//! Input: token ids `[batch, seq]` (seq ≤ `max_position_embeddings`, 77 from the tokenizer).
//! Output: the pooled hidden state `[batch, text hidden]`; [`super::Clip::encode_text`] projects it.

use burn::module::Module;
use burn::nn::{Embedding, LayerNorm};
use burn::tensor::{Int, Tensor, TensorData};

use super::ClipError;
use super::config::{ClipTextConfig, EosPooling};
use super::layers::{ClipEncoder, EncoderShape};
use super::load::ParamSource;

/// `text_model.embeddings`.
#[derive(Module, Debug)]
pub struct ClipTextEmbeddings {
    pub token_embedding: Embedding,
    pub position_embedding: Embedding,
}

impl ClipTextEmbeddings {
    /// `[batch, seq]` ids → `[batch, seq, hidden]`: token embedding plus position embedding.
    pub fn forward(&self, ids: Tensor<2, Int>) -> Tensor<3> {
        let [_, seq] = ids.dims();
        let positions = self.position_embedding.weight.val().slice([0..seq]);
        self.token_embedding.forward(ids) + positions.unsqueeze::<3>()
    }
}

/// `text_model`.
#[derive(Module, Debug)]
pub struct ClipTextTransformer {
    pub embeddings: ClipTextEmbeddings,
    pub encoder: ClipEncoder,
    pub final_layer_norm: LayerNorm,
    #[module(skip)]
    pooling: EosPooling,
    #[module(skip)]
    vocab_size: usize,
    #[module(skip)]
    max_positions: usize,
}

impl ClipTextTransformer {
    pub(crate) fn build(src: &impl ParamSource, c: &ClipTextConfig) -> Result<Self, ClipError> {
        let p = "text_model";
        let shape = EncoderShape {
            hidden: c.hidden_size,
            intermediate: c.intermediate_size,
            layers: c.num_hidden_layers,
            heads: c.num_attention_heads,
            act: c.hidden_act,
            eps: c.layer_norm_eps,
        };
        Ok(Self {
            embeddings: ClipTextEmbeddings {
                token_embedding: src.embedding(
                    &format!("{p}.embeddings.token_embedding"),
                    c.vocab_size,
                    c.hidden_size,
                )?,
                position_embedding: src.embedding(
                    &format!("{p}.embeddings.position_embedding"),
                    c.max_position_embeddings,
                    c.hidden_size,
                )?,
            },
            encoder: ClipEncoder::build(src, &format!("{p}.encoder"), shape)?,
            final_layer_norm: src.layer_norm(&format!("{p}.final_layer_norm"), c.hidden_size, c.layer_norm_eps)?,
            pooling: c.eos_pooling(),
            vocab_size: c.vocab_size,
            max_positions: c.max_position_embeddings,
        })
    }

    /// Checks ids before they reach the embedding lookup (which would index out of bounds) and
    /// returns, per row, the position the pooled output is read at.
    pub fn pooling_positions(&self, ids: &[i64], seq: usize) -> Result<Vec<usize>, ClipError> {
        if seq == 0 || seq > self.max_positions {
            return Err(ClipError::InvalidTokens {
                message: format!(
                    "sequence length {seq} is outside 1..={} (max_position_embeddings)",
                    self.max_positions
                ),
            });
        }
        if let Some(bad) = ids.iter().find(|&&id| id < 0 || id as usize >= self.vocab_size) {
            return Err(ClipError::InvalidTokens {
                message: format!("id {bad} is outside the vocabulary 0..{}", self.vocab_size),
            });
        }
        Ok(ids
            .chunks(seq)
            .map(|row| match self.pooling {
                // torch.argmax returns the first maximal position.
                EosPooling::ArgmaxId => {
                    let max = row.iter().copied().max().unwrap_or(0);
                    row.iter().position(|&id| id == max).unwrap_or(0)
                }
                // transformers: (ids == eos).int().argmax(-1), i.e. 0 when there is no EOS.
                EosPooling::FirstToken(eos) => row.iter().position(|&id| id == eos).unwrap_or(0),
            })
            .collect())
    }

    /// `[batch, seq]` ids → pooled `[batch, hidden]` (after `final_layer_norm`, at the EOS
    /// position of each row). `positions` come from [`Self::pooling_positions`].
    pub fn forward(&self, ids: Tensor<2, Int>, positions: &[usize]) -> Tensor<2> {
        let [batch, seq] = ids.dims();
        let device = ids.device();
        let h = self.embeddings.forward(ids);
        let h = self.encoder.forward(h, true);
        let h = self.final_layer_norm.forward(h);
        let [_, _, hidden] = h.dims();
        let rows: Vec<i64> = positions.iter().enumerate().map(|(b, &p)| (b * seq + p) as i64).collect();
        let rows = Tensor::<1, Int>::from_data(TensorData::new(rows, [batch]), &device);
        h.reshape([batch * seq, hidden]).select(0, rows)
    }
}

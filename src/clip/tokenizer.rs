//! CLIP's byte-level BPE tokenizer, run by the `tokenizers` crate on a HuggingFace
//! `tokenizer.json`, with HF's framing: `[BOS] + ids[..75] + [EOS]`, padded with EOS to 77
//! (`CLIPTokenizer(s, padding="max_length", max_length=77, truncation=True)`).
//!
//! A copy of CLIP's `tokenizer.json` is embedded ([`ClipTokenizer::default_clip`]) for model
//! folders that have none.

use std::path::Path;

use burn::tensor::{Device, Int, Tensor, TensorData};

use super::{ClipError, TOKENIZER_FILE};

/// Token positions per prompt, BOS and EOS included.
pub const CONTEXT_LENGTH: usize = 77;

/// CLIP's vocabulary and merges (OpenAI, MIT licence) as a HuggingFace fast tokenizer.
static DEFAULT_TOKENIZER_JSON: &[u8] = include_bytes!("../../weights/tokenizer.json");

const BOS_TOKEN: &str = "<|startoftext|>";
const EOS_TOKEN: &str = "<|endoftext|>";

/// One encoded prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoding {
    /// `[BOS] + tokens[..75] + [EOS]`, then EOS padding.
    pub ids: [u32; CONTEXT_LENGTH],
    /// Number of text tokens before truncation (BOS/EOS excluded).
    pub num_tokens: usize,
}

impl Encoding {
    /// Whether the prompt lost tokens to the 77-token context.
    pub fn is_truncated(&self) -> bool {
        self.num_tokens > CONTEXT_LENGTH - 2
    }
}

/// The CLIP tokenizer.
pub struct ClipTokenizer {
    inner: tokenizers::Tokenizer,
    bos: u32,
    eos: u32,
}

impl std::fmt::Debug for ClipTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClipTokenizer").field("bos", &self.bos).field("eos", &self.eos).finish_non_exhaustive()
    }
}

impl ClipTokenizer {
    /// Loads a `tokenizer.json`.
    pub fn load(path: &Path) -> Result<Self, ClipError> {
        let bytes = std::fs::read(path).map_err(|e| ClipError::io(path, e))?;
        Self::from_bytes(&bytes, &path.display().to_string())
    }

    /// The embedded CLIP tokenizer (the one every OpenAI CLIP checkpoint uses).
    pub fn default_clip() -> Result<Self, ClipError> {
        Self::from_bytes(DEFAULT_TOKENIZER_JSON, "(embedded CLIP tokenizer.json)")
    }

    /// The tokenizer of a model folder: its `tokenizer.json`, or the embedded one if it has none.
    pub fn for_model(dir: &Path) -> Result<Self, ClipError> {
        let path = dir.join(TOKENIZER_FILE);
        if path.is_file() { Self::load(&path) } else { Self::default_clip() }
    }

    /// Parses `tokenizer.json` content; `source_name` names it in errors.
    pub fn from_bytes(bytes: &[u8], source_name: &str) -> Result<Self, ClipError> {
        let err = |message: String| ClipError::Tokenizer { source_name: source_name.to_string(), message };
        if std::str::from_utf8(bytes).is_err() {
            return Err(err("not UTF-8 text, so not a tokenizer.json".into()));
        }
        let inner = tokenizers::Tokenizer::from_bytes(bytes)
            .map_err(|e| err(format!("not a HuggingFace tokenizer.json: {e}")))?;
        let special = |token: &str| {
            inner.token_to_id(token).ok_or_else(|| err(format!("has no `{token}` token; is it a CLIP tokenizer?")))
        };
        Ok(Self { bos: special(BOS_TOKEN)?, eos: special(EOS_TOKEN)?, inner })
    }

    /// Encodes one prompt. An empty prompt is valid (`[BOS, EOS, pad...]`, as in transformers);
    /// a long one is truncated to 75 tokens ([`Encoding::is_truncated`] tells).
    pub fn encode(&self, text: &str) -> Result<Encoding, ClipError> {
        let encoded = self
            .inner
            .encode(text, false)
            .map_err(|e| ClipError::Tokenizer { source_name: format!("prompt {text:?}"), message: e.to_string() })?;
        let tokens = encoded.get_ids();
        let mut ids = [self.eos; CONTEXT_LENGTH];
        ids[0] = self.bos;
        let kept = tokens.len().min(CONTEXT_LENGTH - 2);
        ids[1..=kept].copy_from_slice(&tokens[..kept]);
        // ids[kept + 1] is EOS already, and so is the padding after it.
        Ok(Encoding { ids, num_tokens: tokens.len() })
    }

    /// Encodes prompts in order.
    pub fn encode_batch(&self, texts: &[&str]) -> Result<Vec<[u32; CONTEXT_LENGTH]>, ClipError> {
        texts.iter().map(|t| Ok(self.encode(t)?.ids)).collect()
    }

    /// Encodes prompts into an id tensor `[texts, 77]` for [`super::Clip::encode_text`].
    pub fn encode_tensor(&self, texts: &[&str], device: &Device) -> Result<Tensor<2, Int>, ClipError> {
        let rows = self.encode_batch(texts)?;
        Ok(ids_tensor(&rows, device))
    }

    /// The BOS and EOS (= padding) ids.
    pub fn special_ids(&self) -> (u32, u32) {
        (self.bos, self.eos)
    }
}

/// Rows of 77 ids as a `[rows, 77]` integer tensor.
pub fn ids_tensor(rows: &[[u32; CONTEXT_LENGTH]], device: &Device) -> Tensor<2, Int> {
    ids_tensor_fit(rows, CONTEXT_LENGTH, device)
}

/// Rows of ids fitted to a text tower of `context` positions (its `max_position_embeddings`):
/// `[rows, min(context, 77)]`. A row cut short ends in EOS, as a tokenizer built for that
/// context length would frame it (`[BOS] + tokens[..context - 2] + [EOS]`); padding stays EOS.
pub fn ids_tensor_fit(rows: &[[u32; CONTEXT_LENGTH]], context: usize, device: &Device) -> Tensor<2, Int> {
    let n = context.clamp(2, CONTEXT_LENGTH);
    let mut flat = Vec::with_capacity(rows.len() * n);
    for row in rows {
        // Every id after the first EOS is EOS (padding), so the cut row keeps its EOS if it
        // had one within n; otherwise its last id becomes the EOS.
        let eos = row[CONTEXT_LENGTH - 1];
        flat.extend(row[..n - 1].iter().map(|&id| i64::from(id)));
        flat.push(i64::from(if row[..n].contains(&eos) { row[n - 1] } else { eos }));
    }
    Tensor::from_data(TensorData::new(flat, [rows.len(), n]), device)
}

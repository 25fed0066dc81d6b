//! Prompt embedding: a prompt expanded over CLIP's ImageNet templates (or alone), encoded by the
//! text tower and averaged into one direction end point.

use burn::tensor::{Device, Tensor};

use crate::clip::{Clip, ClipTokenizer};
use crate::error::Result;

/// The 79 ImageNet prompt templates (CLIP's prompt-engineering notebook without "a photo of
/// many {}.", as CLIPVG and CLIPstyler use them).
pub const TEMPLATES: &str = include_str!("imagenet_templates.txt");

/// Embeds a prompt: the mean of its template expansions (or the prompt alone), `[1, D]`.
pub fn embed_text(
    clip: &Clip,
    tokenizer: &ClipTokenizer,
    prompt: &str,
    templates: bool,
    device: &Device,
) -> Result<Tensor<2>> {
    let texts: Vec<String> = if templates {
        TEMPLATES.lines().filter(|l| !l.is_empty()).map(|t| t.replace("{}", prompt)).collect()
    } else {
        vec![prompt.to_string()]
    };
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let rows = tokenizer.encode_batch(&refs)?;
    // A text tower with fewer than 77 positions reads the prompt cut to its length.
    let ids = crate::clip::ids_tensor_fit(&rows, clip.config().text_config.max_position_embeddings, device);
    Ok(clip.try_encode_text(ids)?.mean_dim(0))
}

/// The embedding of each distinct prompt, computed once.
#[derive(Default)]
pub struct PromptCache {
    embedded: Vec<(String, Tensor<2>)>,
}

impl PromptCache {
    /// The embedding of `prompt`, from the cache or [`embed_text`].
    pub fn get(
        &mut self,
        clip: &Clip,
        tokenizer: &ClipTokenizer,
        prompt: &str,
        templates: bool,
        device: &Device,
    ) -> Result<Tensor<2>> {
        if let Some((_, t)) = self.embedded.iter().find(|(p, _)| p == prompt) {
            return Ok(t.clone());
        }
        let t = embed_text(clip, tokenizer, prompt, templates, device)?;
        self.embedded.push((prompt.to_string(), t.clone()));
        Ok(t)
    }
}

//! CLIP hyper-parameters, read from a HuggingFace `config.json` (`CLIPConfig` with its
//! `text_config` and `vision_config`).
//!
//! Missing fields take transformers' own defaults (the ViT-B/32 values), so terse hub configs load
//! as transformers would load them. Fields this crate does not use (`dtype`, `torch_dtype`,
//! `initializer_factor`, `text_config_dict`, ...) are ignored; values it cannot run (an unknown
//! `hidden_act`, a width not divisible by the head count, ...) are errors naming the file.

use std::path::Path;

use serde::Deserialize;

use super::ClipError;

/// The text tower's `eos_token_id` in legacy hub configs. transformers reads it as "pool at
/// `argmax(input_ids)`" (the EOS token 49407 is the largest id) instead of "pool at the first
/// `eos_token_id`".
pub const LEGACY_EOS_TOKEN_ID: i64 = 2;

/// The MLP non-linearity (`hidden_act`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Activation {
    /// `x · sigmoid(1.702 x)`: OpenAI's CLIP.
    #[serde(rename = "quick_gelu")]
    QuickGelu,
    /// The exact GELU `x · Φ(x)`.
    #[serde(rename = "gelu")]
    Gelu,
    /// The tanh approximation of GELU.
    #[serde(rename = "gelu_new", alias = "gelu_pytorch_tanh", alias = "gelu_fast")]
    GeluTanh,
}

/// Where the text tower's pooled output is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EosPooling {
    /// The first position of the largest id (`eos_token_id == 2` in the config).
    ArgmaxId,
    /// The first position whose id equals this token (position 0 if none does, as in transformers).
    FirstToken(i64),
}

/// `text_config` of a CLIP checkpoint.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default)]
pub struct ClipTextConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub max_position_embeddings: usize,
    pub hidden_act: Activation,
    pub layer_norm_eps: f64,
    pub eos_token_id: i64,
}

impl Default for ClipTextConfig {
    fn default() -> Self {
        Self {
            vocab_size: 49408,
            hidden_size: 512,
            intermediate_size: 2048,
            num_hidden_layers: 12,
            num_attention_heads: 8,
            max_position_embeddings: 77,
            hidden_act: Activation::QuickGelu,
            layer_norm_eps: 1e-5,
            eos_token_id: 49407,
        }
    }
}

impl ClipTextConfig {
    /// The pooling rule transformers applies for this config.
    pub fn eos_pooling(&self) -> EosPooling {
        if self.eos_token_id == LEGACY_EOS_TOKEN_ID {
            EosPooling::ArgmaxId
        } else {
            EosPooling::FirstToken(self.eos_token_id)
        }
    }
}

/// `vision_config` of a CLIP checkpoint (a ViT).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default)]
pub struct ClipVisionConfig {
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub num_channels: usize,
    pub image_size: usize,
    pub patch_size: usize,
    pub hidden_act: Activation,
    pub layer_norm_eps: f64,
}

impl Default for ClipVisionConfig {
    fn default() -> Self {
        Self {
            hidden_size: 768,
            intermediate_size: 3072,
            num_hidden_layers: 12,
            num_attention_heads: 12,
            num_channels: 3,
            image_size: 224,
            patch_size: 32,
            hidden_act: Activation::QuickGelu,
            layer_norm_eps: 1e-5,
        }
    }
}

impl ClipVisionConfig {
    /// Patches per side.
    pub fn grid_size(&self) -> usize {
        self.image_size / self.patch_size
    }

    /// Sequence length of the vision encoder: the class token plus one token per patch.
    pub fn num_positions(&self) -> usize {
        self.grid_size() * self.grid_size() + 1
    }
}

/// A whole CLIP checkpoint's config. The top-level `projection_dim` is the one the projections use;
/// the towers' own `projection_dim` entries are ignored (hub configs carry a stale 512 there).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default)]
pub struct ClipConfig {
    pub text_config: ClipTextConfig,
    pub vision_config: ClipVisionConfig,
    pub projection_dim: usize,
    /// `model_type`, checked to be `clip` when present.
    pub model_type: Option<String>,
}

impl Default for ClipConfig {
    fn default() -> Self {
        Self {
            text_config: ClipTextConfig::default(),
            vision_config: ClipVisionConfig::default(),
            projection_dim: 512,
            model_type: None,
        }
    }
}

impl ClipConfig {
    /// Reads and checks a `config.json`.
    pub fn load(path: &Path) -> Result<Self, ClipError> {
        let bytes = std::fs::read(path).map_err(|e| ClipError::io(path, e))?;
        Self::from_json_bytes(&bytes, path)
    }

    /// Parses and checks `config.json` content; `path` is only used in messages.
    pub fn from_json_bytes(bytes: &[u8], path: &Path) -> Result<Self, ClipError> {
        let err = |message: String| ClipError::Config { path: path.to_path_buf(), message };
        let text = std::str::from_utf8(bytes).map_err(|e| err(format!("not UTF-8 text ({e})")))?;
        let config: ClipConfig = serde_json::from_str(text).map_err(|e| err(format!("not a CLIP config.json: {e}")))?;
        config.validate().map_err(err)?;
        Ok(config)
    }

    /// Checks the values the towers rely on; the message names the offending field.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(model_type) = &self.model_type
            && model_type != "clip"
        {
            return Err(format!(
                "model_type is \"{model_type}\", expected \"clip\" (only CLIPModel checkpoints are supported)"
            ));
        }
        let t = &self.text_config;
        let v = &self.vision_config;
        let positive = [
            ("projection_dim", self.projection_dim),
            ("text_config.vocab_size", t.vocab_size),
            ("text_config.hidden_size", t.hidden_size),
            ("text_config.intermediate_size", t.intermediate_size),
            ("text_config.num_attention_heads", t.num_attention_heads),
            ("text_config.max_position_embeddings", t.max_position_embeddings),
            ("vision_config.hidden_size", v.hidden_size),
            ("vision_config.intermediate_size", v.intermediate_size),
            ("vision_config.num_attention_heads", v.num_attention_heads),
            ("vision_config.num_channels", v.num_channels),
            ("vision_config.image_size", v.image_size),
            ("vision_config.patch_size", v.patch_size),
        ];
        for (name, value) in positive {
            if value == 0 {
                return Err(format!("{name} must be positive"));
            }
        }
        for (tower, hidden, heads) in [
            ("text_config", t.hidden_size, t.num_attention_heads),
            ("vision_config", v.hidden_size, v.num_attention_heads),
        ] {
            if hidden % heads != 0 {
                return Err(format!("{tower}.hidden_size {hidden} is not divisible by num_attention_heads {heads}"));
            }
        }
        if !v.image_size.is_multiple_of(v.patch_size) {
            return Err(format!(
                "vision_config.image_size {} is not a multiple of patch_size {}",
                v.image_size, v.patch_size
            ));
        }
        for (name, eps) in
            [("text_config.layer_norm_eps", t.layer_norm_eps), ("vision_config.layer_norm_eps", v.layer_norm_eps)]
        {
            if !(eps > 0.0 && eps.is_finite()) {
                return Err(format!("{name} must be a positive number, got {eps}"));
            }
        }
        Ok(())
    }
}

/// OpenCLIP's `open_clip_config.json` (`model_cfg` of a plain ViT CLIP), as far as it maps onto
/// [`ClipConfig`]. Variants with another architecture (timm or HF towers, attentional pooling,
/// projection biases, ...) are refused by name.
#[derive(Debug, Deserialize)]
struct OpenClipFile {
    model_cfg: OpenClipModelCfg,
}

#[derive(Debug, Deserialize)]
struct OpenClipModelCfg {
    embed_dim: usize,
    #[serde(default)]
    quick_gelu: bool,
    vision_cfg: OpenClipTowerCfg,
    text_cfg: OpenClipTowerCfg,
    #[serde(flatten)]
    other: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Deserialize)]
struct OpenClipTowerCfg {
    #[serde(default)]
    image_size: Option<usize>,
    #[serde(default)]
    patch_size: Option<usize>,
    #[serde(default)]
    width: Option<usize>,
    #[serde(default)]
    layers: Option<usize>,
    #[serde(default)]
    heads: Option<usize>,
    #[serde(default)]
    head_width: Option<usize>,
    #[serde(default)]
    mlp_ratio: Option<f64>,
    #[serde(default)]
    context_length: Option<usize>,
    #[serde(default)]
    vocab_size: Option<usize>,
    #[serde(flatten)]
    other: serde_json::Map<String, serde_json::Value>,
}

/// OpenCLIP options that change the architecture away from OpenAI's CLIP.
const OPEN_CLIP_UNSUPPORTED: &[&str] = &[
    "timm_model_name",
    "hf_model_name",
    "attentional_pool",
    "attn_pooler_queries",
    "no_ln_pre",
    "final_ln_after_pool",
    "pool_type",
    "output_tokens",
    "proj_bias",
    "embed_cls",
    "pad_id",
    "ls_init_value",
    "patch_dropout",
    "act_kwargs",
    "norm_kwargs",
    "layers_vision",
    "init_logit_bias",
];

impl ClipConfig {
    /// Reads an OpenCLIP `open_clip_config.json` of a ViT CLIP (OpenAI or LAION layout).
    /// OpenCLIP pools the text at `argmax(ids)`, which `eos_token_id = 2` selects here.
    pub fn load_open_clip(path: &Path) -> Result<Self, ClipError> {
        let err = |message: String| ClipError::Config { path: path.to_path_buf(), message };
        let bytes = std::fs::read(path).map_err(|e| ClipError::io(path, e))?;
        let text = std::str::from_utf8(&bytes).map_err(|e| err(format!("not UTF-8 text ({e})")))?;
        let file: OpenClipFile = serde_json::from_str(text).map_err(|e| err(format!("not an OpenCLIP config: {e}")))?;
        let m = file.model_cfg;
        let (v, t) = (&m.vision_cfg, &m.text_cfg);
        for (scope, other) in [("model_cfg", &m.other), ("vision_cfg", &v.other), ("text_cfg", &t.other)] {
            for key in OPEN_CLIP_UNSUPPORTED {
                match other.get(*key) {
                    None | Some(serde_json::Value::Null) | Some(serde_json::Value::Bool(false)) => {}
                    // OpenAI-style defaults of options that otherwise change the model.
                    Some(value)
                        if (*key == "pool_type" && (value == "argmax" || value == "tok"))
                            || (*key == "no_ln_pre" && value == false) => {}
                    Some(value) => {
                        return Err(err(format!(
                            "{scope}.{key} = {value}: this OpenCLIP variant is not the OpenAI CLIP architecture and is not supported"
                        )));
                    }
                }
            }
        }
        let act = if m.quick_gelu { Activation::QuickGelu } else { Activation::Gelu };
        let need = |value: Option<usize>, name: &str| value.ok_or_else(|| err(format!("{name} is missing")));
        let vision_width = need(v.width, "vision_cfg.width")?;
        let text_width = need(t.width, "text_cfg.width")?;
        let ratio = |r: Option<f64>| r.unwrap_or(4.0);
        let config = ClipConfig {
            projection_dim: m.embed_dim,
            model_type: None,
            vision_config: ClipVisionConfig {
                hidden_size: vision_width,
                intermediate_size: (vision_width as f64 * ratio(v.mlp_ratio)) as usize,
                num_hidden_layers: need(v.layers, "vision_cfg.layers")?,
                num_attention_heads: vision_width / v.head_width.unwrap_or(64).max(1),
                num_channels: 3,
                image_size: need(v.image_size, "vision_cfg.image_size")?,
                patch_size: need(v.patch_size, "vision_cfg.patch_size")?,
                hidden_act: act,
                layer_norm_eps: 1e-5,
            },
            text_config: ClipTextConfig {
                vocab_size: t.vocab_size.unwrap_or(49408),
                hidden_size: text_width,
                intermediate_size: (text_width as f64 * ratio(t.mlp_ratio)) as usize,
                num_hidden_layers: need(t.layers, "text_cfg.layers")?,
                num_attention_heads: t.heads.unwrap_or(8),
                max_position_embeddings: t.context_length.unwrap_or(77),
                hidden_act: act,
                layer_norm_eps: 1e-5,
                eos_token_id: LEGACY_EOS_TOKEN_ID,
            },
        };
        config.validate().map_err(err)?;
        Ok(config)
    }
}

//! CLIP in burn: both towers of OpenAI's CLIP (ViT image encoder, causal text transformer) with
//! HuggingFace checkpoints (`config.json` + `model.safetensors`), its tokenizer and image
//! preprocessing, the directional loss of CLIPVG, and the weights registry.
//!
//! Module paths mirror the checkpoint keys (`vision_model.encoder.layers.3.self_attn.q_proj`), so
//! [`load`] is a mapping. Parameters are frozen: on an autodiff device the only gradients are
//! those of the pixels given to [`Clip::encode_image`].
//!
//! ```no_run
//! # fn main() -> Result<(), clipvg_clip::ClipError> {
//! use clipvg_clip::{Clip, ClipTokenizer, resolve_model};
//! let device = burn::tensor::Device::flex();
//! let dir = resolve_model("clip-vit-base-patch32", &mut |_| {})?;
//! let clip = Clip::load(&dir, &device)?;
//! let tokenizer = ClipTokenizer::for_model(&dir)?;
//! let text = clip.encode_text(tokenizer.encode_tensor(&["a photo of a cat"], &device)?);
//! # Ok(()) }
//! ```

pub mod config;
mod error;
pub mod layers;
pub mod load;
pub mod loss;
pub mod preprocess;
pub mod registry;
pub mod text;
pub mod tokenizer;
pub mod vision;

use std::path::Path;

use burn::module::{Module, ModuleMapper, Param};
use burn::nn::Linear;
use burn::tensor::{Device, FloatDType, Int, Tensor};

pub use config::{Activation, ClipConfig, ClipTextConfig, ClipVisionConfig, EosPooling};
pub use error::ClipError;
pub use loss::{directional_loss, directional_terms};
pub use preprocess::{CLIP_MEAN, CLIP_STD, ImageProcessor, normalize, resize_bilinear};
pub use registry::{Registry, resolve_model};
pub use tokenizer::{CONTEXT_LENGTH, ClipTokenizer, ids_tensor_fit};

use load::{OpenClipSource, ParamSource, RandomSource, SafetensorsSource};
use text::ClipTextTransformer;
use vision::ClipVisionTransformer;

/// File names of a HuggingFace CLIP folder.
pub const CONFIG_FILE: &str = "config.json";
pub const WEIGHTS_FILE: &str = "model.safetensors";
pub const TOKENIZER_FILE: &str = "tokenizer.json";
/// File names of an OpenCLIP folder (also accepted by [`Clip::load`]).
pub const OPEN_CLIP_CONFIG_FILE: &str = "open_clip_config.json";
pub const OPEN_CLIP_WEIGHTS_FILE: &str = "open_clip_model.safetensors";

/// A CLIP model: both towers and their projections into the shared embedding space.
#[derive(Module, Debug)]
pub struct Clip {
    pub text_model: ClipTextTransformer,
    pub vision_model: ClipVisionTransformer,
    pub text_projection: Linear,
    pub visual_projection: Linear,
    /// `logit_scale` (log of the softmax temperature), a frozen scalar.
    #[module(skip)]
    logit_scale: f64,
    #[module(skip)]
    config: ClipConfig,
    /// The float type of the weights and of the computation ([`Clip::with_dtype`]).
    #[module(skip)]
    dtype: FloatDType,
}

/// Casts every float parameter to one dtype.
struct CastParams(FloatDType);

impl ModuleMapper for CastParams {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let dtype = self.0;
        param.map(|t| t.cast(dtype))
    }
}

impl ClipConfig {
    /// A model of this shape with random weights (benchmarks and shape tests).
    pub fn init(&self, device: &Device) -> Clip {
        let source = RandomSource { device: device.clone() };
        match Clip::build(&source, self) {
            Ok(clip) => clip,
            // RandomSource has no failure path; `validate` has checked the shapes.
            Err(e) => unreachable!("random initialisation failed: {e}"),
        }
    }
}

impl Clip {
    /// Loads a CLIP folder: `config.json` + `model.safetensors` (HuggingFace), or else
    /// `open_clip_config.json` + `open_clip_model.safetensors` (OpenCLIP, plain ViT models).
    ///
    /// Works on any device, plain or `.autodiff()`; the weights never require gradients.
    pub fn load(dir: &Path, device: &Device) -> Result<Self, ClipError> {
        let open_clip = dir.join(OPEN_CLIP_CONFIG_FILE);
        if !dir.join(CONFIG_FILE).exists() && open_clip.is_file() {
            let config = ClipConfig::load_open_clip(&open_clip)?;
            let weights = dir.join(OPEN_CLIP_WEIGHTS_FILE);
            if !weights.is_file() {
                return Err(ClipError::MissingModelFile { dir: dir.to_path_buf(), file: OPEN_CLIP_WEIGHTS_FILE });
            }
            return Self::build(&OpenClipSource(SafetensorsSource::open(&weights, device)?), &config);
        }
        if !dir.is_dir() {
            return Err(ClipError::io(
                dir,
                std::io::Error::new(std::io::ErrorKind::NotFound, "model folder not found"),
            ));
        }
        let require = |file: &'static str| {
            let path = dir.join(file);
            if path.is_file() { Ok(path) } else { Err(ClipError::MissingModelFile { dir: dir.to_path_buf(), file }) }
        };
        let config = ClipConfig::load(&require(CONFIG_FILE)?)?;
        Self::from_files(&config, &require(WEIGHTS_FILE)?, device)
    }

    /// Loads the weights at `weights` for a known config.
    pub fn from_files(config: &ClipConfig, weights: &Path, device: &Device) -> Result<Self, ClipError> {
        config.validate().map_err(|message| ClipError::Config { path: weights.to_path_buf(), message })?;
        Self::build(&SafetensorsSource::open(weights, device)?, config)
    }

    fn build(src: &impl ParamSource, config: &ClipConfig) -> Result<Self, ClipError> {
        let (t, v) = (&config.text_config, &config.vision_config);
        Ok(Self {
            text_model: ClipTextTransformer::build(src, t)?,
            vision_model: ClipVisionTransformer::build(src, v)?,
            text_projection: src.linear("text_projection", t.hidden_size, config.projection_dim, false)?,
            visual_projection: src.linear("visual_projection", v.hidden_size, config.projection_dim, false)?,
            logit_scale: src.scalar("logit_scale")?,
            config: config.clone(),
            dtype: FloatDType::F32,
        })
    }

    /// This model computing in `dtype`: its weights cast, [`Self::encode_image`]'s pixels cast
    /// on the way in and both encoders' embeddings cast back to f32 on the way out (so callers,
    /// the loss and the gradients to the pixels stay f32). F16 halves the weights' and
    /// activations' memory and runs on a GPU's half-precision units; only for a device where
    /// [`Device::supports_dtype`] says so (`shader-f16` on wgpu). Loaded models are F32.
    pub fn with_dtype(self, dtype: FloatDType) -> Self {
        if dtype == self.dtype {
            return self;
        }
        let mut clip = self.map(&mut CastParams(dtype));
        clip.dtype = dtype;
        clip
    }

    /// The float type the model computes in.
    pub fn dtype(&self) -> FloatDType {
        self.dtype
    }

    /// `t` in the model's dtype.
    fn to_model<const D: usize>(&self, t: Tensor<D>) -> Tensor<D> {
        if self.dtype == FloatDType::F32 { t } else { t.cast(self.dtype) }
    }

    /// An output of the model in f32.
    fn to_f32<const D: usize>(&self, t: Tensor<D>) -> Tensor<D> {
        if self.dtype == FloatDType::F32 { t } else { t.cast(FloatDType::F32) }
    }

    /// Normalised pixels `[batch, channels, S, S]` (see [`normalize`]) → image embeddings
    /// `[batch, projection_dim]`, projected and not L2-normalised (`get_image_features`).
    ///
    /// # Panics
    /// If the pixels are not `[_, num_channels, image_size, image_size]`.
    pub fn encode_image(&self, pixels: Tensor<4>) -> Tensor<2> {
        let [_, c, h, w] = pixels.dims();
        let v = &self.config.vision_config;
        assert!(
            c == v.num_channels && h == v.image_size && w == v.image_size,
            "encode_image expects [batch, {}, {s}, {s}] pixels, got [_, {c}, {h}, {w}]",
            v.num_channels,
            s = v.image_size
        );
        let pixels = self.to_model(pixels);
        self.to_f32(self.visual_projection.forward(self.vision_model.forward(pixels)))
    }

    /// Token ids `[batch, seq]` → text embeddings `[batch, projection_dim]`, projected and not
    /// L2-normalised (`get_text_features`), or an error for ids the model cannot embed.
    pub fn try_encode_text(&self, ids: Tensor<2, Int>) -> Result<Tensor<2>, ClipError> {
        let [batch, seq] = ids.dims();
        let host: Vec<i64> = ids.to_data().iter::<i64>().collect();
        let positions = self.text_model.pooling_positions(&host, seq)?;
        // The text tower's attention is causal: no position reads a later one, so the positions
        // after the last one pooled cannot change the result. Cutting them (77 → about 10 for a
        // short prompt) makes the 79 template expansions of a prompt 7× cheaper.
        let cut = positions.iter().max().map_or(seq, |&p| p + 1);
        let ids = if cut < seq { ids.slice([0..batch, 0..cut]) } else { ids };
        Ok(self.to_f32(self.text_projection.forward(self.text_model.forward(ids, &positions))))
    }

    /// [`Self::try_encode_text`] for ids from [`ClipTokenizer`], which are always valid.
    ///
    /// # Panics
    /// If an id is outside the vocabulary or the sequence is longer than the position table.
    pub fn encode_text(&self, ids: Tensor<2, Int>) -> Tensor<2> {
        match self.try_encode_text(ids) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }

    /// `logits_per_image[i, j] = exp(logit_scale) · cos(image_i, text_j)`: `[images, texts]`.
    pub fn logits_per_image(&self, image_embeds: Tensor<2>, text_embeds: Tensor<2>) -> Tensor<2> {
        let i = loss::l2_normalize(image_embeds);
        let t = loss::l2_normalize(text_embeds);
        i.matmul(t.transpose()) * self.logit_scale.exp()
    }

    /// Side of the square input images, in pixels.
    pub fn image_size(&self) -> usize {
        self.config.vision_config.image_size
    }

    /// The checkpoint's `logit_scale` (natural log of the inverse temperature).
    pub fn logit_scale(&self) -> f64 {
        self.logit_scale
    }

    /// Dimension of the shared embedding space.
    pub fn projection_dim(&self) -> usize {
        self.config.projection_dim
    }

    pub fn config(&self) -> &ClipConfig {
        &self.config
    }
}

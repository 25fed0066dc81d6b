//! Where the towers' parameters come from: a `model.safetensors` in HuggingFace key layout, an
//! OpenCLIP `open_clip_model.safetensors` (read through the same HF key names), or random values
//! (benchmarks, shape tests).
//!
//! The loader reads the safetensors container with the `safetensors` crate directly rather than
//! through burn-store: each tensor is fetched by its checkpoint key while the module tree is
//! built, so a missing key, a shape that disagrees with `config.json` or an unsupported dtype is
//! reported with the file and key; the scalar `logit_scale` and the unused integer `position_ids`
//! need no adapter; F16/BF16 checkpoints are widened to f32 on the way; and every parameter is
//! created frozen (`require_grad = false`), so gradients flow to the pixels only.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use burn::module::Param;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Embedding, LayerNorm, LayerNormConfig, Linear};
use burn::tensor::{Device, Distribution, Tensor, TensorData};
use safetensors::{Dtype, SafeTensors};

use super::ClipError;

/// A frozen parameter: part of the module, never trained.
pub(crate) fn frozen<const D: usize>(t: Tensor<D>) -> Param<Tensor<D>> {
    Param::from_tensor(t).set_require_grad(false)
}

/// Supplies parameters by checkpoint key; the towers are built once against this trait.
pub(crate) trait ParamSource {
    fn device(&self) -> &Device;

    /// The tensor at `key`, which must have `shape`; values in row-major (PyTorch) order.
    fn values(&self, key: &str, shape: &[usize]) -> Result<Vec<f32>, ClipError>;

    /// A scalar parameter (`logit_scale`).
    fn scalar(&self, key: &str) -> Result<f64, ClipError>;

    fn tensor<const D: usize>(&self, key: &str, shape: [usize; D]) -> Result<Tensor<D>, ClipError> {
        let values = self.values(key, &shape)?;
        Ok(Tensor::from_data(TensorData::new(values, shape), self.device()))
    }

    /// A `torch.nn.Linear` at `prefix`: its `[out, in]` weight becomes burn's `[in, out]`.
    fn linear(&self, prefix: &str, d_in: usize, d_out: usize, bias: bool) -> Result<Linear, ClipError> {
        let w = self.values(&format!("{prefix}.weight"), &[d_out, d_in])?;
        let mut wt = vec![0.0f32; w.len()];
        for o in 0..d_out {
            for i in 0..d_in {
                wt[i * d_out + o] = w[o * d_in + i];
            }
        }
        let weight = Tensor::from_data(TensorData::new(wt, [d_in, d_out]), self.device());
        let bias = if bias { Some(frozen(self.tensor(&format!("{prefix}.bias"), [d_out])?)) } else { None };
        Ok(Linear { weight: frozen(weight), bias })
    }

    /// A `torch.nn.LayerNorm` at `prefix`.
    fn layer_norm(&self, prefix: &str, d: usize, eps: f64) -> Result<LayerNorm, ClipError> {
        let mut ln = LayerNormConfig::new(d).with_epsilon(eps).init(self.device());
        ln.gamma = frozen(self.tensor(&format!("{prefix}.weight"), [d])?);
        ln.beta = Some(frozen(self.tensor(&format!("{prefix}.bias"), [d])?));
        Ok(ln)
    }

    /// A `torch.nn.Embedding` at `prefix`.
    fn embedding(&self, prefix: &str, n: usize, d: usize) -> Result<Embedding, ClipError> {
        Ok(Embedding { weight: frozen(self.tensor(&format!("{prefix}.weight"), [n, d])?) })
    }

    /// A bias-free `torch.nn.Conv2d` with `stride == kernel` (the patch embedding).
    fn patch_conv(&self, prefix: &str, c_in: usize, d: usize, patch: usize) -> Result<Conv2d, ClipError> {
        let mut conv = Conv2dConfig::new([c_in, d], [patch, patch])
            .with_stride([patch, patch])
            .with_bias(false)
            .init(self.device());
        conv.weight = frozen(self.tensor(&format!("{prefix}.weight"), [d, c_in, patch, patch])?);
        Ok(conv)
    }
}

/// Element type and location of one tensor in the file.
struct Entry {
    dtype: Dtype,
    shape: Vec<usize>,
    start: usize,
    end: usize,
}

/// A memory-mapped `model.safetensors` with its header parsed once.
pub(crate) struct SafetensorsSource {
    path: PathBuf,
    map: memmap2::Mmap,
    entries: HashMap<String, Entry>,
    device: Device,
}

impl SafetensorsSource {
    pub(crate) fn open(path: &Path, device: &Device) -> Result<Self, ClipError> {
        let file = std::fs::File::open(path).map_err(|e| ClipError::io(path, e))?;
        // SAFETY: the map is read-only and lives as long as `self`. Like every mmap-based loader
        // (candle, burn-store) this assumes no other process truncates the file while it loads.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| ClipError::io(path, e))?;
        let bad = |message: String| ClipError::Safetensors { path: path.to_path_buf(), message };
        let (header_len, metadata) = SafeTensors::read_metadata(&map).map_err(|e| bad(e.to_string()))?;
        let data_start = 8 + header_len;
        let entries = metadata
            .tensors()
            .into_iter()
            .map(|(name, info)| {
                let entry = Entry {
                    dtype: info.dtype,
                    shape: info.shape.clone(),
                    start: data_start + info.data_offsets.0,
                    end: data_start + info.data_offsets.1,
                };
                (name, entry)
            })
            .collect();
        Ok(Self { path: path.to_path_buf(), map, entries, device: device.clone() })
    }

    fn entry(&self, key: &str) -> Result<&Entry, ClipError> {
        self.entries.get(key).ok_or_else(|| ClipError::MissingTensor { path: self.path.clone(), key: key.to_string() })
    }

    fn decode(&self, key: &str, entry: &Entry) -> Result<Vec<f32>, ClipError> {
        // `read_metadata` checked that the offsets lie inside the file and match dtype × shape.
        let bytes = &self.map[entry.start..entry.end];
        let values = match entry.dtype {
            Dtype::F32 => bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect(),
            Dtype::F16 => bytes.chunks_exact(2).map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32()).collect(),
            Dtype::BF16 => bytes.chunks_exact(2).map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32()).collect(),
            other => {
                return Err(ClipError::UnsupportedDtype {
                    path: self.path.clone(),
                    key: key.to_string(),
                    dtype: format!("{other:?}"),
                });
            }
        };
        Ok(values)
    }
}

impl ParamSource for SafetensorsSource {
    fn device(&self) -> &Device {
        &self.device
    }

    fn values(&self, key: &str, shape: &[usize]) -> Result<Vec<f32>, ClipError> {
        let entry = self.entry(key)?;
        if entry.shape != shape {
            return Err(ClipError::ShapeMismatch {
                path: self.path.clone(),
                key: key.to_string(),
                expected: shape.to_vec(),
                found: entry.shape.clone(),
            });
        }
        let values = self.decode(key, entry)?;
        if values.len() != shape.iter().product::<usize>() {
            return Err(ClipError::Safetensors {
                path: self.path.clone(),
                message: format!("tensor `{key}` holds {} values for shape {shape:?}", values.len()),
            });
        }
        Ok(values)
    }

    fn scalar(&self, key: &str) -> Result<f64, ClipError> {
        let entry = self.entry(key)?;
        // PyTorch saves a 0-d tensor; some converters write shape [1].
        if !(entry.shape.is_empty() || entry.shape == [1]) {
            return Err(ClipError::ShapeMismatch {
                path: self.path.clone(),
                key: key.to_string(),
                expected: vec![],
                found: entry.shape.clone(),
            });
        }
        let values = self.decode(key, entry)?;
        values.first().map(|&v| f64::from(v)).ok_or_else(|| ClipError::Safetensors {
            path: self.path.clone(),
            message: format!("tensor `{key}` is empty"),
        })
    }
}

/// Random parameters with the right shapes: weights ~ N(0, 0.02²) (CLIP's init range), layer
/// norms at identity, `logit_scale = ln(1/0.07)` (CLIP's initial value).
pub(crate) struct RandomSource {
    pub(crate) device: Device,
}

impl ParamSource for RandomSource {
    fn device(&self) -> &Device {
        &self.device
    }

    fn values(&self, _key: &str, shape: &[usize]) -> Result<Vec<f32>, ClipError> {
        let n: usize = shape.iter().product();
        // A cheap deterministic generator (the values only need a sane scale): sums of uniforms.
        let mut state = 0x9E37_79B9_7F4A_7C15u64 ^ n as u64;
        let mut uniform = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        };
        // Irwin–Hall with 4 terms has variance 4/12; scale to std 0.02.
        let scale = 0.02 / (4.0f32 / 12.0).sqrt();
        Ok((0..n).map(|_| (uniform() + uniform() + uniform() + uniform()) * scale).collect())
    }

    fn tensor<const D: usize>(&self, _key: &str, shape: [usize; D]) -> Result<Tensor<D>, ClipError> {
        Ok(Tensor::random(shape, Distribution::Normal(0.0, 0.02), &self.device))
    }

    fn scalar(&self, _key: &str) -> Result<f64, ClipError> {
        Ok((1.0f64 / 0.07).ln())
    }

    fn layer_norm(&self, _prefix: &str, d: usize, eps: f64) -> Result<LayerNorm, ClipError> {
        let mut ln = LayerNormConfig::new(d).with_epsilon(eps).init(&self.device);
        ln.gamma = frozen(Tensor::ones([d], &self.device));
        ln.beta = Some(frozen(Tensor::zeros([d], &self.device)));
        Ok(ln)
    }
}

/// How an OpenCLIP tensor becomes the HuggingFace one.
enum Take {
    /// Stored as is.
    All,
    /// Third `j` of the rows of a fused `in_proj` (q, k, v stacked).
    Third(usize),
    /// Stored as `[in, out]` for `x @ proj`; HF stores the Linear weight `[out, in]`.
    Transposed,
}

/// The OpenCLIP key holding HF key `hf` (`None` for keys OpenCLIP has no counterpart of).
fn open_clip_key(hf: &str) -> Option<(String, Take)> {
    let top = match hf {
        "text_projection.weight" => Some(("text_projection".to_string(), Take::Transposed)),
        "visual_projection.weight" => Some(("visual.proj".to_string(), Take::Transposed)),
        "logit_scale" => Some(("logit_scale".to_string(), Take::All)),
        _ => None,
    };
    if top.is_some() {
        return top;
    }
    let (tower, rest) = match hf.split_once('.')? {
        ("vision_model", rest) => ("visual.", rest),
        ("text_model", rest) => ("", rest),
        _ => return None,
    };
    let simple = |k: &str| Some((k.to_string(), Take::All));
    match rest {
        "embeddings.token_embedding.weight" => return simple("token_embedding.weight"),
        "embeddings.position_embedding.weight" => {
            return simple(&format!("{tower}positional_embedding"));
        }
        "embeddings.class_embedding" => return simple("visual.class_embedding"),
        "embeddings.patch_embedding.weight" => return simple("visual.conv1.weight"),
        _ => {}
    }
    for (from, to) in [
        ("pre_layrnorm.", "visual.ln_pre."),
        ("post_layernorm.", "visual.ln_post."),
        ("final_layer_norm.", "ln_final."),
    ] {
        if let Some(param) = rest.strip_prefix(from) {
            return simple(&format!("{to}{param}"));
        }
    }
    let layer = rest.strip_prefix("encoder.layers.")?;
    let (index, sub) = layer.split_once('.')?;
    let block = format!("{tower}transformer.resblocks.{index}.");
    for (j, qkv) in ["self_attn.q_proj.", "self_attn.k_proj.", "self_attn.v_proj."].iter().enumerate() {
        if let Some(param) = sub.strip_prefix(qkv) {
            return Some((format!("{block}attn.in_proj_{param}"), Take::Third(j)));
        }
    }
    for (from, to) in [
        ("self_attn.out_proj.", "attn.out_proj."),
        ("layer_norm1.", "ln_1."),
        ("layer_norm2.", "ln_2."),
        ("mlp.fc1.", "mlp.c_fc."),
        ("mlp.fc2.", "mlp.c_proj."),
    ] {
        if let Some(param) = sub.strip_prefix(from) {
            return simple(&format!("{block}{to}{param}"));
        }
    }
    None
}

/// An OpenCLIP `open_clip_model.safetensors` read through HuggingFace key names: a renaming,
/// plus splitting the fused attention input projection and transposing the two projections.
pub(crate) struct OpenClipSource(pub(crate) SafetensorsSource);

impl ParamSource for OpenClipSource {
    fn device(&self) -> &Device {
        &self.0.device
    }

    fn values(&self, key: &str, shape: &[usize]) -> Result<Vec<f32>, ClipError> {
        let Some((oc_key, take)) = open_clip_key(key) else {
            return Err(ClipError::MissingTensor { path: self.0.path.clone(), key: key.to_string() });
        };
        match take {
            Take::All => self.0.values(&oc_key, shape),
            Take::Third(j) => {
                let mut fused = shape.to_vec();
                fused[0] *= 3;
                let all = self.0.values(&oc_key, &fused)?;
                let third = all.len() / 3;
                Ok(all[j * third..(j + 1) * third].to_vec())
            }
            Take::Transposed => {
                let (rows, cols) = (shape[0], shape[1]);
                let stored = self.0.values(&oc_key, &[cols, rows])?;
                let mut out = vec![0.0; stored.len()];
                for r in 0..rows {
                    for c in 0..cols {
                        out[r * cols + c] = stored[c * rows + r];
                    }
                }
                Ok(out)
            }
        }
    }

    fn scalar(&self, key: &str) -> Result<f64, ClipError> {
        match open_clip_key(key) {
            Some((oc_key, _)) => self.0.scalar(&oc_key),
            None => self.0.scalar(key),
        }
    }
}

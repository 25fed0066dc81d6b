//! Where the towers' parameters come from: a `model.safetensors` in HuggingFace key layout, or
//! random values (benchmarks, shape tests).
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
        let bias = if bias {
            Some(frozen(self.tensor(&format!("{prefix}.bias"), [d_out])?))
        } else {
            None
        };
        Ok(Linear {
            weight: frozen(weight),
            bias,
        })
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
        Ok(Embedding {
            weight: frozen(self.tensor(&format!("{prefix}.weight"), [n, d])?),
        })
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
        let bad = |message: String| ClipError::Safetensors {
            path: path.to_path_buf(),
            message,
        };
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
        Ok(Self {
            path: path.to_path_buf(),
            map,
            entries,
            device: device.clone(),
        })
    }

    fn entry(&self, key: &str) -> Result<&Entry, ClipError> {
        self.entries.get(key).ok_or_else(|| ClipError::MissingTensor {
            path: self.path.clone(),
            key: key.to_string(),
        })
    }

    fn decode(&self, key: &str, entry: &Entry) -> Result<Vec<f32>, ClipError> {
        // `read_metadata` checked that the offsets lie inside the file and match dtype × shape.
        let bytes = &self.map[entry.start..entry.end];
        let values = match entry.dtype {
            Dtype::F32 => bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
            Dtype::F16 => bytes
                .chunks_exact(2)
                .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
            Dtype::BF16 => bytes
                .chunks_exact(2)
                .map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32())
                .collect(),
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
        Ok((0..n)
            .map(|_| (uniform() + uniform() + uniform() + uniform()) * scale)
            .collect())
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

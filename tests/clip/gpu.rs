//! CLIP on the wgpu backend. CI has no GPU but has Mesa's lavapipe (Vulkan on the CPU), so these
//! run there for real: a machine without any wgpu adapter fails with the reason, never skips.
//! Kept to model B (tiny) because lavapipe is slow.

use crate::clip_common;

use burn::tensor::{Device, Int, Tensor, TensorData};
use clip_common::*;
use clipvg::clip::{Clip, directional_loss, normalize};
use clipvg::compute::{BackendChoice, adapters, device_for};

/// fp32 on another backend with other reduction orders; same bound as the CPU tests.
const EMBED_TOL: f64 = 1e-4;
const LOSS_TOL: f64 = 1e-5;
const GRAD_REL_TOL: f64 = 1e-3;

/// The wgpu device. (Mesa's Wayland message without `XDG_RUNTIME_DIR` is kept quiet by
/// `compute::device_for` itself; this binary's tests run on parallel threads, so none of them
/// changes the process environment.)
fn gpu() -> Device {
    match device_for(BackendChoice::Gpu) {
        Ok(d) => d,
        Err(e) => panic!("GPU tests need a wgpu adapter (lavapipe in CI): {e}; adapters seen: {:?}", adapters()),
    }
}

fn ids(row: &[i64], device: &Device) -> Tensor<2, Int> {
    Tensor::from_data(TensorData::new(row.to_vec(), [1, row.len()]), device)
}

fn image(g: &serde_json::Value, name: &str, device: &Device) -> Tensor<4> {
    let im = g["images"].as_array().unwrap().iter().find(|i| i["name"] == name).unwrap();
    let v: Vec<f32> = f64s(&im["pixel_values"]).iter().map(|&x| x as f32).collect();
    Tensor::from_data(TensorData::new(v, [1, 3, 32, 32]), device)
}

/// Model B on the golden inputs: the embeddings of text 0 and of `waves_2x`, and the directional
/// loss of `checker_1x` (from `gradient_1x`, text 0 → text 1) with its pixels' gradient; each
/// result's dtype is checked to be f32 whatever the model computes in.
struct BResults {
    text: Vec<f64>,
    image: Vec<f64>,
    loss: f64,
    grad: Vec<f64>,
}

fn model_b_results(clip: &Clip, g: &serde_json::Value, device: &Device) -> BResults {
    let f32_of = |t: &Tensor<2>| assert_eq!(t.dtype(), burn::tensor::DType::F32, "results come back in f32");
    let text0 = clip.encode_text(ids(&i64s(&g["text"][0]["input_ids"]), device));
    f32_of(&text0);
    let img = clip.encode_image(image(g, "waves_2x", device));
    f32_of(&img);
    let text1 = clip.encode_text(ids(&i64s(&g["text"][1]["input_ids"]), device));
    let img0 = clip.encode_image(image(g, "gradient_1x", device));
    let x = image(g, "checker_1x", device).require_grad();
    let text = values(text0.clone());
    let loss = directional_loss(clip.encode_image(x.clone()), img0, text0, text1);
    let grads = loss.backward();
    let grad = x.grad(&grads).unwrap();
    assert_eq!(grad.dtype(), burn::tensor::DType::F32, "the pixels' gradient is f32");
    BResults { text, image: values(img), loss: values(loss)[0], grad: values(grad) }
}

/// The goldens of [`model_b_results`].
fn model_b_goldens(g: &serde_json::Value) -> BResults {
    let waves = g["images"].as_array().unwrap().iter().find(|i| i["name"] == "waves_2x").unwrap();
    BResults {
        text: f64s(&g["text"][0]["text_embeds"]),
        image: f64s(&waves["image_embeds"]),
        loss: g["directional_loss"]["loss"].as_f64().unwrap(),
        grad: f64s(&g["directional_loss"]["grad"]),
    }
}

/// `max |got − want|` over the largest `|want|`.
fn relative_error(got: &[f64], want: &[f64]) -> f64 {
    max_abs_diff(got, want) / want.iter().fold(0.0f64, |m, v| m.max(v.abs()))
}

#[test]
fn model_b_on_wgpu_matches_goldens_with_gradient() {
    let device = gpu().autodiff();
    let clip = Clip::load(&fixtures().join("B"), &device).unwrap();
    let g = golden("golden_B.json");
    let (got, want) = (model_b_results(&clip, &g, &device), model_b_goldens(&g));
    assert_close("wgpu text embeds", &got.text, &want.text, EMBED_TOL);
    assert_close("wgpu image embeds", &got.image, &want.image, EMBED_TOL);
    assert!((got.loss - want.loss).abs() <= LOSS_TOL, "wgpu loss {}", got.loss);
    let err = relative_error(&got.grad, &want.grad);
    assert!(err <= GRAD_REL_TOL, "wgpu dL/dx off by {err:e} of the largest");
}

#[test]
fn normalize_is_differentiable_on_wgpu() {
    let device = gpu().autodiff();
    let x = Tensor::<4>::ones([1, 3, 2, 2], &device).require_grad();
    let y = normalize(x.clone());
    let grads = y.clone().sum().backward();
    let got = values(y);
    let grad = values(x.grad(&grads).unwrap());
    for c in 0..3 {
        let mean = f64::from(clipvg::clip::CLIP_MEAN[c]);
        let std = f64::from(clipvg::clip::CLIP_STD[c]);
        assert!((got[c * 4] - (1.0 - mean) / std).abs() < 1e-5);
        assert!((grad[c * 4] - 1.0 / std).abs() < 1e-5);
    }
}

#[test]
fn backend_choice_follows_the_adapters() {
    let _ = gpu(); // sets XDG_RUNTIME_DIR and proves an adapter exists
    let found = adapters();
    assert!(!found.is_empty());
    let auto = device_for(BackendChoice::Auto).unwrap();
    let cpu = device_for(BackendChoice::Cpu).unwrap();
    assert_eq!(cpu, clipvg::compute::cpu_device());
    // `auto` takes the GPU only when it is real hardware (lavapipe in CI is not).
    assert_eq!(auto == cpu, !found.iter().any(|a| a.is_hardware), "adapters: {found:?}");
    let parsed: BackendChoice = serde_json::from_str("\"gpu\"").unwrap();
    assert_eq!(parsed, BackendChoice::Gpu);
}

/// Half precision against the same fp32 goldens: 10 mantissa bits (a relative step of 2^-11 ≈
/// 4.9e-4 per rounding) through the layers; the bounds are relative to each result's largest
/// value, about 4x what lavapipe gives (embeddings 1.2e-3, loss 5.9e-4, gradient 4.1e-3).
const F16_EMBED_REL_TOL: f64 = 5e-3;
const F16_LOSS_TOL: f64 = 2e-3;
const F16_GRAD_REL_TOL: f64 = 2e-2;

#[test]
fn model_b_in_f16_on_wgpu_stays_close_to_the_fp32_goldens() {
    use burn::tensor::FloatDType;
    let device = gpu().autodiff();
    assert!(
        device.supports_dtype(FloatDType::F16),
        "the wgpu adapter has no shader-f16 (lavapipe has it since Mesa 21: shaderFloat16 + 16-bit storage); adapters: {:?}",
        adapters()
    );
    let clip = Clip::load(&fixtures().join("B"), &device).unwrap().with_dtype(FloatDType::F16);
    assert_eq!(clip.dtype(), FloatDType::F16);
    assert_eq!(clip.visual_projection.weight.val().dtype(), burn::tensor::DType::F16);
    let g = golden("golden_B.json");
    let (got, want) = (model_b_results(&clip, &g, &device), model_b_goldens(&g));
    let (text, image) = (relative_error(&got.text, &want.text), relative_error(&got.image, &want.image));
    let (loss, e) = (got.loss, relative_error(&got.grad, &want.grad));
    eprintln!("f16 text embeds {text:e}, image embeds {image:e} of the largest");
    assert!(text <= F16_EMBED_REL_TOL, "f16 text embeds off by {text:e} of the largest");
    assert!(image <= F16_EMBED_REL_TOL, "f16 image embeds off by {image:e} of the largest");
    assert!((loss - want.loss).abs() <= F16_LOSS_TOL, "f16 loss {loss}");
    assert!(e <= F16_GRAD_REL_TOL, "f16 dL/dx off by {e:e} of the largest");
    eprintln!("f16 vs fp32 goldens: loss {loss} (golden {}), gradient {e:e} of the largest", want.loss);
}

//! CLIP towers against the transformers goldens of models A and B (CPU backend).
//!
//! Goldens: `tests/fixtures/clip/golden_A.json` (shared clip-reference, trimmed) and
//! `golden_B.json` (`python tests/fixtures/clip/make_model_b.py`), float64 references.

use crate::clip_common;

use burn::tensor::{Device, Int, Tensor, TensorData};
use clip_common::*;
use clipvg::clip::{Clip, ClipTokenizer, ImageProcessor, directional_loss, tokenizer::ids_tensor};
use serde_json::Value;

/// fp32 port vs float64 reference, embeddings of magnitude ~1 (README: measured 1.5e-6).
const EMBED_TOL: f64 = 1e-4;
/// `exp(logit_scale)` ≈ 20 times a cosine (README: 5e-4 for an fp32 port).
const LOGIT_TOL: f64 = 5e-4;
/// Directional loss, a number near 1 (README: 4e-7 measured in fp32).
const LOSS_TOL: f64 = 1e-5;
/// Gradient error relative to the largest gradient component (README: 1.6e-6 measured).
const GRAD_REL_TOL: f64 = 1e-3;
/// pixel_values from identical u8 are bit-exact in numpy; allow float formatting slack.
const PIXEL_TOL: f64 = 1e-6;

fn cpu() -> Device {
    clipvg::compute::cpu_device()
}

fn load(model: &str, device: &Device) -> Clip {
    Clip::load(&fixtures().join(model), device).unwrap_or_else(|e| panic!("loading {model}: {e}"))
}

fn ids_of(rows: &[Vec<i64>], device: &Device) -> Tensor<2, Int> {
    let seq = rows[0].len();
    let flat: Vec<i64> = rows.iter().flatten().copied().collect();
    Tensor::from_data(TensorData::new(flat, [rows.len(), seq]), device)
}

fn pixels(flat: Vec<f32>, s: usize, device: &Device) -> Tensor<4> {
    let n = flat.len() / (3 * s * s);
    Tensor::from_data(TensorData::new(flat, [n, 3, s, s]), device)
}

/// Preprocesses every golden image from its PNG and checks the u8 crop and pixel_values.
fn check_preprocessing(golden: &Value, image_dir: &str, s: usize) -> Vec<(String, Vec<f32>)> {
    let processor = ImageProcessor::new(s);
    let mut out = Vec::new();
    for im in golden["images"].as_array().unwrap() {
        let name = im["name"].as_str().unwrap();
        let path = fixtures().join(image_dir).join(im["png"].as_str().unwrap());
        let p = processor.preprocess_file(&path).unwrap_or_else(|e| panic!("{e}"));
        let key = if im.get("u8_chw").is_some() { "u8_chw" } else { "resized_cropped_u8_chw" };
        let want_u8 = i64s(&im[key]);
        let off = p.u8_chw.iter().zip(&want_u8).map(|(&a, &b)| (i64::from(a) - b).abs()).max().unwrap();
        // Our bicubic is a port of Pillow's fixed-point resampler, so the crop is exact.
        assert_eq!(off, 0, "{name}: resized u8 differs from Pillow by up to {off}");
        let pv: Vec<f64> = p.pixel_values.iter().map(|&v| f64::from(v)).collect();
        if let Some(want) = im["pixel_values"].as_array() {
            let want: Vec<f64> = want.iter().map(|v| v.as_f64().unwrap()).collect();
            assert_close(&format!("{name} pixel_values"), &pv, &want, PIXEL_TOL);
        }
        out.push((name.to_string(), p.pixel_values));
    }
    out
}

#[test]
fn model_a_text_embeddings_match_transformers() {
    let device = cpu();
    let clip = load("A", &device);
    let g = golden("golden_A.json");
    let tokenizer = ClipTokenizer::for_model(&fixtures().join("A")).unwrap();
    for t in g["text"].as_array().unwrap() {
        let prompt = t["prompt"].as_str().unwrap();
        let enc = tokenizer.encode(prompt).unwrap();
        let ids: Vec<i64> = enc.ids.iter().map(|&i| i64::from(i)).collect();
        assert_eq!(ids, i64s(&t["input_ids"]), "{prompt}: input_ids");
        let ids = ids_tensor(&[enc.ids], &device);
        let positions = clip.text_model.pooling_positions(&i64s(&t["input_ids"]), 77).unwrap();
        assert_eq!(positions, vec![t["eos_index"].as_u64().unwrap() as usize], "{prompt}: eos");
        let pooled = values(clip.text_model.forward(ids.clone(), &positions));
        assert_close(&format!("{prompt}: pooler_output"), &pooled, &f64s(&t["pooler_output"]), EMBED_TOL);
        let emb = values(clip.encode_text(ids));
        assert_close(&format!("{prompt}: text_embeds"), &emb, &f64s(&t["text_embeds"]), EMBED_TOL);
    }
}

#[test]
fn model_a_text_batch_equals_single_rows() {
    let device = cpu();
    let clip = load("A", &device);
    let tokenizer = ClipTokenizer::default_clip().unwrap();
    let prompts = ["a photo of a cat", "photo", ""];
    let batch = values(clip.encode_text(tokenizer.encode_tensor(&prompts, &device).unwrap()));
    let dim = clip.projection_dim();
    for (i, p) in prompts.iter().enumerate() {
        let one = values(clip.encode_text(tokenizer.encode_tensor(&[p], &device).unwrap()));
        assert_close(&format!("row {i}"), &batch[i * dim..(i + 1) * dim], &one, 1e-6);
    }
}

#[test]
fn model_a_images_logits_match_transformers() {
    let device = cpu();
    let clip = load("A", &device);
    let g = golden("golden_A.json");
    let s = clip.image_size();
    let images = check_preprocessing(&g, "images", s);
    let flat: Vec<f32> = images.iter().flat_map(|(_, v)| v.iter().copied()).collect();
    let emb = clip.encode_image(pixels(flat, s, &device));
    let dim = clip.projection_dim();
    let got = values(emb.clone());
    for (i, im) in g["images"].as_array().unwrap().iter().enumerate() {
        let name = im["name"].as_str().unwrap();
        let pooled = values(clip.vision_model.forward(pixels(images[i].1.clone(), s, &device)));
        assert_close(&format!("{name}: pooler_output"), &pooled, &f64s(&im["pooler_output"]), EMBED_TOL);
        assert_close(
            &format!("{name}: image_embeds"),
            &got[i * dim..(i + 1) * dim],
            &f64s(&im["image_embeds"]),
            EMBED_TOL,
        );
    }
    // logits_per_image for the three 1x images × five prompts.
    let tokenizer = ClipTokenizer::default_clip().unwrap();
    let prompts: Vec<&str> = g["text"].as_array().unwrap().iter().map(|t| t["prompt"].as_str().unwrap()).collect();
    let text = clip.encode_text(tokenizer.encode_tensor(&prompts, &device).unwrap());
    let rows: Vec<usize> = g["logits_per_image"]["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| images.iter().position(|(m, _)| m == n.as_str().unwrap()).unwrap())
        .collect();
    let idx = Tensor::<1, Int>::from_data(
        TensorData::new(rows.iter().map(|&r| r as i64).collect::<Vec<_>>(), [rows.len()]),
        &device,
    );
    let logits = values(clip.logits_per_image(emb.select(0, idx), text));
    let want: Vec<f64> = g["logits_per_image"]["values"].as_array().unwrap().iter().flat_map(f64s).collect();
    assert_close("logits_per_image", &logits, &want, LOGIT_TOL);
    assert!((clip.logit_scale() - g["logit_scale"].as_f64().unwrap()).abs() < 1e-7);
}

/// Loss and dL/dx through burn autodiff, against the golden and against the weights staying frozen.
#[allow(clippy::too_many_arguments)] // one golden case: model, device, inputs and the three expected values
fn check_directional(
    clip: &Clip,
    device: &Device,
    x: Vec<f32>,
    x0: Vec<f32>,
    t: Tensor<2, Int>,
    n: Tensor<2, Int>,
    loss_want: f64,
    grad_want: &[f64],
) {
    let s = clip.image_size();
    let txt = clip.encode_text(t);
    let txt0 = clip.encode_text(n);
    let img0 = clip.encode_image(pixels(x0, s, device));
    let x = pixels(x, s, device).require_grad();
    let loss = directional_loss(clip.encode_image(x.clone()), img0, txt, txt0);
    let grads = loss.backward();
    let loss = values(loss)[0];
    assert!((loss - loss_want).abs() <= LOSS_TOL, "loss {loss} vs {loss_want}");
    let grad = values(x.grad(&grads).expect("the pixels get a gradient"));
    let scale = grad_want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let err = max_abs_diff(&grad, grad_want);
    assert!(err <= GRAD_REL_TOL * scale, "dL/dx: max |diff| {err:e} vs max |grad| {scale:e}");
    let weight = clip.vision_model.encoder.layers[0].self_attn.q_proj.weight.val();
    assert!(weight.grad(&grads).is_none(), "weights are frozen: no gradient");
    assert!(clip.visual_projection.weight.val().grad(&grads).is_none());
}

#[test]
fn model_a_directional_loss_and_gradient() {
    let device = cpu().autodiff();
    let clip = load("A", &device);
    let g = golden("golden_A.json");
    let dl = &g["directional_loss"];
    let by_name = |n: &str| {
        let im = g["images"].as_array().unwrap().iter().find(|i| i["name"] == n).unwrap();
        f64s(&im["pixel_values"]).iter().map(|&v| v as f32).collect::<Vec<_>>()
    };
    let tokenizer = ClipTokenizer::default_clip().unwrap();
    let t = tokenizer.encode_tensor(&[dl["t_prompt"].as_str().unwrap()], &device).unwrap();
    let n = tokenizer.encode_tensor(&[dl["n_prompt"].as_str().unwrap()], &device).unwrap();
    check_directional(
        &clip,
        &device,
        by_name(dl["x_image"].as_str().unwrap()),
        by_name(dl["x0_image"].as_str().unwrap()),
        t,
        n,
        dl["normalized"]["loss"].as_f64().unwrap(),
        &f64s(&dl["normalized"]["grad"]),
    );
}

#[test]
fn model_b_other_config_matches_transformers() {
    let device = cpu();
    let clip = load("B", &device);
    let g = golden("golden_B.json");
    let texts = g["text"].as_array().unwrap();
    let rows: Vec<Vec<i64>> = texts.iter().map(|t| i64s(&t["input_ids"])).collect();
    let seq = rows[0].len();
    // eos_token_id 7: pool at the first 7 (row 0 has larger ids after it), position 0 without one.
    let positions = clip.text_model.pooling_positions(&rows.concat(), seq).unwrap();
    let want_pos: Vec<usize> = texts.iter().map(|t| t["eos_index"].as_u64().unwrap() as usize).collect();
    assert_eq!(positions, want_pos);
    let pooled = values(clip.text_model.forward(ids_of(&rows, &device), &positions));
    let text = clip.encode_text(ids_of(&rows, &device));
    let text_v = values(text.clone());
    let (ht, dim) = (pooled.len() / rows.len(), clip.projection_dim());
    for (i, t) in texts.iter().enumerate() {
        assert_close(
            &format!("B text {i} pooler"),
            &pooled[i * ht..(i + 1) * ht],
            &f64s(&t["pooler_output"]),
            EMBED_TOL,
        );
        assert_close(
            &format!("B text {i} embeds"),
            &text_v[i * dim..(i + 1) * dim],
            &f64s(&t["text_embeds"]),
            EMBED_TOL,
        );
    }
    let s = clip.image_size();
    assert_eq!(s, 32);
    let images = check_preprocessing(&g, "images_b", s);
    let flat: Vec<f32> = images.iter().flat_map(|(_, v)| v.iter().copied()).collect();
    let img = clip.encode_image(pixels(flat, s, &device));
    let img_v = values(img.clone());
    for (i, im) in g["images"].as_array().unwrap().iter().enumerate() {
        assert_close(
            &format!("B image {}", im["name"]),
            &img_v[i * dim..(i + 1) * dim],
            &f64s(&im["image_embeds"]),
            EMBED_TOL,
        );
    }
    let logits = values(clip.logits_per_image(img, text));
    assert_close("B logits_per_image", &logits, &f64s(&g["logits_per_image"]), LOGIT_TOL);
}

#[test]
fn model_b_directional_loss_and_gradient() {
    let device = cpu().autodiff();
    let clip = load("B", &device);
    let g = golden("golden_B.json");
    let dl = &g["directional_loss"];
    let image = |n: &str| {
        let im = g["images"].as_array().unwrap().iter().find(|i| i["name"] == n).unwrap();
        f64s(&im["pixel_values"]).iter().map(|&v| v as f32).collect::<Vec<_>>()
    };
    let text = |i: usize| ids_of(&[i64s(&g["text"][i]["input_ids"])], &device);
    check_directional(
        &clip,
        &device,
        image(dl["x_image"].as_str().unwrap()),
        image(dl["x0_image"].as_str().unwrap()),
        text(dl["t_text"].as_u64().unwrap() as usize),
        text(dl["n_text"].as_u64().unwrap() as usize),
        dl["loss"].as_f64().unwrap(),
        &f64s(&dl["grad"]),
    );
}

#[test]
fn f16_checkpoint_loads_and_agrees() {
    // The same model A stored in float16: the loader widens to f32.
    let dir = tempfile::tempdir().unwrap();
    let src = std::fs::read(fixtures().join("A/model.safetensors")).unwrap();
    let st = safetensors::SafeTensors::deserialize(&src).unwrap();
    let converted: Vec<(String, Vec<u8>, Vec<usize>)> = st
        .tensors()
        .into_iter()
        .map(|(name, view)| {
            let bytes: Vec<u8> = view
                .data()
                .chunks_exact(4)
                .flat_map(|b| half::f16::from_f32(f32::from_le_bytes([b[0], b[1], b[2], b[3]])).to_le_bytes())
                .collect();
            (name, bytes, view.shape().to_vec())
        })
        .collect();
    let views: Vec<(String, safetensors::tensor::TensorView)> = converted
        .iter()
        .map(|(n, b, s)| {
            (n.clone(), safetensors::tensor::TensorView::new(safetensors::Dtype::F16, s.clone(), b).unwrap())
        })
        .collect();
    safetensors::serialize_to_file(views, None, &dir.path().join("model.safetensors")).unwrap();
    std::fs::copy(fixtures().join("A/config.json"), dir.path().join("config.json")).unwrap();
    let device = cpu();
    let half_clip = Clip::load(dir.path(), &device).unwrap();
    let full_clip = load("A", &device);
    let tokenizer = ClipTokenizer::default_clip().unwrap();
    let ids = tokenizer.encode_tensor(&["a photo of a cat"], &device).unwrap();
    let a = values(half_clip.encode_text(ids.clone()));
    let b = values(full_clip.encode_text(ids));
    // f16 rounding of the weights (relative 5e-4) moves embeddings of size ~1 by ~1e-2 at most.
    assert_close("f16 vs f32 text embeds", &a, &b, 2e-2);
    assert!(max_abs_diff(&a, &b) > 0.0, "the f16 weights must actually differ");
}

#[test]
fn vit_b32_shapes_with_random_weights() {
    let device = cpu();
    let config = clipvg::clip::ClipConfig::default();
    assert_eq!((config.vision_config.patch_size, config.projection_dim), (32, 512));
    let clip = config.init(&device);
    let emb = clip.encode_image(Tensor::zeros([1, 3, 224, 224], &device));
    assert_eq!(emb.dims(), [1, 512]);
    let tokenizer = ClipTokenizer::default_clip().unwrap();
    let t = clip.encode_text(tokenizer.encode_tensor(&["a red circle"], &device).unwrap());
    assert_eq!(t.dims(), [1, 512]);
    assert!(values(t).iter().all(|v| v.is_finite()));
}

// ---------- bad input: clear errors, never panics ----------

fn copy_model(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in ["config.json", "model.safetensors"] {
        std::fs::copy(fixtures().join(name).join(f), dir.path().join(f)).unwrap();
    }
    dir
}

fn load_err(dir: &std::path::Path) -> String {
    match Clip::load(dir, &cpu()) {
        Ok(_) => panic!("{} should not load", dir.display()),
        Err(e) => e.to_string(),
    }
}

#[test]
fn missing_files_name_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let msg = load_err(&dir.path().join("nowhere"));
    assert!(msg.contains("nowhere"), "{msg}");
    let dir = copy_model("A");
    std::fs::remove_file(dir.path().join("model.safetensors")).unwrap();
    let msg = load_err(dir.path());
    assert!(
        msg.contains("has no model.safetensors")
            && msg.contains("clipvg weights fetch clip-vit-base-patch32")
            && msg.contains("--model"),
        "{msg}"
    );
    std::fs::remove_file(dir.path().join("config.json")).unwrap();
    assert!(load_err(dir.path()).contains("has no config.json"));
}

#[test]
fn bad_safetensors_are_reported_with_the_file() {
    let dir = copy_model("A");
    let weights = dir.path().join("model.safetensors");
    let bytes = std::fs::read(&weights).unwrap();
    for (what, content) in [
        ("truncated", bytes[..bytes.len() - 100].to_vec()),
        ("empty", Vec::new()),
        ("not safetensors", b"PK\x03\x04 this is a zip file".to_vec()),
    ] {
        std::fs::write(&weights, &content).unwrap();
        let msg = load_err(dir.path());
        assert!(msg.contains("model.safetensors") && msg.contains("not a valid safetensors"), "{what}: {msg}");
    }
}

/// Rewrites model A's weights without `drop` and with `replace` substituted.
fn rewrite_weights(dir: &std::path::Path, drop: &str, replace: Option<(&str, Vec<usize>)>) {
    let src = std::fs::read(fixtures().join("A/model.safetensors")).unwrap();
    let st = safetensors::SafeTensors::deserialize(&src).unwrap();
    let mut owned: Vec<(String, safetensors::Dtype, Vec<usize>, Vec<u8>)> = Vec::new();
    for (name, view) in st.tensors() {
        if name == drop {
            continue;
        }
        match &replace {
            Some((key, shape)) if *key == name => {
                let n: usize = shape.iter().product();
                owned.push((name, safetensors::Dtype::F32, shape.clone(), vec![0u8; 4 * n]));
            }
            _ => owned.push((name, view.dtype(), view.shape().to_vec(), view.data().to_vec())),
        }
    }
    let views: Vec<(String, safetensors::tensor::TensorView)> = owned
        .iter()
        .map(|(n, d, s, b)| (n.clone(), safetensors::tensor::TensorView::new(*d, s.clone(), b).unwrap()))
        .collect();
    safetensors::serialize_to_file(views, None, &dir.join("model.safetensors")).unwrap();
}

#[test]
fn missing_keys_and_shape_mismatches_name_the_key() {
    let dir = copy_model("A");
    rewrite_weights(dir.path(), "vision_model.encoder.layers.1.mlp.fc2.bias", None);
    let msg = load_err(dir.path());
    assert!(msg.contains("no tensor `vision_model.encoder.layers.1.mlp.fc2.bias`"), "{msg}");
    rewrite_weights(dir.path(), "", Some(("text_projection.weight", vec![31, 48])));
    let msg = load_err(dir.path());
    assert!(msg.contains("`text_projection.weight`") && msg.contains("[31, 48]") && msg.contains("[32, 48]"), "{msg}");
    rewrite_weights(dir.path(), "", Some(("logit_scale", vec![2])));
    assert!(load_err(dir.path()).contains("`logit_scale`"));
    // Model B's weights under model A's config: the first mismatch is named.
    std::fs::copy(fixtures().join("B/model.safetensors"), dir.path().join("model.safetensors")).unwrap();
    let msg = load_err(dir.path());
    assert!(msg.contains("has shape") && msg.contains("config.json implies"), "{msg}");
}

#[test]
fn bad_configs_are_clear_errors() {
    let dir = copy_model("A");
    let config = std::fs::read_to_string(dir.path().join("config.json")).unwrap();
    let cases = [
        (config.replace("\"quick_gelu\"", "\"swish\""), "swish"),
        (config.replace("\"model_type\": \"clip\"", "\"model_type\": \"siglip\""), "siglip"),
        (config.replace("\"patch_size\": 16", "\"patch_size\": 15"), "patch_size"),
        (config.replace("\"num_attention_heads\": 4", "\"num_attention_heads\": 5"), "divisible"),
        (config.replace("\"hidden_size\": 48", "\"hidden_size\": -48"), "config.json"),
        ("{ \"text_config\": ".to_string(), "config.json"),
    ];
    for (content, needle) in cases {
        std::fs::write(dir.path().join("config.json"), &content).unwrap();
        let msg = load_err(dir.path());
        assert!(msg.contains("config.json") && msg.contains(needle), "{needle}: {msg}");
    }
    std::fs::write(dir.path().join("config.json"), [0xffu8, 0xfe, 0x7b]).unwrap();
    assert!(load_err(dir.path()).contains("UTF-8"));
    // Unknown fields and either dtype spelling are fine.
    let tolerant =
        config.replace("\"dtype\": \"float32\"", "\"torch_dtype\": \"float32\", \"some_future_field\": [1, 2]");
    std::fs::write(dir.path().join("config.json"), tolerant).unwrap();
    Clip::load(dir.path(), &cpu()).unwrap();
}

#[test]
fn invalid_token_ids_are_errors() {
    let device = cpu();
    let clip = load("B", &device);
    let too_big = ids_of(&[vec![1, 5000, 7]], &device);
    let err = clip.try_encode_text(too_big).unwrap_err().to_string();
    assert!(err.contains("5000") && err.contains("vocabulary"), "{err}");
    let too_long = ids_of(&[vec![1; 17]], &device);
    let err = clip.try_encode_text(too_long).unwrap_err().to_string();
    assert!(err.contains("17") && err.contains("max_position_embeddings"), "{err}");
}

#[test]
fn odd_images_decode_or_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let p = ImageProcessor::new(32);
    // Not an image / truncated PNG.
    let junk = dir.path().join("junk.png");
    std::fs::write(&junk, b"hello").unwrap();
    let msg = p.preprocess_file(&junk).unwrap_err().to_string();
    assert!(msg.contains("junk.png"), "{msg}");
    let png = std::fs::read(fixtures().join("images/waves_1x.png")).unwrap();
    let cut = dir.path().join("cut.png");
    std::fs::write(&cut, &png[..png.len() / 2]).unwrap();
    let msg = p.preprocess_file(&cut).unwrap_err().to_string();
    assert!(msg.contains("cut.png") && msg.contains("decode"), "{msg}");
    // A 1×1 image upsamples; a 1×5000 strip is refused rather than resized to 32×160000.
    let tiny = dir.path().join("tiny.png");
    image::RgbImage::from_pixel(1, 1, image::Rgb([10, 20, 30])).save(&tiny).unwrap();
    let out = p.preprocess_file(&tiny).unwrap();
    assert!(out.u8_chw[..32 * 32].iter().all(|&v| v == 10));
    let strip = dir.path().join("strip.png");
    image::RgbImage::new(5000, 1).save(&strip).unwrap();
    let msg = p.preprocess_file(&strip).unwrap_err().to_string();
    assert!(msg.contains("elongated"), "{msg}");
    // RGBA: composited onto white (transformers 5); fully transparent is white, opaque unchanged.
    let rgba = dir.path().join("rgba.png");
    let mut img = image::RgbaImage::from_pixel(40, 40, image::Rgba([200, 100, 50, 0]));
    img.put_pixel(20, 20, image::Rgba([200, 100, 50, 255]));
    img.save(&rgba).unwrap();
    let out = ImageProcessor::open(&rgba).unwrap();
    assert_eq!(out.get_pixel(0, 0).0, [255, 255, 255]);
    assert_eq!(out.get_pixel(20, 20).0, [200, 100, 50]);
}

#[test]
fn cli_embed_prints_json_in_input_order() {
    use clipvg_cli::clip::{EmbedArgs, embed};
    let g = golden("golden_A.json");
    let images = ["checker_1x", "gradient_1x"];
    let args = EmbedArgs {
        model: fixtures().join("A").to_string_lossy().into_owned(),
        texts: vec!["photo".into(), "a photo of a cat".into()],
        images: images.iter().map(|n| fixtures().join("images").join(format!("{n}.png"))).collect(),
        backend: clipvg::compute::BackendChoice::Cpu,
        json: true,
    };
    let mut out = Vec::new();
    embed(&args, &mut out).unwrap();
    let printed: Value = serde_json::from_slice(&out).unwrap();
    let text_want =
        |p: &str| f64s(&g["text"].as_array().unwrap().iter().find(|t| t["prompt"] == p).unwrap()["text_embeds"]);
    assert_close("cli text 0", &f64s(&printed["text"][0]), &text_want("photo"), EMBED_TOL);
    assert_close("cli text 1", &f64s(&printed["text"][1]), &text_want("a photo of a cat"), EMBED_TOL);
    for (i, n) in images.iter().enumerate() {
        let want = f64s(&g["images"].as_array().unwrap().iter().find(|im| im["name"] == *n).unwrap()["image_embeds"]);
        assert_close(&format!("cli image {n}"), &f64s(&printed["image"][i]), &want, EMBED_TOL);
    }
    let empty = EmbedArgs { texts: vec!["ok".into(), "  ".into()], images: vec![], ..args };
    let err = embed(&empty, &mut Vec::new()).unwrap_err().to_string();
    assert!(err.contains("prompt 1 is empty"), "{err}");
}

/// Model A rewritten in OpenCLIP's layout (renamed keys, fused q/k/v `in_proj`, projections
/// stored `[in, out]`) by this test's own inverse mapping; it must give model A's goldens.
#[test]
fn open_clip_layout_of_model_a_matches_goldens() {
    let src = std::fs::read(fixtures().join("A/model.safetensors")).unwrap();
    let st = safetensors::SafeTensors::deserialize(&src).unwrap();
    let renames = [
        ("vision_model.embeddings.class_embedding", "visual.class_embedding"),
        ("vision_model.embeddings.patch_embedding.weight", "visual.conv1.weight"),
        ("vision_model.embeddings.position_embedding.weight", "visual.positional_embedding"),
        ("text_model.embeddings.position_embedding.weight", "positional_embedding"),
        ("text_model.embeddings.token_embedding.weight", "token_embedding.weight"),
        ("vision_model.pre_layrnorm", "visual.ln_pre"),
        ("vision_model.post_layernorm", "visual.ln_post"),
        ("text_model.final_layer_norm", "ln_final"),
        ("vision_model.encoder.layers.", "visual.transformer.resblocks."),
        ("text_model.encoder.layers.", "transformer.resblocks."),
        (".self_attn.out_proj.", ".attn.out_proj."),
        (".layer_norm1.", ".ln_1."),
        (".layer_norm2.", ".ln_2."),
        (".mlp.fc1.", ".mlp.c_fc."),
        (".mlp.fc2.", ".mlp.c_proj."),
    ];
    let mut out: std::collections::BTreeMap<String, (Vec<usize>, Vec<u8>)> = Default::default();
    let mut fused: std::collections::BTreeMap<String, [Option<(Vec<usize>, Vec<u8>)>; 3]> = Default::default();
    for (name, view) in st.tensors() {
        let (shape, data) = (view.shape().to_vec(), view.data().to_vec());
        if name == "text_projection.weight" || name == "visual_projection.weight" {
            let (rows, cols) = (shape[0], shape[1]);
            let mut t = vec![0u8; data.len()];
            for r in 0..rows {
                for c in 0..cols {
                    t[(c * rows + r) * 4..(c * rows + r) * 4 + 4]
                        .copy_from_slice(&data[(r * cols + c) * 4..(r * cols + c) * 4 + 4]);
                }
            }
            let key = if name.starts_with("text") { "text_projection" } else { "visual.proj" };
            out.insert(key.into(), (vec![cols, rows], t));
            continue;
        }
        let mut key = name.clone();
        for (from, to) in renames {
            key = key.replace(from, to);
        }
        if let Some(j) = ["q_proj", "k_proj", "v_proj"].iter().position(|p| key.contains(&format!(".self_attn.{p}."))) {
            let param = key.rsplit('.').next().unwrap().to_string();
            let block = key.split(".self_attn.").next().unwrap().to_string();
            fused.entry(format!("{block}.attn.in_proj_{param}")).or_default()[j] = Some((shape, data));
            continue;
        }
        out.insert(key, (shape, data));
    }
    for (key, parts) in fused {
        let parts: Vec<_> = parts.into_iter().map(Option::unwrap).collect();
        let mut shape = parts[0].0.clone();
        shape[0] *= 3;
        out.insert(key, (shape, parts.into_iter().flat_map(|p| p.1).collect()));
    }
    let views: Vec<(String, safetensors::tensor::TensorView)> = out
        .iter()
        .map(|(k, (s, d))| {
            (k.clone(), safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), d).unwrap())
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    safetensors::serialize_to_file(views, None, &dir.path().join("open_clip_model.safetensors")).unwrap();
    let config = r#"{"model_cfg": {"embed_dim": 32, "quick_gelu": true,
        "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "patch_size": 16, "head_width": 16, "mlp_ratio": 2.0},
        "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 48, "heads": 4, "layers": 2, "mlp_ratio": 2.0}},
        "preprocess_cfg": {"mean": [0.48145466, 0.4578275, 0.40821073]}}"#;
    std::fs::write(dir.path().join("open_clip_config.json"), config).unwrap();

    let device = cpu();
    let clip = Clip::load(dir.path(), &device).unwrap();
    let g = golden("golden_A.json");
    let tokenizer = ClipTokenizer::default_clip().unwrap();
    let t = &g["text"][0];
    let emb = values(clip.encode_text(tokenizer.encode_tensor(&[t["prompt"].as_str().unwrap()], &device).unwrap()));
    assert_close("OpenCLIP text_embeds", &emb, &f64s(&t["text_embeds"]), EMBED_TOL);
    let im = &g["images"][0];
    let px: Vec<f32> = f64s(&im["pixel_values"]).iter().map(|&v| v as f32).collect();
    let emb = values(clip.encode_image(pixels(px, 64, &device)));
    assert_close("OpenCLIP image_embeds", &emb, &f64s(&im["image_embeds"]), EMBED_TOL);
    assert!((clip.logit_scale() - 3.0).abs() < 1e-6);

    // Architectures OpenCLIP can express but this port cannot are refused by name.
    let timm = config.replace("\"quick_gelu\": true", "\"quick_gelu\": true, \"timm_model_name\": \"vit_base\"");
    std::fs::write(dir.path().join("open_clip_config.json"), timm).unwrap();
    let msg = load_err(dir.path());
    assert!(msg.contains("timm_model_name") && msg.contains("not supported"), "{msg}");
}

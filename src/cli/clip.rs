//! Command-line glue for `clipvg clip ...` and `clipvg weights ...`: clap argument types and the
//! functions that run them. The `clipvg` binary mounts these; nothing here parses `argv`.

use std::io::Write;
use std::path::PathBuf;

use burn::tensor::Tensor;
use serde::Serialize;

use clipvg::clip::registry::{FetchProgress, Hub, Registry};
use clipvg::clip::{Clip, ClipError, ClipTokenizer, ImageProcessor, resolve_model};
use clipvg::compute::{BackendChoice, device_for};

/// `clipvg clip ...`
#[derive(Debug, Clone, clap::Subcommand)]
pub enum ClipCommand {
    /// Print CLIP embeddings (projected, not normalised) of prompts and images, in input order.
    Embed(EmbedArgs),
}

/// `clipvg clip embed`
#[derive(Debug, Clone, clap::Args)]
pub struct EmbedArgs {
    /// A HuggingFace CLIP folder (config.json + model.safetensors) or a name from
    /// `clipvg weights list` (fetched into the cache on first use).
    #[arg(long, default_value = "clip-vit-base-patch32")]
    pub model: String,
    /// A prompt to embed (repeatable).
    #[arg(long = "text", value_name = "TEXT")]
    pub texts: Vec<String>,
    /// An image file to embed (repeatable); resized and cropped as CLIP's image processor does.
    #[arg(long = "image", value_name = "FILE")]
    pub images: Vec<PathBuf>,
    /// Where to compute.
    #[arg(long, value_parser = crate::named::named::<BackendChoice>(), default_value = "auto")]
    pub backend: BackendChoice,
    /// Print `{"text": [[...]], "image": [[...]]}` instead of one line per input.
    #[arg(long)]
    pub json: bool,
}

/// `clipvg weights ...`
#[derive(Debug, Clone, clap::Subcommand)]
pub enum WeightsCommand {
    /// List the known checkpoints and whether they are in the cache.
    List,
    /// Download a checkpoint into the cache (resumable) and verify it.
    Fetch {
        /// A name from `clipvg weights list`.
        name: String,
    },
}

/// The embeddings printed by `clip embed --json`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Embeddings {
    pub text: Vec<Vec<f32>>,
    pub image: Vec<Vec<f32>>,
}

/// Runs `clipvg clip ...`, printing to stdout.
pub fn run_clip(command: &ClipCommand) -> clipvg::Result<()> {
    match command {
        ClipCommand::Embed(args) => {
            let stdout = std::io::stdout();
            embed(args, &mut stdout.lock())
        }
    }
}

/// Runs `clipvg weights ...`, printing to stdout (progress to stderr).
pub fn run_weights(command: &WeightsCommand) -> Result<(), ClipError> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let hub = Hub::from_env()?;
    let registry = Registry::builtin()?;
    let io = |e: std::io::Error| ClipError::io("<stdout>", e);
    match command {
        WeightsCommand::List => {
            for m in &registry.models {
                let mark = if m.name == registry.default { " (default)" } else { "" };
                let state = if hub.is_cached(m) { "cached" } else { "not fetched" };
                writeln!(
                    out,
                    "{}{mark}\t{}\t{state}\n    {} @ {}, licence: {}",
                    m.name, m.description, m.repo, m.revision, m.licence
                )
                .map_err(io)?;
            }
            writeln!(out, "cache: {}", hub.cache.display()).map_err(io)?;
        }
        WeightsCommand::Fetch { name } => {
            let entry = registry.get(name).ok_or_else(|| ClipError::UnknownModel {
                name: name.clone(),
                known: registry.models.iter().map(|m| m.name.clone()).collect::<Vec<_>>().join(", "),
            })?;
            let dir = hub.fetch(entry, &mut stderr_progress())?;
            eprintln!();
            writeln!(out, "{name}: verified in {}", dir.display()).map_err(io)?;
        }
    }
    Ok(())
}

/// A progress reporter that rewrites one stderr line per whole percent.
pub fn stderr_progress() -> impl FnMut(&FetchProgress) {
    let mut last = None;
    move |p: &FetchProgress| {
        let percent = p.total.filter(|&t| t > 0).map(|t| p.done * 100 / t);
        let key = (p.file.to_string(), percent.unwrap_or(p.done >> 24));
        if last.as_ref() != Some(&key) {
            match percent {
                Some(pc) => eprint!("\r{}: {} {pc:>3}% of {} MB", p.model, p.file, p.total.unwrap_or(0) >> 20),
                None => eprint!("\r{}: {} {} MB", p.model, p.file, p.done >> 20),
            }
            last = Some(key);
        }
    }
}

/// `clip embed`: resolves the model, embeds every prompt and image, writes them to `out`.
pub fn embed(args: &EmbedArgs, out: &mut dyn Write) -> clipvg::Result<()> {
    if let Some(index) = args.texts.iter().position(|t| t.trim().is_empty()) {
        return Err(ClipError::EmptyPrompt { index }.into());
    }
    let embeddings = compute_embeddings(args)?;
    let io = |e: std::io::Error| ClipError::io("<output>", e);
    if args.json {
        let json = serde_json::to_string(&embeddings).map_err(|e| ClipError::Backend(e.to_string()))?;
        writeln!(out, "{json}").map_err(io)?;
    } else {
        for (text, e) in args.texts.iter().zip(&embeddings.text) {
            writeln!(out, "text {text:?}: {e:?}").map_err(io)?;
        }
        for (path, e) in args.images.iter().zip(&embeddings.image) {
            writeln!(out, "image {}: {e:?}", path.display()).map_err(io)?;
        }
    }
    Ok(())
}

/// The embeddings `clip embed` prints.
pub fn compute_embeddings(args: &EmbedArgs) -> clipvg::Result<Embeddings> {
    let dir = resolve_model(&args.model, &mut stderr_progress())?;
    let device = device_for(args.backend)?;
    let clip = Clip::load(&dir, &device)?;
    let mut result = Embeddings { text: Vec::new(), image: Vec::new() };
    if !args.texts.is_empty() {
        let tokenizer = ClipTokenizer::for_model(&dir)?;
        let mut rows = Vec::new();
        for (i, text) in args.texts.iter().enumerate() {
            let enc = tokenizer.encode(text)?;
            if enc.is_truncated() {
                eprintln!("warning: prompt {i} has {} tokens; CLIP reads the first 75", enc.num_tokens);
            }
            rows.push(enc.ids);
        }
        let ids =
            clipvg::clip::tokenizer::ids_tensor_fit(&rows, clip.config().text_config.max_position_embeddings, &device);
        result.text = rows_of(clip.try_encode_text(ids)?)?;
    }
    if !args.images.is_empty() {
        let processor = ImageProcessor::new(clip.image_size());
        let images = args.images.iter().map(|p| processor.preprocess_file(p)).collect::<Result<Vec<_>, ClipError>>()?;
        result.image = rows_of(clip.encode_image(processor.to_tensor(&images, &device)))?;
    }
    Ok(result)
}

fn rows_of(t: Tensor<2>) -> Result<Vec<Vec<f32>>, ClipError> {
    let [_, dim] = t.dims();
    let values: Vec<f32> = t.try_into_data().map_err(|e| ClipError::Backend(format!("{e:?}")))?.iter::<f32>().collect();
    Ok(values.chunks(dim.max(1)).map(<[f32]>::to_vec).collect())
}

//! The requests of the actions that do not optimise against CLIP: `render` and `vectorize`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::edit::check;
use crate::fields;
use crate::{BackendChoice, Named, NamedValue, PixelBox, RequestError};

/// The wire names of [`RenderRequest`]'s fields.
pub const RENDER_FIELDS: &[&str] = &["render_size", "backend", "limits"];

/// `render`: the document rendered over white, as a PNG.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RenderRequest<L> {
    /// Long side of the PNG in pixels, aspect kept.
    pub render_size: u32,
    /// Where the rendering runs. Default: the front end's.
    pub backend: Option<BackendChoice>,
    /// Budgets of the run.
    pub limits: L,
}

impl<L: Default> Default for RenderRequest<L> {
    fn default() -> Self {
        RenderRequest { render_size: fields::RENDER_SIZE.number() as u32, backend: None, limits: L::default() }
    }
}

impl<L> RenderRequest<L> {
    /// Checks the render size.
    pub fn validate(&self) -> Result<(), RequestError> {
        check(&fields::RENDER_SIZE, "render_size", self.render_size as f64)
    }
}

/// One precision step of multi-round vectorization, coarse at the bottom of the stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Round {
    Coarse,
    Medium,
    Fine,
}

impl Named for Round {
    const VALUES: &'static [NamedValue<Self>] = &[
        NamedValue::new(Self::Coarse, "coarse", "Few, large regions"),
        NamedValue::new(Self::Medium, "medium", "Medium detail"),
        NamedValue::new(Self::Fine, "fine", "Fine detail"),
    ];
}

/// The wire names of [`VectorizeRequest`]'s fields.
pub const VECTORIZE_FIELDS: &[&str] =
    &["rounds", "refine_steps", "refine_seconds", "max_paths", "detail_box", "base_dir", "backend", "limits"];

/// `vectorize`: selected bitmaps replaced by stacked traced paths.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VectorizeRequest<L> {
    /// Tracing rounds, coarse first; each becomes one `<g>` stacked above the previous.
    pub rounds: Vec<Round>,
    /// Adam steps fitting the traced paths to the bitmap (L2 loss) after tracing; 0 = none,
    /// -1 (the default) = as many as `refine_seconds` allows.
    pub refine_steps: i64,
    /// The refinement's time budget when `refine_steps` is -1, in seconds of a 2-core CPU,
    /// turned into a step count before the run.
    pub refine_seconds: f64,
    /// The most paths kept over all rounds (the shapes of the upper rounds that add the least go first).
    pub max_paths: usize,
    /// An extra fine round restricted to this box of the bitmap (the paper's face round).
    pub detail_box: Option<PixelBox>,
    /// The folder that relative `<image href>` file names resolve against (the document's own
    /// folder). Default: none, so only embedded and absolute images can be read.
    pub base_dir: Option<PathBuf>,
    /// Where refinement runs. Default: the front end's.
    pub backend: Option<BackendChoice>,
    /// Budgets of the run.
    pub limits: L,
}

impl<L: Default> Default for VectorizeRequest<L> {
    fn default() -> Self {
        let rounds = fields::ROUNDS.text().split(',').map(|n| Round::from_name(n).expect("a round name")).collect();
        VectorizeRequest {
            rounds,
            refine_steps: fields::REFINE_STEPS.number() as i64,
            refine_seconds: fields::REFINE_SECONDS.number(),
            max_paths: fields::MAX_PATHS.number() as usize,
            detail_box: None,
            base_dir: None,
            backend: None,
            limits: L::default(),
        }
    }
}

impl<L> VectorizeRequest<L> {
    /// Checks the refinement's steps and budget, the path budget, the rounds and the detail box.
    pub fn validate(&self) -> Result<(), RequestError> {
        check(&fields::REFINE_STEPS, "refine_steps", self.refine_steps as f64)?;
        check(&fields::REFINE_SECONDS, "refine_seconds", self.refine_seconds)?;
        check(&fields::MAX_PATHS, "max_paths", self.max_paths as f64)?;
        if self.rounds.is_empty() {
            return Err(RequestError("request field `rounds` must name at least one round".into()));
        }
        if let Some(b) = self.detail_box {
            b.validate("detail_box")?;
        }
        Ok(())
    }
}

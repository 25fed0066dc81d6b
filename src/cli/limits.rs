//! `--limit NAME=VALUE`, the budgets of every command that reads documents, and the checks of
//! an output path made before any work.

use std::path::Path;

use clipvg_document::Limits;

/// `--limit NAME=VALUE` of the commands that read documents.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct LimitArgs {
    /// Raise (or lower) one budget for what a document may make clipvg expand or allocate, e.g.
    /// `--limit depth=4096`; repeatable. Names and defaults: include/clipvg.h (an unknown name
    /// is refused with the list).
    #[arg(long = "limit", value_name = "NAME=VALUE")]
    pub limit: Vec<String>,
}

impl LimitArgs {
    /// The default limits with every `--limit` applied.
    pub fn limits(&self) -> clipvg::Result<Limits> {
        let mut limits = Limits::default();
        self.apply(&mut limits)?;
        Ok(limits)
    }

    /// Every `--limit` applied over `limits` (the defaults, or a request file's values).
    pub fn apply(&self, limits: &mut Limits) -> clipvg::Result<()> {
        for item in &self.limit {
            let bad = |why: String| {
                clipvg::Error::InvalidInput(format!("--limit {}: {why}", clipvg::plugin::guard::echo(item)))
            };
            let (name, value) =
                item.split_once('=').ok_or_else(|| bad("expected NAME=VALUE, such as depth=4096".into()))?;
            let value: u64 = value
                .trim()
                .replace('_', "")
                .parse()
                .map_err(|_| bad("the value must be a whole number ≥ 0".into()))?;
            limits.set(name.trim(), value).map_err(bad)?;
        }
        Ok(())
    }
}

/// Checks the output before any work: not the input, and a place that can be written.
pub fn check_output(input: &Path, output: &Path) -> clipvg::Result<()> {
    clipvg::util::refuse_overwriting_input(input, output)?;
    clipvg::util::check_output(output)
}

//! Progress reports and cancellation for the document stage.
//!
//! A host (the C ABI, the Inkscape shim, the CLI) must be able to stop any load or scene
//! build, whatever the input: a hostile document can be large enough to take seconds even
//! within the [`crate::Limits`]. So every loop over elements, shapes or path commands calls a
//! `Ticker` now and then (every 4096 units of work, a few microseconds to a
//! millisecond apart), and the ticker calls the caller's observer with the stage and a rough
//! fraction. The observer returns `false` to stop; the stage then returns
//! [`crate::Error::Cancelled`] promptly, with nothing half-built handed out.

use crate::error::{Error, Result};

/// The part of the work being reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stage {
    /// Checking and parsing the XML text and indexing its elements.
    Parse,
    /// Matching `<style>` rules and running the cascade.
    Style,
    /// Building the scene (walking the render tree, converting shapes).
    Build,
    /// Writing new values back and verifying the result.
    WriteBack,
}

/// The observer a caller passes: `(stage, fraction in [0, 1]) -> keep going?`.
pub type Observer<'a> = dyn FnMut(Stage, f32) -> bool + 'a;

/// An observer that never stops anything (what the functions without `_with` use).
pub fn no_progress() -> impl FnMut(Stage, f32) -> bool {
    |_, _| true
}

/// Counts work and calls the observer every [`Ticker::EVERY`] units.
pub(crate) struct Ticker<'o, 'a> {
    observer: &'o mut Observer<'a>,
    stage: Stage,
    count: u64,
    next: u64,
}

impl<'o, 'a> Ticker<'o, 'a> {
    /// Units of work between two calls of the observer.
    pub const EVERY: u64 = 4096;

    pub fn new(observer: &'o mut Observer<'a>, stage: Stage) -> Self {
        Ticker { observer, stage, count: 0, next: Self::EVERY }
    }

    /// Switches to another stage and reports its start.
    pub fn stage(&mut self, stage: Stage) -> Result<()> {
        self.stage = stage;
        self.report(0.0)
    }

    /// Reports `fraction` of the current stage now.
    pub fn report(&mut self, fraction: f32) -> Result<()> {
        let f = if fraction.is_finite() { fraction.clamp(0.0, 1.0) } else { 0.0 };
        if (self.observer)(self.stage, f) { Ok(()) } else { Err(Error::Cancelled) }
    }

    /// Counts `units` of work; calls the observer with `fraction()` when due.
    #[inline]
    pub fn tick(&mut self, units: u64, fraction: impl FnOnce() -> f32) -> Result<()> {
        self.count = self.count.saturating_add(units);
        if self.count >= self.next {
            self.next = self.count.saturating_add(Self::EVERY);
            self.report(fraction())
        } else {
            Ok(())
        }
    }
}

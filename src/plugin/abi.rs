//! The plugin for Rust hosts: an `abi_stable` root module with the same operations as the C ABI.
//! Loading it checks, at load time, that the host and the library agree on the layout of every
//! type below (and on the crate's version), so a mismatched library is refused, not run.
//!
//! ```no_run
//! use abi_stable::library::RootModule;
//! use abi_stable::std_types::{RNone, RStr};
//! use clipvg::plugin::abi::ClipvgModRef;
//!
//! let module = ClipvgModRef::load_from_file("target/release/libclipvg.so".as_ref()).unwrap();
//! let engine = module.engine_new()(RStr::from("{}")).unwrap();
//! let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>"#;
//! let out = engine.run("inspect".into(), "{}".into(), svg.into(), (&[][..]).into(), RNone).unwrap();
//! println!("{}", out.report_json);
//! ```
//!
//! The contract is the C header's: panics inside the library are caught and returned as
//! [`ClipvgStatus::Panic`] errors and print nothing; nothing unwinds into the host; a run on a
//! busy engine returns [`ClipvgStatus::Busy`] at once; messages are escaped and bounded.

use std::panic::{AssertUnwindSafe, catch_unwind};

use abi_stable::library::RootModule;
use abi_stable::prefix_type::PrefixTypeTrait;
use abi_stable::sabi_types::VersionStrings;
use abi_stable::std_types::{RBox, ROption, RResult, RSlice, RStr, RString, RVec};
use abi_stable::type_level::downcasting::TD_Opaque;
use abi_stable::{StableAbi, declare_root_module_statics, export_root_module, package_version_strings, sabi_extern_fn};

use super::context::Progress;
use super::engine::Engine;
pub use super::ffi::ClipvgStatus;
use super::guard;

/// An error: the same status codes and messages as the C ABI.
#[repr(C)]
#[derive(StableAbi, Clone, Debug, PartialEq, Eq)]
pub struct AbiError {
    pub status: ClipvgStatus,
    /// One sentence for the user.
    pub message: RString,
}

/// The result of a successful run (see `clipvg_result_*` in the C header).
#[repr(C)]
#[derive(StableAbi, Clone, Debug)]
pub struct AbiOutput {
    /// The whole new document.
    pub svg: RString,
    /// The JSON report `{"action", "clipvg_version", "changed", "cancelled", "elapsed_s", "details"}`.
    pub report_json: RString,
    /// The rendered PNG (`render`).
    pub png: ROption<RVec<u8>>,
    pub changed: bool,
    pub cancelled: bool,
}

pub use sabi_traits::{AbiEngine, AbiEngine_TO, ProgressRef, ProgressSink, ProgressSink_TO};

#[allow(
    non_local_definitions,
    reason = "abi_stable 0.11's #[sabi_trait] expands to impls inside a const; nothing we can change here"
)]
mod sabi_traits {
    use abi_stable::std_types::{ROption, RResult, RSlice, RStr, RString};
    use abi_stable::{RMut, sabi_trait};

    use super::{AbiError, AbiOutput};

    /// Receives progress; returning `true` asks the run to stop.
    #[sabi_trait]
    pub trait ProgressSink {
        #[sabi(last_prefix_field)]
        fn report(&mut self, fraction: f64, message: RStr<'_>) -> bool;
    }

    /// A progress sink borrowed for one run: `ProgressSink_TO::from_ptr(&mut sink, TD_Opaque)`.
    pub type ProgressRef<'a> = ProgressSink_TO<'a, RMut<'a, ()>>;

    /// An engine (see `ClipvgEngine` in the C header): thread-safe; a run on an engine that is
    /// running returns a `ClipvgStatus::Busy` error at once.
    #[sabi_trait]
    pub trait AbiEngine: Send + Sync {
        /// Runs `action` (`inspect`, `render`, `edit`, `recolor`, `vectorize`) with a JSON request
        /// (empty = defaults) on `svg`, with the selected ids in selection order.
        #[sabi(last_prefix_field)]
        fn run(
            &self,
            action: RStr<'_>,
            request_json: RStr<'_>,
            svg: RStr<'_>,
            selected: RSlice<'_, RString>,
            progress: ROption<ProgressRef<'_>>,
        ) -> RResult<AbiOutput, AbiError>;
    }
}

/// An owned engine handed to the host; dropping it frees it.
pub type AbiEngineBox = AbiEngine_TO<'static, RBox<()>>;

/// The root module.
#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = ClipvgModRef)))]
#[sabi(missing_field(panic))]
pub struct ClipvgMod {
    /// The ABI version (`clipvg_abi_version`).
    pub abi_version: extern "C" fn() -> u32,
    /// Creates an engine from options JSON `{"model", "backend"}` (empty = defaults).
    #[sabi(last_prefix_field)]
    pub engine_new: extern "C" fn(options_json: RStr<'_>) -> RResult<AbiEngineBox, AbiError>,
}

impl RootModule for ClipvgModRef {
    declare_root_module_statics! {ClipvgModRef}
    const BASE_NAME: &'static str = "clipvg";
    const NAME: &'static str = "clipvg";
    const VERSION_STRINGS: VersionStrings = package_version_strings!();
}

/// The module this library exports.
#[export_root_module]
pub fn get_library() -> ClipvgModRef {
    ClipvgMod { abi_version, engine_new }.leak_into_prefix()
}

#[sabi_extern_fn]
fn abi_version() -> u32 {
    super::ABI_VERSION
}

fn error_of(e: crate::Error) -> AbiError {
    AbiError { status: ClipvgStatus::of(&e), message: guard::host_message(&e.to_string()).into() }
}

/// Runs `f` inside clipvg (a caught panic prints nothing), turning a panic into a
/// [`ClipvgStatus::Panic`] error.
fn guarded<T>(f: impl FnOnce() -> Result<T, AbiError>) -> RResult<T, AbiError> {
    let _inside = guard::Inside::enter();
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result.into(),
        Err(payload) => RResult::RErr(AbiError {
            status: ClipvgStatus::Panic,
            message: guard::host_message(&guard::internal_message(&super::ffi::panic_message(payload))).into(),
        }),
    }
}

#[sabi_extern_fn]
fn engine_new(options_json: RStr<'_>) -> RResult<AbiEngineBox, AbiError> {
    guarded(|| {
        let engine = Engine::from_json(options_json.as_str()).map_err(error_of)?;
        Ok(AbiEngine_TO::from_value(engine, TD_Opaque))
    })
}

impl AbiEngine for Engine {
    fn run(
        &self,
        action: RStr<'_>,
        request_json: RStr<'_>,
        svg: RStr<'_>,
        selected: RSlice<'_, RString>,
        progress: ROption<ProgressRef<'_>>,
    ) -> RResult<AbiOutput, AbiError> {
        guarded(|| {
            let selection: Vec<String> = selected.iter().map(|s| s.to_string()).collect();
            let mut sink = progress.into_option();
            let mut forward = |fraction: f64, message: &str| {
                let message = guard::host_message(message);
                // Host code: a panic there is the host's to see.
                guard::host_call(|| sink.as_mut().is_some_and(|s| s.report(fraction, message.as_str().into())))
            };
            let mut progress = Progress::new(Some(&mut forward));
            let out = self
                .run_json(action.as_str(), request_json.as_str(), svg.as_str(), &selection, &mut progress)
                .map_err(error_of)?;
            Ok(AbiOutput {
                svg: out.svg.into(),
                report_json: out.report_json.into(),
                png: out.png.map(RVec::from).into(),
                changed: out.changed,
                cancelled: out.cancelled,
            })
        })
    }
}

//! What a failed export returns: the status of each clipvg error (the causes a host acts on),
//! and the failures of the boundary itself (NULL, bad UTF-8, a caught panic), each made into an
//! owned [`ClipvgError`] with an escaped, bounded message.

use super::strings::NulTerminated;
use super::{ClipvgError, ClipvgStatus};
use crate::error::Error;
use crate::plugin::guard;

impl ClipvgStatus {
    /// The status of a clipvg error.
    pub(crate) fn of(error: &Error) -> ClipvgStatus {
        use crate::clip::ClipError as C;
        match error {
            Error::Io { .. } | Error::Image { .. } => ClipvgStatus::Io,
            Error::Document(_) | Error::NotSvg(_) => ClipvgStatus::InvalidDocument,
            Error::UnknownId(_) | Error::EmptySelection(_) => ClipvgStatus::InvalidSelection,
            Error::InvalidInput(_) | Error::ParamMismatch(_) => ClipvgStatus::InvalidRequest,
            Error::WriteBack(_) => ClipvgStatus::InvalidDocument,
            Error::GpuUnavailable(_) | Error::Gpu(_) | Error::Raster(_) => ClipvgStatus::Gpu,
            Error::Cancelled => ClipvgStatus::Cancelled,
            Error::Busy => ClipvgStatus::Busy,
            Error::Limit(_) => ClipvgStatus::LimitExceeded,
            Error::Internal(_) => ClipvgStatus::Panic,
            Error::Clip(clip) => match clip {
                C::MissingModelFile { .. } => ClipvgStatus::ModelMissing,
                C::Download { .. } => ClipvgStatus::ModelDownload,
                C::Verification { .. }
                | C::Safetensors { .. }
                | C::Config { .. }
                | C::MissingTensor { .. }
                | C::ShapeMismatch { .. }
                | C::UnsupportedDtype { .. }
                | C::Tokenizer { .. } => ClipvgStatus::ModelInvalid,
                C::Io { .. } | C::Image { .. } => ClipvgStatus::Io,
                C::UnknownModel { .. } | C::EmptyPrompt { .. } | C::InvalidTokens { .. } => {
                    ClipvgStatus::InvalidRequest
                }
                C::Backend(_) => ClipvgStatus::Gpu,
                C::Registry(_) => ClipvgStatus::Panic,
            },
        }
    }
}

/// Why an export failed, before it becomes a [`ClipvgError`].
pub(super) enum Failure {
    Null(&'static str),
    NotUtf8(&'static str, std::str::Utf8Error),
    Clipvg(Error),
    Panic(String),
}

impl Failure {
    pub(super) fn into_error(self) -> ClipvgError {
        let (status, message) = match self {
            Failure::Null(arg) => (ClipvgStatus::InvalidArgument, format!("argument `{arg}` is NULL")),
            Failure::NotUtf8(arg, e) => (
                ClipvgStatus::InvalidArgument,
                format!("argument `{arg}` is not valid UTF-8 (bad byte at offset {})", e.valid_up_to()),
            ),
            Failure::Clipvg(e) => (ClipvgStatus::of(&e), e.to_string()),
            Failure::Panic(what) => (ClipvgStatus::Panic, guard::internal_message(&what)),
        };
        ClipvgError { status, message: NulTerminated::new(guard::host_message(&message)) }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Clipvg(e)
    }
}

/// The text of a panic payload (a `String` or `&str` message, else "a panic").
pub fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => payload.downcast_ref::<&str>().map_or_else(|| "a panic".into(), |s| s.to_string()),
    }
}

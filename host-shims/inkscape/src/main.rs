//! `clipvg-inkscape`: the executable that Inkscape's CLIPVG `.inx` files run.
//!
//! It holds no editing logic: it turns Inkscape's arguments into (action, request JSON, SVG,
//! selected ids), loads the clipvg plugin library (`libclipvg.so`) from its own folder, runs the
//! action through the C ABI, and answers Inkscape the way Inkscape 1.2's script extensions are
//! read:
//!
//! - success: the whole new SVG on stdout, nothing on stderr;
//! - a user error: one sentence on stderr (Inkscape shows it in a dialog), nothing on stdout
//!   (Inkscape keeps the document unchanged);
//! - cancelled from the progress window: with the request's `on_cancel` "keep" (the default) the
//!   result so far on stdout as on success (an edit returns its last good state); with "discard",
//!   or when the action had nothing yet, nothing on either (the document stays unchanged).
//!
//! The exit code is 0 on success and 1 on error, though Inkscape ignores it.

mod plugin;
mod progress;
mod quiet;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clipvg_inkscape::{args, keeps_cancelled, request_json};
use plugin::{Plugin, STATUS_CANCELLED};
use progress::ProgressWindow;

/// The plugin library's file name on this platform.
fn library_file_name() -> String {
    format!("{}clipvg{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX)
}

/// The folder this executable lives in (the installed extension folder).
fn own_dir() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| format!("clipvg-inkscape cannot find its own folder ({e})"))?;
    Ok(exe.parent().map(PathBuf::from).unwrap_or_default())
}

/// One run: `Ok(Some(svg))` to hand back, `Ok(None)` for "leave the document as it is".
fn run() -> Result<Option<String>, String> {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.into_string().map_err(|a| format!("an argument is not valid UTF-8: {}", a.to_string_lossy())))
        .collect::<Result<_, _>>()?;
    let invocation = args::parse(&args)?;
    let svg = std::fs::read(&invocation.document)
        .map_err(|e| format!("cannot read the document {} ({e})", invocation.document))?;
    let svg = String::from_utf8(svg).map_err(|_| "the document is not UTF-8 text".to_string())?;
    // Relative <image> links resolve against the document's own folder, which only the
    // environment Inkscape sets up knows (the document argument is a temporary copy).
    let request = request_json(&invocation, std::env::var_os("DOCUMENT_PATH").map(PathBuf::from).as_deref());
    let library = own_dir()?.join(library_file_name());

    let mut window = ProgressWindow::from_env();
    let outcome = {
        let _silence = quiet::Silence::begin();
        Plugin::load(&library).map(|plugin| {
            plugin.run(&invocation.action, &request, &svg, &invocation.ids, &mut |fraction, message| {
                window.update(fraction, message)
            })
        })
    };
    window.finish();
    match outcome? {
        Ok(ran) if ran.cancelled && !keeps_cancelled(&invocation.request) => Ok(None),
        Ok(ran) => Ok(Some(ran.svg)),
        Err(failure) if failure.status == STATUS_CANCELLED => Ok(None),
        Err(failure) => Err(failure.message),
    }
}

/// `message` as one sentence for Inkscape's dialog: one line, capitalised, with a full stop.
fn sentence(message: &str) -> String {
    let line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut chars = line.chars();
    let mut s: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => "The clipvg plugin failed without saying why".into(),
    };
    if !s.ends_with(['.', '!', '?']) {
        s.push('.');
    }
    s
}

fn main() -> ExitCode {
    // Even a bug must reach Inkscape as one sentence, not a backtrace.
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        eprintln!("{}", sentence(&format!("clipvg-inkscape failed unexpectedly ({what}); please report it")));
    }));
    match run() {
        Ok(Some(svg)) => {
            let mut out = std::io::stdout().lock();
            // If Inkscape stopped listening there is nobody left to tell.
            let _ = out.write_all(svg.as_bytes()).and_then(|()| out.flush());
            ExitCode::SUCCESS
        }
        Ok(None) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{}", sentence(&message));
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sentence;

    #[test]
    fn messages_become_one_sentence() {
        assert_eq!(sentence("the edit action is not in this build yet"), "The edit action is not in this build yet.");
        assert_eq!(
            sentence("no element with id \"x\"\n  in the document."),
            "No element with id \"x\" in the document."
        );
        assert_eq!(sentence(""), "The clipvg plugin failed without saying why.");
    }
}

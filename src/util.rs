//! Small helpers shared by the commands: atomic file output (the one writer,
//! [`clipvg_document::fs`], whose temporary files are removed on Ctrl-C / SIGTERM), the output
//! check made before any work, the never-overwrite-the-input check.

use std::io::Write;
use std::path::Path;

pub use clipvg_document::fs::{TEST_PAUSE_ENV, remove_temp_files_on_signals};
use clipvg_document::fs::{folder_of, name_max, probe_create};

use crate::error::{Error, Result};

/// Writes `bytes` to `path` atomically ([`clipvg_document::fs::write_atomic`]: a temporary file
/// beside it, synced, renamed over it; removed on failure and on the signals of
/// [`remove_temp_files_on_signals`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    if path.file_name().is_none() {
        return Err(Error::InvalidInput(format!("{} is not a file path", path.display())));
    }
    Ok(clipvg_document::fs::write_atomic(path, bytes)?)
}

/// Checks, before any work, that `path` can be written as an output: its folder exists and is
/// a folder, `path` is not a folder, its name is not too long for the file system, and a file
/// can be created in the folder (a temporary file is created and removed to find out).
pub fn check_output(path: &Path) -> Result<()> {
    let Some(name) = path.file_name() else {
        return Err(Error::InvalidInput(format!("the output {} is not a file path", path.display())));
    };
    let dir = folder_of(path);
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(Error::InvalidInput(format!(
                "cannot write {}: {} is not a folder",
                path.display(),
                dir.display()
            )));
        }
        Err(e) => {
            return Err(Error::InvalidInput(format!(
                "cannot write {}: the folder {} is not there ({e})",
                path.display(),
                dir.display()
            )));
        }
    }
    if path.is_dir() {
        return Err(Error::InvalidInput(format!("cannot write {}: it is a folder", path.display())));
    }
    let max = name_max(dir);
    if name.len() > max {
        return Err(Error::InvalidInput(format!(
            "cannot write {}: the file name is {} bytes long, the file system allows at most {max}",
            path.display(),
            name.len()
        )));
    }
    if let Err(e) = probe_create(dir) {
        return Err(Error::InvalidInput(format!(
            "cannot write {}: no file can be created in {} ({e})",
            path.display(),
            dir.display()
        )));
    }
    Ok(())
}

/// Writes `text` to stdout; a closed or full stdout (`clipvg … | head -c1`, a full disk) is an
/// error naming standard output, never a panic as `print!` would give.
pub fn print_stdout(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes()).and_then(|()| out.flush()).map_err(|e| Error::io("standard output", e))
}

/// Refuses an output path that names the input file (also through another spelling of the
/// path): clipvg never writes over its input.
pub fn refuse_overwriting_input(input: &Path, output: &Path) -> Result<()> {
    match (input.canonicalize(), output.canonicalize()) {
        (Ok(x), Ok(y)) if x == y => Err(Error::InvalidInput(format!(
            "the output {} is the input; clipvg never overwrites its input, choose another -o",
            output.display()
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The writer itself is tested in clipvg_document::fs; here only what the wrapper adds.
    #[test]
    fn atomic_write_refuses_a_path_without_a_file_name() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.svg");
        write_atomic(&p, b"one").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"one");
        let e = write_atomic(Path::new("/"), b"x").unwrap_err().to_string();
        assert_eq!(e, "/ is not a file path");
    }

    #[test]
    fn a_name_of_the_longest_valid_length_can_be_written() {
        let dir = tempfile::tempdir().unwrap();
        let max = name_max(dir.path());
        let p = dir.path().join("n".repeat(max));
        check_output(&p).unwrap();
        write_atomic(&p, b"x").unwrap();
        let e = check_output(&dir.path().join("n".repeat(max + 1))).unwrap_err().to_string();
        assert!(e.contains("bytes long"), "{e}");
    }

    #[test]
    fn outputs_are_checked_before_work() {
        let dir = tempfile::tempdir().unwrap();
        check_output(&dir.path().join("ok.svg")).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "the probe is removed");
        let e = check_output(&dir.path().join("no/such/x.svg")).unwrap_err().to_string();
        assert!(e.contains("is not there"), "{e}");
        std::fs::write(dir.path().join("file"), "").unwrap();
        let e = check_output(&dir.path().join("file/x.svg")).unwrap_err().to_string();
        assert!(e.contains("is not a folder"), "{e}");
        let e = check_output(dir.path()).unwrap_err().to_string();
        assert!(e.contains("is a folder") || e.contains("not a file path"), "{e}");
    }
}

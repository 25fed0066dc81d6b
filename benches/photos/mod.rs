//! What the vectorization benches share: their arguments and the photos they read.

use std::path::{Path, PathBuf};

/// The value after `name` in `args`.
pub fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}

/// The folder of photos: `--photos DIR`, else `$CLIPVG_PHOTOS`, else the small fixture copies.
pub fn photo_dir(args: &[String]) -> PathBuf {
    arg(args, "--photos")
        .or_else(|| std::env::var("CLIPVG_PHOTOS").ok())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vectorize/photos"))
}

/// The PNG, JPEG and WebP files of `dir`, sorted.
pub fn photos(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("png" | "jpg" | "jpeg" | "webp")))
        .collect();
    v.sort();
    v
}

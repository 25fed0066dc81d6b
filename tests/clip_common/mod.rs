//! Helpers shared by the CLIP integration tests: fixture paths, golden files, comparisons.
#![allow(dead_code, reason = "the two test binaries that include it (clip, cli) use different parts")]

use std::path::PathBuf;

use burn::tensor::Tensor;
use serde_json::Value;

pub fn fixtures() -> PathBuf {
    // These helpers serve tests of the top-level package and of src/cli: the fixtures are in
    // the repository's tests/ folder, above either package.
    let package = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = package.ancestors().find(|d| d.join("tests/fixtures/clip").is_dir()).unwrap_or(package);
    root.join("tests/fixtures/clip")
}

pub fn golden(name: &str) -> Value {
    let path = fixtures().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn f64s(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected an array, got {v}"))
        .iter()
        .map(|x| x.as_f64().unwrap_or_else(|| panic!("not a number: {x}")))
        .collect()
}

pub fn i64s(v: &Value) -> Vec<i64> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected an array, got {v}"))
        .iter()
        .map(|x| x.as_i64().unwrap_or_else(|| panic!("not an integer: {x}")))
        .collect()
}

pub fn values<const D: usize>(t: Tensor<D>) -> Vec<f64> {
    t.into_data().iter::<f64>().collect()
}

/// Largest absolute difference; panics on length mismatch.
pub fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "length mismatch");
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

#[track_caller]
pub fn assert_close(what: &str, got: &[f64], want: &[f64], tol: f64) {
    let d = max_abs_diff(got, want);
    assert!(d <= tol, "{what}: max |diff| {d:e} > {tol:e}");
}

//! CLIP against the transformers goldens: the tokenizer, the wgpu backend (lavapipe in CI) and
//! the weights registry up to the network boundary (the CPU model's goldens run with the
//! command line's tests, `tests/cli/clip_model.rs`). One test binary; run one part with `cargo
//! test --release --test clip weights::`.

#[path = "../clip_common/mod.rs"]
mod clip_common;

mod gpu;
mod tokenizer;
mod weights;

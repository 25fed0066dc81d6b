//! The engine end to end without the command line: document → scene rules and write-back, the
//! edit (tiny random and toy semantic CLIP models), determinism, views and the workspace's
//! layering. One test binary (each one that links burn and wgpu is ~110 MB to link and keep);
//! run one part with `cargo test --release --test engine semantic::`.

#[path = "../semantic_common/mod.rs"]
mod semantic_common;

mod corpus;
mod determinism;
mod edit;
mod roi_mask;
mod scene_rules;
mod semantic;
mod semantic_controls;
mod variations;
mod views;
mod workspace_layout;
mod writeback;

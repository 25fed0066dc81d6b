//! The plugin's C ABI and manifests as hosts see them: a Rust host through abi_stable, a C host,
//! the generated header, the Inkscape `.inx` files and the host-neutral manifest. One test
//! binary; run one part with `cargo test --release --test plugin c_host::`.

#[path = "../cdylib/mod.rs"]
mod cdylib;

mod abi_stable;
mod c_host;
mod header;
mod manifest;

//! Which burn device runs the tensors: the CPU backend or wgpu on a GPU.
//!
//! The GPU is probed with wgpu itself before burn is handed the device, so a machine without an
//! adapter gets an error here instead of a panic or a hang inside burn's lazy device setup.
//! Software adapters (lavapipe, llvmpipe, WARP) count as adapters for an explicit `gpu` request
//! (CI runs the GPU path on lavapipe) but not for `auto`, where the native CPU backend is faster.

use burn::tensor::{Device, DeviceKind};
use serde::{Deserialize, Serialize};

/// The CPU backend: burn-flex, chosen over burn-ndarray by measurement (`benches/clip.rs`, ViT-B/32
/// image tower, batch 65, 2 cores): forward within 10% of ndarray either way, forward + backward
/// (the edit loop's step) 1.2x faster single-threaded and 2x faster with burn's `rayon` feature;
/// and the one burn maintains (ndarray is deprecated in burn 0.22).
pub fn cpu_device() -> Device {
    Device::flex()
}

/// The user's choice of compute device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum BackendChoice {
    /// A hardware GPU if there is one, else the CPU.
    #[default]
    Auto,
    /// The CPU backend.
    Cpu,
    /// wgpu on the best adapter, software ones included; an error if there is none.
    Gpu,
}

/// What went wrong choosing a device.
#[derive(Debug, thiserror::Error)]
pub enum ComputeError {
    /// `--backend gpu` on a machine where wgpu finds no adapter.
    #[error(
        "--backend gpu: no GPU adapter found (wgpu sees none on Vulkan, Metal or DX12); install a GPU driver (on Linux without a GPU, Mesa's lavapipe: `apt-get install mesa-vulkan-drivers`), or use --backend cpu"
    )]
    NoGpuAdapter,
}

/// One adapter as wgpu reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdapterSummary {
    pub name: String,
    pub backend: String,
    /// False for software rasterizers (lavapipe, llvmpipe, WARP).
    pub is_hardware: bool,
}

/// Lists the adapters wgpu can open on this machine through the primary APIs (Vulkan, Metal,
/// DX12). GL is left out: probing it through EGL can print to stderr (Wayland without
/// `XDG_RUNTIME_DIR`), which a host such as Inkscape shows as an error dialog.
pub fn adapters() -> Vec<AdapterSummary> {
    let mut descriptor = wgpu::InstanceDescriptor::new_without_display_handle();
    descriptor.backends = wgpu::Backends::PRIMARY;
    let instance = wgpu::Instance::new(descriptor);
    pollster::block_on(instance.enumerate_adapters(wgpu::Backends::PRIMARY))
        .into_iter()
        .map(|adapter| {
            let info = adapter.get_info();
            AdapterSummary {
                name: info.name.clone(),
                backend: format!("{:?}", info.backend),
                is_hardware: info.device_type != wgpu::DeviceType::Cpu,
            }
        })
        .collect()
}

/// The device for a choice, plain (wrap it with `.autodiff()` for gradients).
pub fn device_for(choice: BackendChoice) -> Result<Device, ComputeError> {
    match choice {
        BackendChoice::Cpu => Ok(cpu_device()),
        BackendChoice::Gpu => {
            if adapters().is_empty() {
                Err(ComputeError::NoGpuAdapter)
            } else {
                Ok(Device::wgpu(DeviceKind::DefaultDevice))
            }
        }
        BackendChoice::Auto => {
            if adapters().iter().any(|a| a.is_hardware) {
                Ok(Device::wgpu(DeviceKind::DefaultDevice))
            } else {
                Ok(cpu_device())
            }
        }
    }
}

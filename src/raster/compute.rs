//! Which burn device runs the tensors: the CPU backend or wgpu on a GPU.
//!
//! The GPU is probed with wgpu itself before burn is handed the device, so a machine without an
//! adapter gets an error here instead of a panic or a hang inside burn's lazy device setup.
//! Software adapters (lavapipe, llvmpipe, WARP) count as adapters for an explicit `gpu` request
//! (CI runs the GPU path on lavapipe) but not for `auto`, where the native CPU backend is faster.

use std::sync::{Mutex, Once, OnceLock};

use burn::tensor::{Device, DeviceKind};

/// The CPU backend: burn-flex, chosen over burn-ndarray by measurement (`benches/clip.rs`, ViT-B/32
/// image tower, batch 65, 2 cores): forward within 10% of ndarray either way, forward + backward
/// (the edit loop's step) 1.2x faster single-threaded and 2x faster with burn's `rayon` feature;
/// and the one burn maintains (ndarray is deprecated in burn 0.22).
pub fn cpu_device() -> Device {
    Device::flex()
}

pub use clipvg_request::BackendChoice;

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
    /// The largest device-local memory heap, bytes (Vulkan adapters; `None` elsewhere).
    pub memory: Option<u64>,
}

/// Lists the adapters wgpu can open on this machine through the primary APIs (Vulkan, Metal,
/// DX12). GL is left out: probing it through EGL can print to stderr (Wayland without
/// `XDG_RUNTIME_DIR`), which a host such as Inkscape shows as an error dialog.
///
/// Probed once per process (adapters do not come and go while clipvg runs), through
/// [`quietly`].
pub fn adapters() -> Vec<AdapterSummary> {
    static ADAPTERS: OnceLock<Vec<AdapterSummary>> = OnceLock::new();
    ADAPTERS
        .get_or_init(|| {
            quietly(|| {
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
                            memory: vulkan_memory(&adapter),
                        }
                    })
                    .collect()
            })
        })
        .clone()
}

/// The largest device-local heap of a Vulkan adapter, bytes: the card's own memory on a discrete
/// GPU, the driver's share of system memory on an integrated one or lavapipe. (The largest, not
/// the first: some drivers list the small host-visible BAR window first.)
fn vulkan_memory(adapter: &wgpu::Adapter) -> Option<u64> {
    // SAFETY: the hal adapter is only read (its physical device's memory properties), while
    // `adapter` keeps it alive.
    let hal = unsafe { adapter.as_hal::<wgpu::hal::api::Vulkan>() }?;
    let instance = hal.shared_instance().raw_instance();
    // SAFETY: a physical device of this instance, which the adapter keeps alive.
    let props = unsafe { instance.get_physical_device_memory_properties(hal.raw_physical_device()) };
    let count = (props.memory_heap_count as usize).min(props.memory_heaps.len());
    props.memory_heaps[..count]
        .iter()
        .filter(|heap| heap.flags.contains(ash::vk::MemoryHeapFlags::DEVICE_LOCAL))
        .map(|heap| heap.size)
        .max()
        .filter(|&size| size > 0)
}

/// Whether wgpu sees a hardware GPU (not a software rasterizer such as lavapipe): where `auto`
/// runs on the GPU.
pub fn has_hardware_gpu() -> bool {
    adapters().iter().any(|a| a.is_hardware)
}

/// Whether `device` is the CPU backend (autodiff or not).
pub fn is_cpu(device: &Device) -> bool {
    *device == cpu_device()
}

/// The device for a choice, plain (wrap it with `.autodiff()` for gradients).
pub fn device_for(choice: BackendChoice) -> Result<Device, ComputeError> {
    match choice {
        BackendChoice::Cpu => Ok(cpu_device()),
        BackendChoice::Gpu => {
            if adapters().is_empty() {
                Err(ComputeError::NoGpuAdapter)
            } else {
                Ok(gpu_device())
            }
        }
        BackendChoice::Auto => {
            if has_hardware_gpu() {
                Ok(gpu_device())
            } else {
                Ok(cpu_device())
            }
        }
    }
}

/// The memory of the GPU behind `device`, bytes, or `None`: the CPU backend, or no figure (an
/// adapter other than Vulkan's). The tensor runtime's own figure where it states one, else that
/// of the adapter it runs on as [`adapters`] lists them: the hardware ones if there are any
/// (the runtime's default device prefers them), the largest.
pub fn device_memory(device: &Device) -> Option<u64> {
    if is_cpu(device) {
        return None;
    }
    wgpu_client().properties().memory.max_memory().or_else(|| {
        let all = adapters();
        let hardware = all.iter().any(|a| a.is_hardware);
        all.iter().filter(|a| a.is_hardware == hardware).filter_map(|a| a.memory).max()
    })
}

/// The wgpu device, its runtime brought up on first use through [`quietly`]: the tensor
/// runtime probes the graphics APIs and creates its instance and device then, and never again
/// in this process.
fn gpu_device() -> Device {
    static UP: Once = Once::new();
    configure_gpu_runtime();
    let device = Device::wgpu(DeviceKind::DefaultDevice);
    UP.call_once(|| {
        quietly(|| {
            // Any operation brings the runtime up; a failure here is the caller's to meet (and
            // to report) on its own first operation, outside this probe.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                burn::tensor::Tensor::<1>::from_floats([0.0f32], &device).into_data();
            }));
        })
    });
    device
}

/// The tensor runtime's client of the wgpu device [`device_for`]`(Gpu)` gives burn (same id, same
/// client), for the rasterizer's own kernels.
pub(crate) fn wgpu_client() -> cubecl::client::Client {
    use cubecl::device::{WgpuDevice, WgpuDeviceKind};
    configure_gpu_runtime();
    cubecl::Device::Wgpu(WgpuDevice::new(WgpuDeviceKind::DefaultDevice)).client()
}

/// Configures the GPU tensor runtime (cubecl) once per process, before its first use: clipvg keeps
/// nothing of it on disk.
///
/// cubecl's defaults record every build step ("records") and keep throughput measurements (and,
/// with burn's `autotune`, which clipvg leaves out: see the workspace `Cargo.toml`, kernel
/// choices) in a database file under the outermost `Cargo.toml` above the working directory
/// (`target/environment/default.db`), else in the user's cache folder. For a plugin that is wrong
/// twice over: a host's working directory is not clipvg's to write in, and that database (turso,
/// one connection per thread) is not safe for two threads of one process — two GPU edits at once
/// failed inside its write-ahead log ("reader slot released by non-owner", then a panic in
/// `end_write_tx`). cubecl has no switch that keeps everything in memory (its throughput cache
/// opens the database even with caching off, and with it off measures again at every call), but
/// it falls back to memory, quietly, wherever the database cannot be opened: so records are off
/// and the database's folder is one that can never exist (under `/dev/null`). cubecl's `CUBECL_*`
/// variables (logging) still apply; `cubecl.toml` files are not read.
///
/// A no-op when something else in the process configured cubecl first.
fn configure_gpu_runtime() {
    use cubecl::config::{CubeClRuntimeConfig, RuntimeConfig, cache::CacheConfig};
    static CONFIGURED: Once = Once::new();
    CONFIGURED.call_once(|| {
        let mut config = CubeClRuntimeConfig::default().override_from_env();
        config.environment.records.level = cubecl::records::RecordLevel::Off;
        config.environment.path = if cfg!(unix) {
            CacheConfig::Directory("/dev/null/clipvg-keeps-no-gpu-cache".into())
        } else {
            CacheConfig::Global
        };
        let _ = CubeClRuntimeConfig::try_set(config);
    });
}

/// Runs `probe` — code that creates a Vulkan instance and lists its devices — so that the
/// drivers print nothing.
///
/// The one such output we know of: Mesa's Vulkan device-select layer (an implicit layer,
/// loaded into every Vulkan instance) connects to the Wayland compositor to find the default
/// GPU, and libwayland prints "error: XDG_RUNTIME_DIR is invalid or not set in the environment."
/// to stderr when neither `WAYLAND_DISPLAY` is an absolute socket path nor `XDG_RUNTIME_DIR`
/// is set (services, containers, headless CI). Only then, and only for the length of `probe`,
/// `WAYLAND_DISPLAY` is pointed at a path that cannot exist (`/dev/null/…`): libwayland then
/// tries that socket, fails, and says nothing; the layer falls back to its other ways of
/// choosing a GPU. The variable's old value (absent or a relative name, which could not have
/// connected either) is put back before this returns, also if `probe` panics.
///
/// Why an environment variable, and why this one. Changing the environment of a host process
/// is not free: glibc's `setenv` is serialised against other `setenv`s but not against a
/// `getenv` running on another host thread at that instant. The alternatives are worse for a
/// host: redirecting file descriptor 2 would swallow every other thread's stderr for the
/// duration (and is just as process-wide); `wl_log_set_handler_client` replaces the host's own
/// Wayland log handler for good (libwayland has no getter to put it back); setting
/// `XDG_RUNTIME_DIR` changes where the host and its children look for sockets, and would need a
/// directory created on disk; no Vulkan API disables an implicit layer. So the change is kept as
/// small as it can be: a variable that cannot alter any connection the host could have made
/// (with the old value, connecting to Wayland was already impossible), set only when the
/// message would be printed, for the few milliseconds of a probe that runs at most twice per
/// process ([`adapters`] is probed once; the tensor runtime is brought up once), serialised by a
/// lock so probes of two clipvg threads never interleave.
fn quietly<T>(probe: impl FnOnce() -> T) -> T {
    const VAR: &str = "WAYLAND_DISPLAY";
    static WINDOW: Mutex<()> = Mutex::new(());
    let _window = WINDOW.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let absolute = |name: &str| std::env::var_os(name).is_some_and(|v| v.as_encoded_bytes().first() == Some(&b'/'));
    let would_print = std::env::var_os("WAYLAND_SOCKET").is_none() && !absolute(VAR) && !absolute("XDG_RUNTIME_DIR");
    if !would_print {
        return probe();
    }
    struct Restore(Option<std::ffi::OsString>);
    impl Drop for Restore {
        fn drop(&mut self) {
            // SAFETY: see `quietly`: the change is undone as it was made, under `WINDOW`.
            match self.0.take() {
                Some(old) => unsafe { std::env::set_var(VAR, old) },
                None => unsafe { std::env::remove_var(VAR) },
            }
        }
    }
    let _restore = Restore(std::env::var_os(VAR));
    // SAFETY: the one mutation of the host's environment, justified above: a value that cannot
    // change what a connection attempt by the host would achieve, for the length of the probe.
    unsafe { std::env::set_var(VAR, "/dev/null/clipvg-no-wayland") };
    probe()
}

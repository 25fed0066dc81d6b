//! The rasterizer as a burn operation with its own backward pass, so that
//! `image = raster(points, colors, widths)` sits in one autodiff graph with the views, CLIP and
//! the loss, and burn's optimizers update the scene tensors.
//!
//! Backends: the CubeCL/wgpu backend runs the WGSL stages ([`super::gpu`]); the CPU backends
//! (Flex, NdArray) run [`super::cpu`]. The flattening, stroking and row binning run on the host
//! for both (they are O(segments) and cheap next to the per-pixel stages).

// The extension macro expands `NdArray` where no item attribute reaches it.
#![cfg_attr(
    feature = "ndarray",
    allow(deprecated, reason = "NdArray (deprecated in burn 0.22) is one of the CPU backends measured against Flex")
)]

use std::sync::Arc;

#[cfg(feature = "ndarray")]
use burn::backend::NdArray;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::ops::FloatTensorOps;
use burn::backend::tensor::FloatTensor;
use burn::backend::wgpu::{CubeBackend, CubeTensor};
use burn::backend::{Autodiff, Backend, Dispatch, Flex, TensorMetadata, backend_extension};
use burn::tensor::{Shape, Tensor, TensorData};

use super::Frame;
// The packing of scene parameters into the op's tensors lives in `params`.
use super::params::{flat_gradients, with_flat_params};
pub use super::params::{padded_lengths, scene_tensors};
use clipvg_document::scene::Scene;

/// What to render: the scene's structure (its parameter arrays are replaced by the tensors'
/// values), the size and the background.
#[derive(Clone, Debug)]
pub struct RasterJob {
    pub scene: Arc<Scene>,
    pub width: u32,
    pub height: u32,
    /// Straight RGBA.
    pub background: [f32; 4],
    /// Budgets of every render and backward of the job (`flattened_lines`, `render_pixels`,
    /// `memory_bytes`). Check them before the job runs ([`super::Frame::with_budget`]): inside
    /// the operation an exceeded budget can only unwind, with the [`crate::error::RasterError::Limit`]
    /// as the panic payload.
    pub limits: clipvg_document::Limits,
}

/// The rasterizer as a backend extension.
// burn dispatches over every enabled backend: NdArray is one only with the bench-only feature.
#[cfg_attr(feature = "ndarray", backend_extension(Autodiff, Cube, Flex, NdArray))]
#[cfg_attr(not(feature = "ndarray"), backend_extension(Autodiff, Cube, Flex))]
pub trait RasterBackend: Backend {
    /// `points [P', 2]`, `colors [C', 4]`, `widths [W']` (each padded to at least one row) →
    /// straight RGBA image `[H, W, 4]`.
    fn raster(
        points: FloatTensor<Self>,
        colors: FloatTensor<Self>,
        widths: FloatTensor<Self>,
        job: RasterJob,
    ) -> FloatTensor<Self>;

    /// Gradients of a loss with respect to the three inputs, given dL/d image.
    fn raster_backward(
        points: FloatTensor<Self>,
        colors: FloatTensor<Self>,
        widths: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        job: RasterJob,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>);
}

fn frame(job: &RasterJob, scene: &Scene) -> Frame {
    // Sizes and budgets were checked when the job was made; parameters that moved since (an
    // edit's curves grow more lines) can still exceed a budget here, where only unwinding can
    // report it: the payload is the error itself.
    match Frame::with_budget(scene, job.width, job.height, job.background, &job.limits, true, 0) {
        Ok(f) => f,
        Err(e) => std::panic::panic_any(e),
    }
}

/// A tensor's values on the host (the CPU implementations and the GPU's host-side stages read
/// their inputs this way).
pub(crate) fn host<B: Backend>(t: FloatTensor<B>) -> Vec<f32> {
    let data = pollster::block_on(B::float_into_data(t)).expect("reading a tensor from its device");
    data.convert::<f32>().try_into_vec::<f32>().expect("f32 data")
}

fn grads_to_vecs(job: &RasterJob, g: super::SceneGrad) -> [(Vec<f32>, Vec<usize>); 3] {
    flat_gradients(g, padded_lengths(&job.scene))
}

/// The CPU implementation, shared by the CPU backends.
fn cpu_raster<B: Backend>(
    points: FloatTensor<B>,
    colors: FloatTensor<B>,
    widths: FloatTensor<B>,
    job: RasterJob,
) -> FloatTensor<B> {
    let device = points.device();
    let scene = with_flat_params(&job.scene, &host::<B>(points), &host::<B>(colors), &host::<B>(widths));
    let img = frame(&job, &scene).render_cpu(&scene);
    B::float_from_data(TensorData::new(img.data, [job.height as usize, job.width as usize, 4]), &device)
}

fn cpu_raster_backward<B: Backend>(
    points: FloatTensor<B>,
    colors: FloatTensor<B>,
    widths: FloatTensor<B>,
    grad: FloatTensor<B>,
    job: RasterJob,
) -> (FloatTensor<B>, FloatTensor<B>, FloatTensor<B>) {
    let device = points.device();
    let scene = with_flat_params(&job.scene, &host::<B>(points), &host::<B>(colors), &host::<B>(widths));
    let g = frame(&job, &scene).backward_cpu(&scene, &host::<B>(grad)).expect("gradient has the image's shape");
    let [p, c, w] = grads_to_vecs(&job, g);
    (
        B::float_from_data(TensorData::new(p.0, p.1), &device),
        B::float_from_data(TensorData::new(c.0, c.1), &device),
        B::float_from_data(TensorData::new(w.0, w.1), &device),
    )
}

/// The CPU backends run the same host implementation.
macro_rules! cpu_raster_backend {
    ($($backend:ty),*) => {$(
        impl RasterBackend for $backend {
            fn raster(points: FloatTensor<Self>, colors: FloatTensor<Self>, widths: FloatTensor<Self>, job: RasterJob) -> FloatTensor<Self> {
                cpu_raster::<Self>(points, colors, widths, job)
            }
            fn raster_backward(
                points: FloatTensor<Self>,
                colors: FloatTensor<Self>,
                widths: FloatTensor<Self>,
                grad: FloatTensor<Self>,
                job: RasterJob,
            ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
                cpu_raster_backward::<Self>(points, colors, widths, grad, job)
            }
        }
    )*};
}

cpu_raster_backend!(Flex);
#[cfg(feature = "ndarray")]
cpu_raster_backend!(NdArray);

fn cube_host(t: CubeTensor) -> Vec<f32> {
    host::<CubeBackend>(t)
}

impl RasterBackend for CubeBackend {
    fn raster(
        points: FloatTensor<Self>,
        colors: FloatTensor<Self>,
        widths: FloatTensor<Self>,
        job: RasterJob,
    ) -> FloatTensor<Self> {
        let client = points.client.clone();
        let device = points.device.clone();
        let scene = with_flat_params(&job.scene, &cube_host(points), &cube_host(colors), &cube_host(widths));
        let f = frame(&job, &scene);
        let handle = super::gpu::forward(&client, &scene, &f);
        let shape = Shape::from([job.height as usize, job.width as usize, 4]);
        CubeTensor::new_contiguous(client, device, shape, handle, burn::tensor::DType::F32)
    }

    fn raster_backward(
        points: FloatTensor<Self>,
        colors: FloatTensor<Self>,
        widths: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        job: RasterJob,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        let client = points.client.clone();
        let device = points.device.clone();
        let scene = with_flat_params(&job.scene, &cube_host(points), &cube_host(colors), &cube_host(widths));
        let f = frame(&job, &scene);
        let grad = burn::backend::wgpu::into_contiguous(grad);
        let raw = super::gpu::backward(&client, &scene, &f, &grad.handle).expect("GPU backward of the rasterizer");
        let g = f.to_scene_grad(&scene, &raw.lines, raw.colors);
        let [p, c, w] = grads_to_vecs(&job, g);
        let cube = |v: (Vec<f32>, Vec<usize>)| CubeBackend::float_from_data(TensorData::new(v.0, v.1), &device);
        (cube(p), cube(c), cube(w))
    }
}

impl<B: RasterBackend, C: CheckpointStrategy> RasterBackend for Autodiff<B, C> {
    fn raster(
        points: FloatTensor<Self>,
        colors: FloatTensor<Self>,
        widths: FloatTensor<Self>,
        job: RasterJob,
    ) -> FloatTensor<Self> {
        #[derive(Debug)]
        struct RasterOp;

        impl<B: RasterBackend> Backward<B, 3> for RasterOp {
            type State = (FloatTensor<B>, FloatTensor<B>, FloatTensor<B>, RasterJob);

            fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
                let [np, nc, nw] = ops.parents;
                let grad = grads.consume::<B>(&ops.node);
                let (p, c, w, job) = ops.state;
                let (gp, gc, gw) = B::raster_backward(p, c, w, grad, job);
                if let Some(n) = np {
                    grads.register::<B>(n.id, gp);
                }
                if let Some(n) = nc {
                    grads.register::<B>(n.id, gc);
                }
                if let Some(n) = nw {
                    grads.register::<B>(n.id, gw);
                }
            }
        }

        let (pp, np) = points.into_parts();
        let (cp, nc) = colors.into_parts();
        let (wp, nw) = widths.into_parts();
        match RasterOp.prepare::<C>([np, nc, nw]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let out = B::raster(pp.clone(), cp.clone(), wp.clone(), job.clone());
                prep.finish((pp, cp, wp, job), out)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::raster(pp, cp, wp, job)),
        }
    }

    fn raster_backward(
        points: FloatTensor<Self>,
        colors: FloatTensor<Self>,
        widths: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        job: RasterJob,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        // Not differentiated again: computed on the inner backend as constants.
        let (p, _) = points.into_parts();
        let (c, _) = colors.into_parts();
        let (w, _) = widths.into_parts();
        let (g, _) = grad.into_parts();
        let device = p.device();
        let (gp, gc, gw) = B::raster_backward(p, c, w, g, job);
        (lift::<B, Self>(gp, &device), lift::<B, Self>(gc, &device), lift::<B, Self>(gw, &device))
    }
}

/// A gradient computed on the inner backend `B`, as a constant of the autodiff backend `A` over
/// it (what a backward of a backward returns: the operations are not differentiated twice).
pub(crate) fn lift<B: Backend, A: Backend<Device = B::Device>>(
    t: FloatTensor<B>,
    device: &B::Device,
) -> FloatTensor<A> {
    let data = pollster::block_on(B::float_into_data(t)).expect("reading a gradient");
    A::float_from_data(data, device)
}

/// Renders through burn: `points [P', 2]`, `colors [C', 4]`, `widths [W']` (see
/// [`padded_lengths`]) → image `[H, W, 4]` straight RGBA, differentiable on autodiff devices.
pub fn render_tensor(points: Tensor<2>, colors: Tensor<2>, widths: Tensor<1>, job: RasterJob) -> Tensor<3> {
    Tensor::from_dispatch(Dispatch::raster(points.into_dispatch(), colors.into_dispatch(), widths.into_dispatch(), job))
}

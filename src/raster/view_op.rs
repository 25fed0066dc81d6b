//! View resampling ([`crate::resample`]) as a burn operation with its own backward pass: the
//! render `[H, W, 4]` in, the views `[B, 3, S, S]` out, in the autodiff graph between the
//! rasterizer and CLIP. No copy of the render is made on the GPU; the backward needs only the
//! views (the operation is linear in the render).

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
use burn::tensor::{DType, Shape, Tensor, TensorData};

use crate::op::{host, lift};
use crate::resample::{ViewRecord, ViewSampleInfo, view_sample, view_sample_backward};

/// The views of one resampling and the sizes around them.
#[derive(Clone, Debug)]
pub struct ViewJob {
    /// The views, in output order.
    pub views: Arc<[ViewRecord]>,
    /// Render width and height in pixels.
    pub width: u32,
    /// Render height.
    pub height: u32,
    /// Output side of each view.
    pub size: u32,
    /// Samples per output pixel and axis.
    pub ss: u32,
}

impl ViewJob {
    fn info(&self) -> ViewSampleInfo {
        ViewSampleInfo {
            width: self.width,
            height: self.height,
            size: self.size,
            ss: self.ss,
            n_views: self.views.len() as u32,
            ..Default::default()
        }
    }

    fn out_shape(&self) -> [usize; 4] {
        [self.views.len(), 3, self.size as usize, self.size as usize]
    }
}

/// View resampling as a backend extension.
#[cfg_attr(feature = "ndarray", backend_extension(Autodiff, Cube, Flex, NdArray))]
#[cfg_attr(not(feature = "ndarray"), backend_extension(Autodiff, Cube, Flex))]
pub trait ViewBackend: Backend {
    /// Render `[H, W, 4]` straight RGBA → views `[B, 3, S, S]`.
    fn view_sample(render: FloatTensor<Self>, job: ViewJob) -> FloatTensor<Self>;

    /// dL/d views `[B, 3, S, S]` → dL/d render `[H, W, 4]`.
    fn view_sample_backward(grad: FloatTensor<Self>, job: ViewJob) -> FloatTensor<Self>;
}

/// The CPU backends run [`crate::resample`] on the host.
macro_rules! cpu_view_backend {
    ($($backend:ty),*) => {$(
        impl ViewBackend for $backend {
            fn view_sample(render: FloatTensor<Self>, job: ViewJob) -> FloatTensor<Self> {
                let device = render.device();
                let out = view_sample(&job.info(), &job.views, &host::<Self>(render));
                Self::float_from_data(TensorData::new(out, job.out_shape()), &device)
            }
            fn view_sample_backward(grad: FloatTensor<Self>, job: ViewJob) -> FloatTensor<Self> {
                let device = grad.device();
                let out = view_sample_backward(&job.info(), &job.views, &host::<Self>(grad));
                Self::float_from_data(TensorData::new(out, [job.height as usize, job.width as usize, 4]), &device)
            }
        }
    )*};
}

cpu_view_backend!(Flex);
#[cfg(feature = "ndarray")]
cpu_view_backend!(NdArray);

impl ViewBackend for CubeBackend {
    fn view_sample(render: FloatTensor<Self>, job: ViewJob) -> FloatTensor<Self> {
        let render = burn::backend::wgpu::into_contiguous(render);
        let (client, device) = (render.client.clone(), render.device.clone());
        let handle = crate::gpu::view_sample(&client, &job.info(), &job.views, &render.handle);
        CubeTensor::new_contiguous(client, device, Shape::from(job.out_shape()), handle, DType::F32)
    }

    fn view_sample_backward(grad: FloatTensor<Self>, job: ViewJob) -> FloatTensor<Self> {
        let grad = burn::backend::wgpu::into_contiguous(grad);
        let (client, device) = (grad.client.clone(), grad.device.clone());
        let handle = crate::gpu::view_sample_backward(&client, &job.info(), &job.views, &grad.handle);
        let shape = Shape::from([job.height as usize, job.width as usize, 4]);
        CubeTensor::new_contiguous(client, device, shape, handle, DType::F32)
    }
}

impl<B: ViewBackend, C: CheckpointStrategy> ViewBackend for Autodiff<B, C> {
    fn view_sample(render: FloatTensor<Self>, job: ViewJob) -> FloatTensor<Self> {
        #[derive(Debug)]
        struct ViewSampleOp;

        impl<B: ViewBackend> Backward<B, 1> for ViewSampleOp {
            type State = ViewJob;

            fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
                let [parent] = ops.parents;
                let grad = grads.consume::<B>(&ops.node);
                if let Some(n) = parent {
                    grads.register::<B>(n.id, B::view_sample_backward(grad, ops.state));
                }
            }
        }

        let (rp, node) = render.into_parts();
        match ViewSampleOp.prepare::<C>([node]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let out = B::view_sample(rp, job.clone());
                prep.finish(job, out)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::view_sample(rp, job)),
        }
    }

    fn view_sample_backward(grad: FloatTensor<Self>, job: ViewJob) -> FloatTensor<Self> {
        // Not differentiated again: computed on the inner backend as a constant.
        let (g, _) = grad.into_parts();
        let device = g.device();
        lift::<B, Self>(B::view_sample_backward(g, job), &device)
    }
}

/// The views of `render` (`[H, W, 4]` straight RGBA, alpha ignored) as `[B, 3, S, S]` values in
/// [0, 1] (white outside each view), differentiable on autodiff devices.
pub fn sample_views_tensor(render: Tensor<3>, job: ViewJob) -> Tensor<4> {
    Tensor::from_dispatch(Dispatch::view_sample(render.into_dispatch(), job))
}

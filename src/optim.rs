//! One masked Adam step on a parameter tensor, shared by the edit loop ([`crate::edit`]) and
//! vectorize refinement ([`crate::vectorize`]).
//!
//! A [`MaskedAdam`] owns the Adam state of one tensor (control points or colours), its learning
//! rate and a mask of the values it may move: the gradient is multiplied by the mask before the
//! step, and after it the frozen values are set back to where they started, so a frozen value
//! never drifts (not even by Adam's rounding). Colours are also kept in `[0, 1]`.

use burn::optim::{Adam, AdamConfig, AdamState, Optimizer};
use burn::tensor::{Bool, Tensor};

/// Adam on one `[N, K]` parameter tensor, with a mask of the values it may move.
pub struct MaskedAdam {
    adam: Adam,
    lr: f64,
    /// 1 where the value may move, 0 where it is frozen.
    mask: Tensor<2>,
    frozen: Tensor<2, Bool>,
    /// The starting values, restored where frozen.
    origin: Tensor<2>,
    /// Clamp the stepped values to `[0, 1]` (colours).
    unit_range: bool,
    state: Option<AdamState<2>>,
}

impl MaskedAdam {
    /// Adam with step `lr` and `epsilon` on a tensor starting at `origin`; `mask` (same shape, on
    /// the same device) is 1 where a value may move and 0 where it stays. `unit_range` keeps the
    /// values in `[0, 1]`.
    pub fn new(lr: f64, epsilon: f32, origin: Tensor<2>, mask: Tensor<2>, unit_range: bool) -> Self {
        let frozen = mask.clone().equal_elem(0.0);
        let adam = AdamConfig::new().with_epsilon(epsilon).build();
        MaskedAdam { adam, lr, mask, frozen, origin, unit_range, state: None }
    }

    /// The default epsilon of burn's Adam (what vectorize refinement uses).
    pub const DEFAULT_EPSILON: f32 = 1e-5;

    /// One step: the new values of `value` given the loss gradient `grad` (both plain tensors,
    /// not autodiff ones). Updates the Adam state.
    pub fn step(&mut self, value: Tensor<2>, grad: Tensor<2>) -> Tensor<2> {
        let (stepped, state) = self.adam.step(self.lr, value, grad * self.mask.clone(), self.state.take());
        self.state = state;
        let stepped = if self.unit_range { stepped.clamp(0.0, 1.0) } else { stepped };
        stepped.mask_where(self.frozen.clone(), self.origin.clone())
    }
}

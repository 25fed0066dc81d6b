//! A scalar type for writing geometry once and differentiating it exactly.
//!
//! Stroke outlines are nonlinear in their inputs (normals, miters, arcs). Their code is generic
//! over [`Scalar`]: the forward pass runs it on `f64`, the backward pass on [`Dual`] (forward-mode
//! automatic differentiation with [`N_IN`] partials: three input points and a half width), which
//! gives the Jacobian of exactly what the forward pass computed.

use std::ops::{Add, Div, Mul, Neg, Sub};

/// Inputs of one stroke-outline vertex: `prev.xy, v.xy, next.xy, half_width`.
pub const N_IN: usize = 7;

/// The operations the geometry code needs.
pub trait Scalar:
    Copy + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self> + Neg<Output = Self>
{
    fn c(v: f64) -> Self;
    fn val(self) -> f64;
    fn sqrt(self) -> Self;
    fn sin(self) -> Self;
    fn cos(self) -> Self;
    fn atan2(self, x: Self) -> Self;
}

impl Scalar for f64 {
    fn c(v: f64) -> Self {
        v
    }
    fn val(self) -> f64 {
        self
    }
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
    fn sin(self) -> Self {
        f64::sin(self)
    }
    fn cos(self) -> Self {
        f64::cos(self)
    }
    fn atan2(self, x: Self) -> Self {
        f64::atan2(self, x)
    }
}

/// A value with its partial derivatives with respect to the [`N_IN`] inputs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dual {
    pub v: f64,
    pub d: [f64; N_IN],
}

impl Dual {
    /// The `i`-th input variable with value `v`.
    pub fn var(v: f64, i: usize) -> Dual {
        let mut d = [0.0; N_IN];
        d[i] = 1.0;
        Dual { v, d }
    }

    fn map(self, v: f64, dv: f64) -> Dual {
        Dual { v, d: self.d.map(|x| x * dv) }
    }
}

impl Add for Dual {
    type Output = Dual;
    fn add(self, o: Dual) -> Dual {
        let mut d = self.d;
        for (a, b) in d.iter_mut().zip(o.d) {
            *a += b;
        }
        Dual { v: self.v + o.v, d }
    }
}

impl Sub for Dual {
    type Output = Dual;
    fn sub(self, o: Dual) -> Dual {
        self + (-o)
    }
}

impl Neg for Dual {
    type Output = Dual;
    fn neg(self) -> Dual {
        Dual { v: -self.v, d: self.d.map(|x| -x) }
    }
}

impl Mul for Dual {
    type Output = Dual;
    fn mul(self, o: Dual) -> Dual {
        let mut d = [0.0; N_IN];
        for (i, x) in d.iter_mut().enumerate() {
            *x = self.d[i] * o.v + self.v * o.d[i];
        }
        Dual { v: self.v * o.v, d }
    }
}

impl Div for Dual {
    type Output = Dual;
    fn div(self, o: Dual) -> Dual {
        let inv = 1.0 / o.v;
        let mut d = [0.0; N_IN];
        for (i, x) in d.iter_mut().enumerate() {
            *x = (self.d[i] * o.v - self.v * o.d[i]) * inv * inv;
        }
        Dual { v: self.v * inv, d }
    }
}

impl Scalar for Dual {
    fn c(v: f64) -> Self {
        Dual { v, d: [0.0; N_IN] }
    }
    fn val(self) -> f64 {
        self.v
    }
    fn sqrt(self) -> Self {
        let s = self.v.sqrt();
        self.map(s, if s > 0.0 { 0.5 / s } else { 0.0 })
    }
    fn sin(self) -> Self {
        self.map(self.v.sin(), self.v.cos())
    }
    fn cos(self) -> Self {
        self.map(self.v.cos(), -self.v.sin())
    }
    fn atan2(self, x: Self) -> Self {
        // d atan2(y, x) = (x dy − y dx) / (x² + y²)
        let r2 = self.v * self.v + x.v * x.v;
        let mut d = [0.0; N_IN];
        if r2 > 0.0 {
            for (i, v) in d.iter_mut().enumerate() {
                *v = (x.v * self.d[i] - self.v * x.d[i]) / r2;
            }
        }
        Dual { v: self.v.atan2(x.v), d }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Central differences of a scalar function of the 7 inputs.
    fn fd(f: impl Fn([f64; N_IN]) -> f64, x: [f64; N_IN]) -> [f64; N_IN] {
        let h = 1e-6;
        std::array::from_fn(|i| {
            let (mut a, mut b) = (x, x);
            a[i] += h;
            b[i] -= h;
            (f(a) - f(b)) / (2.0 * h)
        })
    }

    fn expr<T: Scalar>(x: [T; N_IN]) -> T {
        let a = (x[0] * x[1] + x[2]).sqrt();
        let b = x[3].atan2(x[4]).sin() * x[5].cos();
        a / (b + T::c(3.0)) - x[6] * x[6]
    }

    #[test]
    fn dual_matches_finite_differences() {
        let x = [1.3, 0.7, 2.0, -0.4, 0.9, 0.3, 1.7];
        let vars: [Dual; N_IN] = std::array::from_fn(|i| Dual::var(x[i], i));
        let d = expr(vars);
        assert!((d.v - expr(x)).abs() < 1e-12);
        let g = fd(expr::<f64>, x);
        for i in 0..N_IN {
            assert!((d.d[i] - g[i]).abs() < 1e-7, "partial {i}: {} vs {}", d.d[i], g[i]);
        }
    }
}

//! Minimising a smooth objective with L-BFGS (argmin's, memory 10, Moré–Thuente line
//! search) when one call computes the loss and the gradient together: argmin asks for
//! the cost and the gradient separately, so the last evaluation is kept and reused.

use argmin::core::{CostFunction, Error, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use std::sync::Mutex;

/// The last evaluation: parameters, loss, gradient.
type Evaluation = (Vec<f64>, f64, Vec<f64>);

struct Objective<F> {
    evaluate: F,
    last: Mutex<Option<Evaluation>>,
}

impl<F: Fn(&[f64]) -> (f64, Vec<f64>)> Objective<F> {
    fn at(&self, p: &[f64]) -> (f64, Vec<f64>) {
        if let Ok(last) = self.last.lock()
            && let Some((at, loss, grad)) = last.as_ref()
            && at.as_slice() == p
        {
            return (*loss, grad.clone());
        }
        let (loss, grad) = (self.evaluate)(p);
        if let Ok(mut last) = self.last.lock() {
            *last = Some((p.to_vec(), loss, grad.clone()));
        }
        (loss, grad)
    }
}

impl<F: Fn(&[f64]) -> (f64, Vec<f64>)> CostFunction for Objective<F> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, p: &Vec<f64>) -> Result<f64, Error> {
        Ok(self.at(p).0)
    }
}

impl<F: Fn(&[f64]) -> (f64, Vec<f64>)> Gradient for Objective<F> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, p: &Vec<f64>) -> Result<Vec<f64>, Error> {
        Ok(self.at(p).1)
    }
}

/// The minimum found: parameters, objective, iterations.
pub struct Minimum {
    pub params: Vec<f64>,
    pub objective: f64,
    pub iterations: u64,
}

/// Minimises `evaluate` (returning loss and gradient) from `start`, stopping when the
/// gradient's norm is below `tolerance`, after `max_iter` iterations, or when an
/// iteration no longer changes the objective beyond float64 precision: by less than
/// `64 ε · max(1, |f(start)|)`, the relative test scikit-learn gives SciPy's L-BFGS
/// (`ftol = 64 · ε`). There is no other, hidden tolerance.
pub fn minimize(
    evaluate: impl Fn(&[f64]) -> (f64, Vec<f64>),
    start: Vec<f64>,
    max_iter: u64,
    tolerance: f64,
) -> Result<Minimum, String> {
    let objective = Objective {
        evaluate,
        last: Mutex::new(None),
    };
    let scale = objective.at(&start).0.abs().max(1.0);
    let tolerance_cost = if scale.is_finite() {
        64.0 * f64::EPSILON * scale
    } else {
        0.0
    };
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 10)
        .with_tolerance_grad(tolerance)
        .and_then(|s| s.with_tolerance_cost(tolerance_cost))
        .map_err(|e| format!("cannot set up L-BFGS: {e}"))?;
    let result = Executor::new(objective, solver)
        .configure(|state| state.param(start).max_iters(max_iter))
        .run()
        .map_err(|e| format!("L-BFGS failed: {e}"))?;
    let state = result.state();
    Ok(Minimum {
        params: state
            .get_best_param()
            .cloned()
            .ok_or("L-BFGS returned no parameters")?,
        objective: state.get_best_cost(),
        iterations: state.get_iter(),
    })
}

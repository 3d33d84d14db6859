//! The aggregates of two columns: `corr`, `covar_pop` and `covar_samp` (the co-moments
//! of x and y) and `arg_min`/`arg_max` (the value of x on the row where y is smallest or
//! largest).
//!
//! Both columns reach the kernel packed into one struct column ([`pack`]), so states,
//! two-phase merging, spilling and window frames treat them as any one-column aggregate.
//! A row counts only when x and y are both non-null, as in Spark, DuckDB and Polars.
//! `covar_pop` is null over no pair, `covar_samp` over fewer than two; `corr` is null
//! over fewer than two pairs or when x or y does not vary (Sluice's rule that a
//! division by zero is null; DuckDB gives NaN there). Co-moments are updated with
//! Welford's recurrence and merged with Chan et al.'s formula, so partitions combine
//! without the cancellation of the textbook `Σxy - ΣxΣy/n`. `arg_min`/`arg_max` compare
//! y in Arrow's row order (NaN above every number) and keep the first row in input order
//! among ties, so the answer does not depend on the thread count.

use super::{AccState, AggregateKernel, Key};
use crate::kernels::KernelError;
use arrow::array::{Array, ArrayRef, AsArray, Float64Array, StructArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType as A, Field, Fields};
use std::sync::Arc;

/// Whether `function` (as written) aggregates two columns.
pub fn takes_two_columns(function: &str) -> bool {
    matches!(
        function,
        "corr" | "covar_pop" | "covar_samp" | "arg_min" | "arg_max"
    )
}

/// The two argument columns as the one column a two-column aggregate reads.
pub fn pack(x: ArrayRef, y: ArrayRef) -> Result<ArrayRef, KernelError> {
    let fields = Fields::from(vec![
        Field::new("x", x.data_type().clone(), true),
        Field::new("y", y.data_type().clone(), true),
    ]);
    Ok(Arc::new(StructArray::try_new(fields, vec![x, y], None)?))
}

/// The two columns of a packed argument.
fn unpack(values: Option<&ArrayRef>) -> Result<(ArrayRef, ArrayRef), KernelError> {
    let packed = values
        .and_then(|v| v.as_struct_opt())
        .filter(|s| s.num_columns() == 2)
        .ok_or_else(|| {
            KernelError("internal error: a two-column aggregate without its columns".into())
        })?;
    Ok((packed.column(0).clone(), packed.column(1).clone()))
}

/// Count, means, sums of squared deviations and the co-moment of (x, y) pairs.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CoMoments {
    pub n: i64,
    pub mean_x: f64,
    pub mean_y: f64,
    pub m2_x: f64,
    pub m2_y: f64,
    pub c: f64,
}

impl CoMoments {
    fn add(&mut self, x: f64, y: f64) {
        self.n += 1;
        let n = self.n as f64;
        let dx = x - self.mean_x;
        self.mean_x += dx / n;
        let dy = y - self.mean_y;
        self.mean_y += dy / n;
        self.c += dx * (y - self.mean_y);
        self.m2_x += dx * (x - self.mean_x);
        self.m2_y += dy * (y - self.mean_y);
    }

    /// Chan et al.'s combination of two partitions' co-moments.
    pub fn merge(&mut self, other: &CoMoments) {
        if other.n == 0 {
            return;
        }
        let (a, b) = (self.n as f64, other.n as f64);
        let total = a + b;
        let dx = other.mean_x - self.mean_x;
        let dy = other.mean_y - self.mean_y;
        self.c += other.c + dx * dy * a * b / total;
        self.m2_x += other.m2_x + dx * dx * a * b / total;
        self.m2_y += other.m2_y + dy * dy * a * b / total;
        self.mean_x += dx * b / total;
        self.mean_y += dy * b / total;
        self.n += other.n;
    }

    fn result(&self, function: &str) -> Option<f64> {
        let n = self.n as f64;
        match function {
            "covar_pop" => (self.n > 0).then(|| self.c / n),
            "covar_samp" => (self.n > 1).then(|| self.c / (n - 1.0)),
            _ => {
                let spread = (self.m2_x * self.m2_y).sqrt();
                (self.n > 1 && spread > 0.0).then(|| self.c / spread)
            }
        }
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend(self.n.to_le_bytes());
        for v in [self.mean_x, self.mean_y, self.m2_x, self.m2_y, self.c] {
            out.extend(v.to_le_bytes());
        }
    }
}

impl AggregateKernel {
    /// Folds packed (x, y) rows into the states: row `r` goes to `states[group_of[r]]`.
    pub(super) fn update_pairs(
        &self,
        states: &mut [AccState],
        group_of: &[u32],
        values: Option<&ArrayRef>,
    ) -> Result<(), KernelError> {
        let (x, y) = unpack(values)?;
        let both = |r: usize| x.is_valid(r) && y.is_valid(r);
        if matches!(self.function.as_str(), "arg_min" | "arg_max") {
            let (Some(values_in_rows), Some(by_in_rows)) = (&self.converter, &self.by_converter)
            else {
                return Err(KernelError(
                    "internal error: arg_min without converters".into(),
                ));
            };
            let xs = values_in_rows.convert_columns(std::slice::from_ref(&x))?;
            let ys = by_in_rows.convert_columns(std::slice::from_ref(&y))?;
            for (r, &g) in group_of.iter().enumerate() {
                if let AccState::ArgBest(best) = &mut states[g as usize]
                    && both(r)
                {
                    let by = ys.row(r);
                    if best
                        .as_ref()
                        .is_none_or(|(b, _)| self.beats(by.as_ref(), b))
                    {
                        *best = Some((by.as_ref().into(), xs.row(r).as_ref().into()));
                    }
                }
            }
            return Ok(());
        }
        let floats = |a: &ArrayRef| -> Result<Float64Array, KernelError> {
            Ok(cast(a, &A::Float64)?.as_primitive().clone())
        };
        let (fx, fy) = (floats(&x)?, floats(&y)?);
        for (r, &g) in group_of.iter().enumerate() {
            if let AccState::CoMoments(m) = &mut states[g as usize]
                && both(r)
            {
                m.add(fx.value(r), fy.value(r));
            }
        }
        Ok(())
    }

    /// Whether `by` is strictly better than `best` (smaller for arg_min, larger for
    /// arg_max): ties keep the earlier row.
    pub(super) fn beats(&self, by: &[u8], best: &Key) -> bool {
        if self.function == "arg_max" {
            by > &best[..]
        } else {
            by < &best[..]
        }
    }

    /// The co-moment aggregates' results, one per state.
    pub(super) fn finish_co_moments(&self, accs: &[&AccState]) -> ArrayRef {
        Arc::new(
            accs.iter()
                .map(|a| match a {
                    AccState::CoMoments(m) => m.result(&self.function),
                    _ => None,
                })
                .collect::<Float64Array>(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn co_moments_merge_like_one_pass_and_match_the_definitions() {
        let pairs = [
            (1.0, 2.0),
            (2.0, 4.5),
            (4.0, 7.0),
            (-3.0, 0.5),
            (10.0, 21.0),
        ];
        let mut one = CoMoments::default();
        pairs.iter().for_each(|&(x, y)| one.add(x, y));
        let (mut a, mut b) = (CoMoments::default(), CoMoments::default());
        pairs[..2].iter().for_each(|&(x, y)| a.add(x, y));
        pairs[2..].iter().for_each(|&(x, y)| b.add(x, y));
        a.merge(&b);
        let n = pairs.len() as f64;
        let mx = pairs.iter().map(|p| p.0).sum::<f64>() / n;
        let my = pairs.iter().map(|p| p.1).sum::<f64>() / n;
        let c: f64 = pairs.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        let vx: f64 = pairs.iter().map(|p| (p.0 - mx).powi(2)).sum();
        let vy: f64 = pairs.iter().map(|p| (p.1 - my).powi(2)).sum();
        for m in [one, a] {
            let close = |u: Option<f64>, v: f64| (u.unwrap() - v).abs() < 1e-12;
            assert!(close(m.result("covar_pop"), c / n));
            assert!(close(m.result("covar_samp"), c / (n - 1.0)));
            assert!(close(m.result("corr"), c / (vx * vy).sqrt()));
        }
        let mut flat = CoMoments::default();
        flat.add(1.0, 5.0);
        assert_eq!(flat.result("covar_samp"), None);
        assert_eq!(flat.result("covar_pop"), Some(0.0));
        flat.add(1.0, 6.0);
        assert_eq!(flat.result("corr"), None, "x does not vary");
    }
}

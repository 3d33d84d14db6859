//! A labelled feature matrix: `rows` rows of `cols` dense features, row-major, then
//! optionally sparse features (term vectors) after them, with a label and a weight per
//! row. Estimators walk it in chunks of [`CHUNK_ROWS`] rows in parallel.

use super::in_order::ReduceInOrder;
use rayon::prelude::*;

/// Rows per chunk of parallel work: large enough to amortize scheduling, small enough
/// to balance two to sixteen cores.
pub const CHUNK_ROWS: usize = 8192;

#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    pub rows: usize,
    pub cols: usize,
    /// `rows × cols` values, row after row.
    pub features: Vec<f64>,
    pub labels: Vec<f64>,
    /// Per-row weights (class weights, say); all 1 when absent.
    pub weights: Option<Vec<f64>>,
    /// Sparse features, numbered from `cols` on.
    pub sparse: Option<Sparse>,
}

/// Sparse rows: row `i`'s (feature index, value) pairs are
/// `entries[offsets[i]..offsets[i + 1]]`; indices count from the first dense feature.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Sparse {
    /// Sparse features in all (the width beyond the dense ones).
    pub dim: usize,
    pub offsets: Vec<usize>,
    pub entries: Vec<(u32, f64)>,
}

/// One row's features: dense values, then sparse pairs.
#[derive(Clone, Copy, Debug)]
pub struct Row<'a> {
    pub dense: &'a [f64],
    pub sparse: &'a [(u32, f64)],
}

impl Row<'_> {
    /// `w · x` over all features (`w` as wide as the dataset).
    pub fn dot(&self, w: &[f64]) -> f64 {
        let d: f64 = self.dense.iter().zip(w).map(|(x, w)| x * w).sum();
        d + self
            .sparse
            .iter()
            .map(|(j, x)| w[*j as usize] * x)
            .sum::<f64>()
    }

    /// All `width` features as one dense row.
    pub fn to_dense(&self, width: usize) -> Vec<f64> {
        let mut out = vec![0.0; width];
        out[..self.dense.len()].copy_from_slice(self.dense);
        for (j, x) in self.sparse {
            out[*j as usize] = *x;
        }
        out
    }

    /// `acc += r · x`.
    pub fn add_scaled(&self, acc: &mut [f64], r: f64) {
        for (a, x) in acc.iter_mut().zip(self.dense) {
            *a += r * x;
        }
        for (j, x) in self.sparse {
            acc[*j as usize] += r * x;
        }
    }

    /// Calls `f(index, value)` for every non-zero feature.
    pub fn for_each(&self, mut f: impl FnMut(usize, f64)) {
        for (j, x) in self.dense.iter().enumerate() {
            f(j, *x);
        }
        for (j, x) in self.sparse {
            f(*j as usize, *x);
        }
    }
}

/// One chunk of rows: its features, labels and weights.
pub struct Chunk<'a> {
    pub features: &'a [f64],
    pub labels: &'a [f64],
    pub weights: Option<&'a [f64]>,
    pub cols: usize,
    /// The chunk's first row in the dataset, and the dataset's sparse rows.
    first: usize,
    sparse: Option<&'a Sparse>,
}

impl Chunk<'_> {
    pub fn rows(&self) -> usize {
        self.labels.len()
    }

    pub fn row(&self, i: usize) -> &[f64] {
        &self.features[i * self.cols..(i + 1) * self.cols]
    }

    pub fn weight(&self, i: usize) -> f64 {
        self.weights.map_or(1.0, |w| w[i])
    }

    /// Row `i`'s dense and sparse features.
    pub fn features(&self, i: usize) -> Row<'_> {
        Row {
            dense: self.row(i),
            sparse: sparse_row(self.sparse, self.first + i),
        }
    }
}

fn sparse_row(sparse: Option<&Sparse>, i: usize) -> &[(u32, f64)] {
    match sparse {
        Some(s) => &s.entries[s.offsets[i]..s.offsets[i + 1]],
        None => &[],
    }
}

impl Dataset {
    /// A dataset from row-major features and labels; `None` when the sizes disagree.
    pub fn new(cols: usize, features: Vec<f64>, labels: Vec<f64>) -> Option<Dataset> {
        let rows = labels.len();
        (features.len() == rows * cols).then_some(Dataset {
            rows,
            cols,
            features,
            labels,
            weights: None,
            sparse: None,
        })
    }

    pub fn row(&self, i: usize) -> &[f64] {
        &self.features[i * self.cols..(i + 1) * self.cols]
    }

    /// Row `i`'s dense and sparse features.
    pub fn features_of(&self, i: usize) -> Row<'_> {
        Row {
            dense: self.row(i),
            sparse: sparse_row(self.sparse.as_ref(), i),
        }
    }

    /// Makes the sparse features dense (for estimators that read dense rows only:
    /// one-hot columns and components into a regression, a tree or k-means). Refuses
    /// more than 2^28 values.
    pub fn densify(&mut self) -> Result<(), String> {
        let Some(sparse) = self.sparse.take() else {
            return Ok(());
        };
        let width = self.cols + sparse.dim;
        if self.rows.saturating_mul(width) > 1 << 28 {
            return Err(format!(
                "{} rows × {width} features is too large to make dense; use logistic_regression or naive_bayes on term vectors",
                self.rows
            ));
        }
        let mut features = vec![0.0; self.rows * width];
        for i in 0..self.rows {
            let out = &mut features[i * width..(i + 1) * width];
            out[..self.cols].copy_from_slice(self.row(i));
            for (j, x) in &sparse.entries[sparse.offsets[i]..sparse.offsets[i + 1]] {
                out[*j as usize] = *x;
            }
        }
        self.features = features;
        self.cols = width;
        Ok(())
    }

    /// The mean over rows of a per-chunk (loss, gradient) sum: each chunk's `f` runs in
    /// parallel, the sums are combined and divided by the row count. The common core
    /// of the gradient-trained estimators.
    pub fn mean_over_chunks(
        &self,
        len: usize,
        f: impl Fn(Chunk<'_>) -> (f64, Vec<f64>) + Sync + Send,
    ) -> (f64, Vec<f64>) {
        let (loss, mut grad) = self.par_chunks().map(f).reduce_in_order(
            || (0.0, vec![0.0; len]),
            |(l1, mut g1), (l2, g2)| {
                for (a, b) in g1.iter_mut().zip(&g2) {
                    *a += b;
                }
                (l1 + l2, g1)
            },
        );
        let n = self.rows.max(1) as f64;
        for g in &mut grad {
            *g /= n;
        }
        (loss / n, grad)
    }

    /// Dense and sparse features in all.
    pub fn width(&self) -> usize {
        self.cols + self.sparse.as_ref().map_or(0, |s| s.dim)
    }

    /// The rows in chunks, in parallel.
    /// Chunks follow the labels, so a dataset with only sparse features (no dense
    /// column) has its chunks too.
    pub fn par_chunks(&self) -> impl IndexedParallelIterator<Item = Chunk<'_>> {
        self.labels
            .par_chunks(CHUNK_ROWS)
            .enumerate()
            .map(move |(k, labels)| Chunk {
                features: &self.features
                    [k * CHUNK_ROWS * self.cols..(k * CHUNK_ROWS + labels.len()) * self.cols],
                labels,
                weights: self.weights.as_ref().map(|w| {
                    let start = k * CHUNK_ROWS;
                    &w[start..start + labels.len()]
                }),
                cols: self.cols,
                first: k * CHUNK_ROWS,
                sparse: self.sparse.as_ref(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sparse_only_rows_are_chunked() {
        let rows = CHUNK_ROWS + 3;
        let mut data =
            Dataset::new(0, Vec::new(), vec![1.0; rows]).unwrap_or_else(|| unreachable!());
        data.sparse = Some(Sparse {
            dim: 2,
            offsets: (0..=rows).collect(),
            entries: (0..rows).map(|i| ((i % 2) as u32, 1.0)).collect(),
        });
        let seen: Vec<(usize, usize)> = data
            .par_chunks()
            .map(|c| {
                (
                    c.rows(),
                    (0..c.rows()).map(|i| c.features(i).sparse.len()).sum(),
                )
            })
            .collect();
        assert_eq!(seen, [(CHUNK_ROWS, CHUNK_ROWS), (3, 3)]);
        assert_eq!(data.width(), 2);
    }
}

//! A labelled feature matrix: `rows` rows of `cols` features, row-major, with a label
//! and a weight per row. Estimators walk it in chunks of [`CHUNK_ROWS`] rows in
//! parallel.

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
}

/// One chunk of rows: its features, labels and weights.
pub struct Chunk<'a> {
    pub features: &'a [f64],
    pub labels: &'a [f64],
    pub weights: Option<&'a [f64]>,
    pub cols: usize,
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
        })
    }

    pub fn row(&self, i: usize) -> &[f64] {
        &self.features[i * self.cols..(i + 1) * self.cols]
    }

    /// The rows in chunks, in parallel.
    pub fn par_chunks(&self) -> impl IndexedParallelIterator<Item = Chunk<'_>> {
        let cols = self.cols.max(1);
        self.features
            .par_chunks(CHUNK_ROWS * cols)
            .zip(self.labels.par_chunks(CHUNK_ROWS))
            .enumerate()
            .map(move |(k, (features, labels))| Chunk {
                features,
                labels,
                weights: self.weights.as_ref().map(|w| {
                    let start = k * CHUNK_ROWS;
                    &w[start..start + labels.len()]
                }),
                cols: self.cols,
            })
    }
}

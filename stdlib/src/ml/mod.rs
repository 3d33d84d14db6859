//! Machine learning for pipelines: feature transformers, estimators and evaluation
//! metrics, over dense `f64` rows. Training is data-parallel: each estimator computes
//! per-chunk statistics or gradients with rayon and combines them (the tree
//! aggregation MLlib does across executors), so it scales with cores.
//!
//! - [`dataset`]: a labelled feature matrix, row-major, and its parallel chunks;
//! - [`standardize`]: zero mean, unit variance, fitted on training data;
//! - [`logistic_regression`]: binary logistic regression, L2, class weights, L-BFGS;
//! - [`binary_metrics`]: accuracy, precision, recall, F1, ROC-AUC, PR-AUC, log loss and
//!   the confusion matrix of a scored binary classification.

pub mod binary_metrics;
pub mod dataset;
pub mod logistic_regression;
pub mod standardize;

pub use dataset::Dataset;

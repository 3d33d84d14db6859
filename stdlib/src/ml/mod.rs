//! Machine learning for pipelines: feature transformers, estimators, evaluation
//! metrics and model artifacts, over `f64` features. Training is data-parallel: each
//! estimator computes per-chunk statistics or gradients with rayon and combines them
//! in chunk order ([`in_order`]), so it scales with cores and gives the same model on
//! every run.
//!
//! - [`spec`]: what a `model` declaration asks to fit; [`train`] fits it (choosing
//!   among candidates by [`cross_validation`] when asked) into an
//!   [`artifact::Model`], which [`predict`] applies and which is saved as JSON;
//! - [`frame`]: named feature columns (null and NaN are *missing*); [`dataset`]: the
//!   row-major matrix estimators train on, in parallel chunks;
//! - transformers: [`standardize`], [`min_max_scale`], [`impute`], [`string_index`],
//!   [`one_hot`], [`pca`], and for text
//!   [`text`] (tokenize, remove_stopwords, ngrams, hashing_tf) and [`tf_idf`];
//! - estimators: [`logistic_regression`] (binary, L2, class weights, L-BFGS) and
//!   [`softmax_regression`] (its multinomial form, three classes or more),
//!   [`linear_regression`] (ridge, closed form), [`kmeans`] (k-means++, Lloyd),
//!   [`naive_bayes`] (multinomial, gaussian), [`decision_tree`] (CART);
//! - metrics: [`binary_metrics`], [`multiclass_metrics`], [`regression_metrics`],
//!   [`clustering_metrics`].

pub mod artifact;
pub mod artifact_check;
pub mod binary_metrics;
pub mod clustering_metrics;
pub mod cross_validation;
pub mod dataset;
pub mod decision_tree;
pub mod frame;
pub mod impute;
pub mod in_order;
pub mod kmeans;
pub mod lbfgs;
pub mod linear_regression;
pub mod logistic_regression;
pub mod min_max_scale;
pub mod multiclass_metrics;
pub mod naive_bayes;
pub mod one_hot;
pub mod pca;
pub mod predict;
pub mod regression_metrics;
pub mod softmax_regression;
pub mod spec;
pub mod standardize;
pub mod string_index;
pub mod text;
pub mod tf_idf;
pub mod train;
pub mod transform;

pub use dataset::Dataset;

//! What a `model` declaration asks to fit, as the compiler resolved it: the columns the
//! model reads, its label, the feature transformers in order, and the estimator with
//! its options. The runtime fits a [`FitSpec`] into an [`super::artifact::Model`].

use super::impute::ImputeStrategy;
use crate::types::DataType;
use serde::{Deserialize, Serialize};

/// A named, typed column a model reads or writes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelColumn {
    pub name: String,
    #[serde(rename = "type")]
    pub data_type: DataType,
}

/// A feature transformer step (`| standardize a, b`), before fitting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "transformer")]
pub enum TransformerSpec {
    Standardize {
        columns: Vec<String>,
    },
    MinMaxScale {
        columns: Vec<String>,
    },
    Impute {
        columns: Vec<String>,
        strategy: ImputeStrategy,
    },
    /// string → tokens.
    Tokenize {
        columns: Vec<String>,
        lowercase: bool,
    },
    /// tokens → tokens.
    RemoveStopwords {
        columns: Vec<String>,
    },
    /// tokens → tokens and their 2..=n-grams.
    Ngrams {
        columns: Vec<String>,
        n: u64,
    },
    /// tokens → hashed term counts.
    HashingTf {
        columns: Vec<String>,
        num_features: u64,
    },
    /// tokens → tf-idf over a fitted vocabulary.
    TfIdf {
        columns: Vec<String>,
        max_features: Option<u64>,
        min_df: u64,
    },
    /// category → its index by training frequency.
    StringIndex {
        columns: Vec<String>,
    },
    /// category → indicator vector over the training categories.
    OneHot {
        columns: Vec<String>,
    },
    /// numbers and vectors → one vector column `into`.
    Assemble {
        columns: Vec<String>,
        into: String,
    },
    /// numbers → `k` principal components, as the vector column `into`.
    Pca {
        columns: Vec<String>,
        k: u64,
        into: String,
    },
}

impl TransformerSpec {
    /// The transformer keywords, for the parser, suggestions and editors.
    pub const KEYWORDS: &'static [&'static str] = &[
        "standardize",
        "min_max_scale",
        "impute",
        "tokenize",
        "remove_stopwords",
        "ngrams",
        "hashing_tf",
        "tf_idf",
        "string_index",
        "one_hot",
        "assemble",
        "pca",
    ];

    pub fn keyword(&self) -> &'static str {
        match self {
            TransformerSpec::Standardize { .. } => "standardize",
            TransformerSpec::MinMaxScale { .. } => "min_max_scale",
            TransformerSpec::Impute { .. } => "impute",
            TransformerSpec::Tokenize { .. } => "tokenize",
            TransformerSpec::RemoveStopwords { .. } => "remove_stopwords",
            TransformerSpec::Ngrams { .. } => "ngrams",
            TransformerSpec::HashingTf { .. } => "hashing_tf",
            TransformerSpec::TfIdf { .. } => "tf_idf",
            TransformerSpec::StringIndex { .. } => "string_index",
            TransformerSpec::OneHot { .. } => "one_hot",
            TransformerSpec::Assemble { .. } => "assemble",
            TransformerSpec::Pca { .. } => "pca",
        }
    }

    pub fn columns(&self) -> &[String] {
        match self {
            TransformerSpec::Standardize { columns }
            | TransformerSpec::MinMaxScale { columns }
            | TransformerSpec::Impute { columns, .. }
            | TransformerSpec::Tokenize { columns, .. }
            | TransformerSpec::RemoveStopwords { columns }
            | TransformerSpec::Ngrams { columns, .. }
            | TransformerSpec::HashingTf { columns, .. }
            | TransformerSpec::TfIdf { columns, .. }
            | TransformerSpec::StringIndex { columns }
            | TransformerSpec::OneHot { columns }
            | TransformerSpec::Assemble { columns, .. }
            | TransformerSpec::Pca { columns, .. } => columns,
        }
    }
}

/// How rows of each class are weighted in training.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassWeight {
    /// Every row weighs 1.
    #[default]
    None,
    /// Rows of class `c` weigh `n / (classes · n_c)`, scikit-learn's `"balanced"`.
    Balanced,
}

/// Storing a linear model's weights in fewer bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Quantization {
    #[default]
    None,
    /// One signed byte per weight and one `f64` scale (symmetric, max-abs).
    Int8,
}

/// An estimator and its options.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "estimator")]
pub enum EstimatorSpec {
    LogisticRegression {
        l2: f64,
        max_iter: u64,
        tolerance: f64,
        class_weight: ClassWeight,
        quantize: Quantization,
    },
    LinearRegression {
        l2: f64,
        quantize: Quantization,
    },
    Kmeans {
        k: u64,
        max_iter: u64,
        tolerance: f64,
        seed: u64,
        n_init: u64,
    },
    NaiveBayes {
        kind: super::naive_bayes::NaiveBayesKind,
        smoothing: f64,
    },
    DecisionTree {
        criterion: super::decision_tree::Criterion,
        max_depth: u64,
        min_samples_split: u64,
        min_samples_leaf: u64,
    },
}

/// An option's documentation: name, type, default, meaning.
pub type OptionDoc = (&'static str, &'static str, &'static str, &'static str);

/// An evaluation argument's documentation: name, meaning, default.
pub type ArgumentDoc = (&'static str, &'static str, &'static str);

/// The estimators by name, each with its options.
pub const ESTIMATORS: &[(&str, &[OptionDoc])] = &[
    (
        "logistic_regression",
        &[
            (
                "l2",
                "float64",
                "0.0",
                "L2 strength: l2/2 · ‖w‖² added to the mean log loss",
            ),
            ("max_iter", "int64", "100", "L-BFGS iterations at most"),
            (
                "tolerance",
                "float64",
                "1e-6",
                "stop when the gradient's norm is below this",
            ),
            (
                "class_weight",
                "string",
                "\"none\"",
                "\"none\" or \"balanced\"",
            ),
            (
                "quantize",
                "string",
                "\"none\"",
                "\"none\" or \"int8\": store the weights in one byte each",
            ),
        ],
    ),
    (
        "linear_regression",
        &[
            (
                "l2",
                "float64",
                "0.0",
                "L2 strength: l2/2 · ‖w‖² added to half the mean squared error",
            ),
            (
                "quantize",
                "string",
                "\"none\"",
                "\"none\" or \"int8\": store the weights in one byte each",
            ),
        ],
    ),
    (
        "kmeans",
        &[
            ("k", "int64", "2", "the number of clusters"),
            ("max_iter", "int64", "300", "Lloyd iterations at most"),
            (
                "tolerance",
                "float64",
                "1e-4",
                "stop when the centres move less than this × the mean variance",
            ),
            ("seed", "int64", "0", "seeds the k-means++ initialisation"),
            (
                "n_init",
                "int64",
                "1",
                "runs from different initialisations; the lowest WCSS wins",
            ),
        ],
    ),
    (
        "naive_bayes",
        &[
            (
                "kind",
                "string",
                "\"multinomial\"",
                "\"multinomial\" (counts, tf-idf) or \"gaussian\"",
            ),
            (
                "smoothing",
                "float64",
                "1.0",
                "multinomial: additive (Laplace) smoothing α",
            ),
        ],
    ),
    (
        "decision_tree",
        &[
            (
                "criterion",
                "string",
                "\"gini\"",
                "\"gini\" or \"entropy\" (classification), \"variance\" (regression)",
            ),
            (
                "max_depth",
                "int64",
                "5",
                "the deepest a leaf may be (the root is depth 0)",
            ),
            (
                "min_samples_split",
                "int64",
                "2",
                "a node with fewer rows is a leaf",
            ),
            (
                "min_samples_leaf",
                "int64",
                "1",
                "each child keeps at least this many rows",
            ),
        ],
    ),
];

/// Per transformer: its options (name, type, default, meaning).
pub const TRANSFORMER_OPTIONS: &[(&str, &[OptionDoc])] = &[
    (
        "impute",
        &[(
            "strategy",
            "string",
            "\"mean\"",
            "\"mean\", \"median\" or \"mode\"",
        )],
    ),
    (
        "tokenize",
        &[("lowercase", "bool", "true", "lowercase the text first")],
    ),
    (
        "ngrams",
        &[("n", "int64", "2", "add the runs of 2..=n tokens")],
    ),
    (
        "hashing_tf",
        &[(
            "num_features",
            "int64",
            "262144",
            "the vector's size (2^18)",
        )],
    ),
    (
        "tf_idf",
        &[
            (
                "max_features",
                "int64",
                "(all)",
                "keep the most frequent terms only",
            ),
            (
                "min_df",
                "int64",
                "1",
                "keep terms in at least this many documents",
            ),
        ],
    ),
    (
        "assemble",
        &[("into", "name", "(required)", "the vector column made")],
    ),
    (
        "pca",
        &[
            ("k", "int64", "2", "how many components"),
            (
                "into",
                "name",
                "(required)",
                "the vector column of the components",
            ),
        ],
    ),
];

impl std::fmt::Display for EstimatorSpec {
    /// As the plan text writes it: `logistic_regression(l2 = 0.01, ...)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let e = self;
        let word = |v: &dyn std::fmt::Debug| format!("{v:?}").to_lowercase();
        let text = match e {
            EstimatorSpec::LogisticRegression {
                l2,
                max_iter,
                tolerance,
                class_weight,
                quantize,
            } => format!(
                "logistic_regression(l2 = {l2:?}, max_iter = {max_iter}, tolerance = {tolerance:?}, class_weight = {}, quantize = {})",
                word(class_weight),
                word(quantize)
            ),
            EstimatorSpec::LinearRegression { l2, quantize } => {
                format!(
                    "linear_regression(l2 = {l2:?}, quantize = {})",
                    word(quantize)
                )
            }
            EstimatorSpec::DecisionTree {
                criterion,
                max_depth,
                min_samples_split,
                min_samples_leaf,
            } => format!(
                "decision_tree(criterion = {}, max_depth = {max_depth}, min_samples_split = {min_samples_split}, min_samples_leaf = {min_samples_leaf})",
                word(criterion)
            ),
            EstimatorSpec::NaiveBayes { kind, smoothing } => {
                format!(
                    "naive_bayes(kind = {}, smoothing = {smoothing:?})",
                    word(kind)
                )
            }
            EstimatorSpec::Kmeans {
                k,
                max_iter,
                tolerance,
                seed,
                n_init,
            } => format!(
                "kmeans(k = {k}, max_iter = {max_iter}, tolerance = {tolerance:?}, seed = {seed}, n_init = {n_init})"
            ),
        };
        f.write_str(&text)
    }
}

impl EstimatorSpec {
    pub fn name(&self) -> &'static str {
        match self {
            EstimatorSpec::LogisticRegression { .. } => "logistic_regression",
            EstimatorSpec::LinearRegression { .. } => "linear_regression",
            EstimatorSpec::Kmeans { .. } => "kmeans",
            EstimatorSpec::NaiveBayes { .. } => "naive_bayes",
            EstimatorSpec::DecisionTree { .. } => "decision_tree",
        }
    }

    /// Whether the estimator predicts classes.
    pub fn is_classifier(&self) -> bool {
        match self {
            EstimatorSpec::LogisticRegression { .. } | EstimatorSpec::NaiveBayes { .. } => true,
            EstimatorSpec::DecisionTree { criterion, .. } => {
                *criterion != super::decision_tree::Criterion::Variance
            }
            _ => false,
        }
    }

    /// Whether the estimator learns from a label.
    pub fn is_supervised(&self) -> bool {
        !matches!(self, EstimatorSpec::Kmeans { .. })
    }

    /// The columns `predict` adds, given the label's type.
    pub fn outputs(&self, label: Option<&DataType>) -> Vec<ModelColumn> {
        let column = |name: &str, data_type: DataType| ModelColumn {
            name: name.to_string(),
            data_type,
        };
        if self.is_classifier() {
            return vec![
                column("prediction", label.cloned().unwrap_or(DataType::Int64)),
                column("probability", DataType::Float64),
            ];
        }
        match self {
            EstimatorSpec::Kmeans { .. } => vec![column("prediction", DataType::Int64)],
            _ => vec![column("prediction", DataType::Float64)],
        }
    }
}

/// Everything needed to fit a model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitSpec {
    /// The columns the model reads, with their types in the training relation.
    pub input: Vec<ModelColumn>,
    pub label: Option<ModelColumn>,
    pub transformers: Vec<TransformerSpec>,
    /// The estimator's features, after the transformers.
    pub features: Vec<String>,
    /// The estimator; with a search, its first candidate (they differ only in options).
    pub estimator: EstimatorSpec,
    /// `cross_validate`: the candidates to compare and how.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<SearchSpec>,
}

/// `cross_validate ESTIMATOR(option = [a, b], ...) (folds = 5, metric = roc_auc)`: every
/// combination of the listed option values is a candidate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchSpec {
    pub candidates: Vec<EstimatorSpec>,
    pub folds: u64,
    pub metric: CvMetric,
    pub seed: u64,
}

/// The metric `cross_validate` chooses by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CvMetric {
    Accuracy,
    RocAuc,
    F1,
    LogLoss,
    R2,
    Rmse,
    Mse,
    Mae,
}

impl CvMetric {
    pub const CLASSIFICATION: &'static [&'static str] = &["accuracy", "roc_auc", "f1", "log_loss"];
    pub const REGRESSION: &'static [&'static str] = &["r2", "rmse", "mse", "mae"];

    pub fn from_name(name: &str) -> Option<CvMetric> {
        Some(match name {
            "accuracy" => CvMetric::Accuracy,
            "roc_auc" => CvMetric::RocAuc,
            "f1" => CvMetric::F1,
            "log_loss" => CvMetric::LogLoss,
            "r2" => CvMetric::R2,
            "rmse" => CvMetric::Rmse,
            "mse" => CvMetric::Mse,
            "mae" => CvMetric::Mae,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            CvMetric::Accuracy => "accuracy",
            CvMetric::RocAuc => "roc_auc",
            CvMetric::F1 => "f1",
            CvMetric::LogLoss => "log_loss",
            CvMetric::R2 => "r2",
            CvMetric::Rmse => "rmse",
            CvMetric::Mse => "mse",
            CvMetric::Mae => "mae",
        }
    }

    /// Whether a larger value is better.
    pub fn higher_is_better(self) -> bool {
        matches!(
            self,
            CvMetric::Accuracy | CvMetric::RocAuc | CvMetric::F1 | CvMetric::R2
        )
    }
}

/// What `evaluate KIND(...)` computes, and from which columns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum EvaluateSpec {
    Binary {
        label: String,
        score: String,
        threshold: f64,
    },
    Multiclass {
        label: String,
        prediction: String,
    },
    Regression {
        label: String,
        prediction: String,
    },
    Clustering {
        features: Vec<String>,
        prediction: String,
        /// Rows the silhouette is computed on at most (a seeded sample above that).
        sample: u64,
        seed: u64,
    },
}

/// The evaluation kinds and their arguments: name, what it is, default.
pub const EVALUATIONS: &[(&str, &[ArgumentDoc])] = &[
    (
        "binary",
        &[
            (
                "label",
                "the true class column: 0/1 or false/true",
                "(required)",
            ),
            ("score", "the probability of class 1", "probability"),
            (
                "threshold",
                "a score at or above it predicts class 1",
                "0.5",
            ),
        ],
    ),
    (
        "multiclass",
        &[
            ("label", "the true class column (any type)", "(required)"),
            ("prediction", "the predicted class", "prediction"),
        ],
    ),
    (
        "regression",
        &[
            ("label", "the true value column", "(required)"),
            ("prediction", "the predicted value", "prediction"),
        ],
    ),
    (
        "clustering",
        &[
            (
                "features",
                "the columns distances are measured on",
                "(required)",
            ),
            ("prediction", "the cluster of each row", "prediction"),
            ("sample", "rows the silhouette uses at most", "10000"),
            ("seed", "seeds that sample", "0"),
        ],
    ),
];

impl EvaluateSpec {
    pub fn name(&self) -> &'static str {
        match self {
            EvaluateSpec::Binary { .. } => "binary",
            EvaluateSpec::Multiclass { .. } => "multiclass",
            EvaluateSpec::Regression { .. } => "regression",
            EvaluateSpec::Clustering { .. } => "clustering",
        }
    }

    /// The metric columns of the one row `evaluate` produces.
    pub fn outputs(&self) -> Vec<ModelColumn> {
        let f = |n: &str| ModelColumn {
            name: n.into(),
            data_type: DataType::Float64,
        };
        let i = |n: &str| ModelColumn {
            name: n.into(),
            data_type: DataType::Int64,
        };
        match self {
            EvaluateSpec::Binary { .. } => vec![
                i("rows"),
                f("accuracy"),
                f("precision"),
                f("recall"),
                f("f1"),
                f("roc_auc"),
                f("pr_auc"),
                f("log_loss"),
                i("true_negatives"),
                i("false_positives"),
                i("false_negatives"),
                i("true_positives"),
            ],
            EvaluateSpec::Multiclass { .. } => vec![
                i("rows"),
                i("classes"),
                f("accuracy"),
                f("macro_f1"),
                f("weighted_f1"),
            ],
            EvaluateSpec::Regression { .. } => {
                vec![i("rows"), f("mse"), f("rmse"), f("mae"), f("r2")]
            }
            EvaluateSpec::Clustering { .. } => {
                vec![i("rows"), i("clusters"), f("wcss"), f("silhouette")]
            }
        }
    }
}

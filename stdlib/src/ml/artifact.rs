//! The model artifact: a fitted model as one JSON document (`sink m -> model("m.model")`,
//! `source m = model("m.model")`). docs/models.md documents every field; the format
//! is versioned by `format_version`, and a reader refuses a version it does not know.
//!
//! ```json
//! { "format": "sluice-model", "format_version": 1, "sluice_version": "0.1.0",
//!   "input": [{"name": "age", "type": "int64"}, ...],
//!   "label": {"name": "overdue", "type": "int64"}, "classes": ["0", "1"],
//!   "transformers": [{"transformer": "standardize", "columns": [...], "means": [...], "scales": [...]}],
//!   "features": ["age", ...],
//!   "estimator": {"estimator": "logistic_regression", "weights": [...], "intercept": -2.1, ...},
//!   "outputs": [{"name": "prediction", "type": "int64"}, {"name": "probability", "type": "float64"}],
//!   "training": {"rows": 120000, "metrics": {"roc_auc": 0.69, ...}} }
//! ```

use super::decision_tree::TreeModel;
use super::impute::ImputeStrategy;
use super::kmeans::KMeansModel;
use super::linear_regression::LinearModel;
use super::logistic_regression::LogisticModel;
use super::naive_bayes::NaiveBayesModel;
use super::pca::Pca;
use super::softmax_regression::SoftmaxModel;
use super::spec::{CvMetric, EstimatorSpec, ModelColumn};
use super::tf_idf::TfIdf;
use serde::{Deserialize, Serialize};

pub const FORMAT: &str = "sluice-model";
pub const FORMAT_VERSION: u32 = 1;

/// A transformer with what it learnt from the training rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "transformer")]
pub enum FittedTransformer {
    Standardize {
        columns: Vec<String>,
        means: Vec<f64>,
        scales: Vec<f64>,
    },
    MinMaxScale {
        columns: Vec<String>,
        mins: Vec<f64>,
        maxs: Vec<f64>,
    },
    Impute {
        columns: Vec<String>,
        strategy: ImputeStrategy,
        values: Vec<f64>,
    },
    Tokenize {
        columns: Vec<String>,
        lowercase: bool,
    },
    RemoveStopwords {
        columns: Vec<String>,
    },
    Ngrams {
        columns: Vec<String>,
        n: u64,
    },
    HashingTf {
        columns: Vec<String>,
        num_features: u64,
    },
    /// One fitted vocabulary and idf per column.
    TfIdf {
        columns: Vec<String>,
        fitted: Vec<TfIdf>,
    },
    /// Per column, its categories most frequent first (index = position).
    StringIndex {
        columns: Vec<String>,
        labels: Vec<Vec<String>>,
    },
    /// Per column, its sorted categories (vector position).
    OneHot {
        columns: Vec<String>,
        categories: Vec<Vec<String>>,
    },
    Assemble {
        columns: Vec<String>,
        into: String,
    },
    Pca {
        columns: Vec<String>,
        into: String,
        #[serde(flatten)]
        fitted: Pca,
    },
}

/// Weights stored as signed bytes: `weight ≈ scale · value`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Int8Weights {
    pub scale: f64,
    pub values: Vec<i8>,
}

impl Int8Weights {
    /// Symmetric max-abs quantization.
    pub fn quantize(weights: &[f64]) -> Int8Weights {
        let max = weights.iter().fold(0.0f64, |m, w| m.max(w.abs()));
        let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
        Int8Weights {
            scale,
            values: weights
                .iter()
                .map(|w| (w / scale).round().clamp(-127.0, 127.0) as i8)
                .collect(),
        }
    }

    pub fn dequantize(&self) -> Vec<f64> {
        self.values.iter().map(|&q| q as f64 * self.scale).collect()
    }
}

/// A fitted estimator. A quantized linear model keeps only its int8 weights (its
/// `weights` field is empty in the file and rebuilt from them on loading).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "estimator")]
pub enum FittedEstimator {
    LogisticRegression {
        #[serde(flatten)]
        model: LogisticModel,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        int8: Option<Int8Weights>,
    },
    LinearRegression {
        #[serde(flatten)]
        model: LinearModel,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        int8: Option<Int8Weights>,
    },
    Kmeans {
        #[serde(flatten)]
        model: KMeansModel,
    },
    NaiveBayes {
        #[serde(flatten)]
        model: NaiveBayesModel,
    },
    DecisionTree {
        #[serde(flatten)]
        model: TreeModel,
    },
    /// `logistic_regression` on three classes or more.
    MultinomialLogisticRegression {
        #[serde(flatten)]
        model: SoftmaxModel,
    },
}

/// How the model was trained, and how it scored on its training rows. (No wall time:
/// the same data gives a byte-identical file; `explain --analyze` times the fit.)
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingReport {
    /// With `cross_validate`: every candidate's score and the one chosen (then refitted
    /// on all the rows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cross_validation: Option<CrossValidation>,
    pub rows: u64,
    pub metrics: indexmap::IndexMap<String, f64>,
    /// What a user should know about the fit (an iterative fit that stopped at
    /// `max_iter` before converging).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// How `cross_validate` chose.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CrossValidation {
    pub folds: u64,
    pub metric: CvMetric,
    pub candidates: Vec<CandidateScore>,
    /// The index of the chosen candidate.
    pub chosen: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CandidateScore {
    pub estimator: EstimatorSpec,
    pub mean: f64,
    pub per_fold: Vec<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub format: String,
    pub format_version: u32,
    pub sluice_version: String,
    pub input: Vec<ModelColumn>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<ModelColumn>,
    /// A classifier's classes in order, as text (the label's values).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<String>,
    pub transformers: Vec<FittedTransformer>,
    pub features: Vec<String>,
    pub estimator: FittedEstimator,
    pub outputs: Vec<ModelColumn>,
    pub training: TrainingReport,
}

impl Model {
    /// The artifact as pretty JSON. Quantized weights are stored only as bytes; a
    /// metric that is not a number (AUC of one class) is left out, as JSON has no NaN.
    /// A model that would not read back (a non-finite weight, say) is refused.
    pub fn to_json(&self) -> Result<String, String> {
        super::artifact_check::check(self)
            .map_err(|e| format!("the fitted model cannot be saved: {e}"))?;
        let mut stored = self.clone();
        stored.training.metrics.retain(|_, v| v.is_finite());
        match &mut stored.estimator {
            FittedEstimator::LogisticRegression {
                model,
                int8: Some(_),
            } => model.weights.clear(),
            FittedEstimator::LinearRegression {
                model,
                int8: Some(_),
            } => model.weights.clear(),
            _ => {}
        }
        serde_json::to_string_pretty(&stored).map_err(|e| format!("cannot encode the model: {e}"))
    }

    /// Reads an artifact, checking its format and version.
    pub fn from_json(text: &str) -> Result<Model, String> {
        let header: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not a Sluice model: {e}"))?;
        if header.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
            return Err(format!("not a Sluice model: no `\"format\": \"{FORMAT}\"`"));
        }
        let version = header.get("format_version").and_then(|v| v.as_u64());
        if version != Some(FORMAT_VERSION as u64) {
            return Err(format!(
                "model format version {} is not supported by this Sluice (it reads version {FORMAT_VERSION}); retrain the model with this version",
                version.map_or("(missing)".to_string(), |v| v.to_string())
            ));
        }
        let mut model: Model =
            serde_json::from_value(header).map_err(|e| format!("a damaged model file: {e}"))?;
        match &mut model.estimator {
            FittedEstimator::LogisticRegression {
                model,
                int8: Some(q),
            } => model.weights = q.dequantize(),
            FittedEstimator::LinearRegression {
                model,
                int8: Some(q),
            } => model.weights = q.dequantize(),
            _ => {}
        }
        super::artifact_check::check(&model).map_err(|e| format!("a damaged model file: {e}"))?;
        Ok(model)
    }

    /// How many features (dense and sparse) the estimator reads.
    pub fn estimator_width(&self) -> usize {
        super::artifact_check::estimator_widths(&self.estimator)
            .first()
            .copied()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ml::decision_tree::{Criterion, Node, Split};
    use crate::types::DataType;

    fn tree_model(split: Split) -> Model {
        let column = |n: &str, t: DataType| ModelColumn {
            name: n.into(),
            data_type: t,
        };
        Model {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            sluice_version: "test".into(),
            input: vec![column("x", DataType::Float64)],
            label: Some(column("y", DataType::Int64)),
            classes: vec!["0".into(), "1".into()],
            transformers: vec![],
            features: vec!["x".into()],
            estimator: FittedEstimator::DecisionTree {
                model: TreeModel {
                    criterion: Criterion::Gini,
                    features: 1,
                    nodes: vec![
                        Node {
                            split: Some(split),
                            value: vec![0.5, 0.5],
                        },
                        Node {
                            split: None,
                            value: vec![1.0, 0.0],
                        },
                        Node {
                            split: None,
                            value: vec![0.0, 1.0],
                        },
                    ],
                },
            },
            outputs: vec![
                column("prediction", DataType::Int64),
                column("probability", DataType::Float64),
            ],
            training: TrainingReport::default(),
        }
    }

    #[test]
    fn a_sound_file_round_trips_and_a_damaged_one_is_refused() {
        let good = tree_model(Split {
            feature: 0,
            threshold: 0.5,
            left: 1,
            right: 2,
        });
        let text = good.to_json().unwrap_or_default();
        assert_eq!(Model::from_json(&text), Ok(good));
        for bad in [
            Split {
                feature: 0,
                threshold: 0.5,
                left: 0,
                right: 2,
            },
            Split {
                feature: 3,
                threshold: 0.5,
                left: 1,
                right: 2,
            },
        ] {
            // A hand-damaged file: `to_json` itself refuses to write such a model.
            assert!(tree_model(bad.clone()).to_json().is_err());
            let text = serde_json::to_string_pretty(&tree_model(bad)).unwrap_or_default();
            let err = Model::from_json(&text).err().unwrap_or_default();
            assert!(err.contains("impossible split"), "{err}");
        }
        let newer = text_with_version(&good_text(), 2);
        assert!(
            Model::from_json(&newer)
                .err()
                .unwrap_or_default()
                .contains("version 2")
        );
    }

    fn good_text() -> String {
        tree_model(Split {
            feature: 0,
            threshold: 0.5,
            left: 1,
            right: 2,
        })
        .to_json()
        .unwrap_or_default()
    }

    fn text_with_version(text: &str, version: u32) -> String {
        text.replace(
            &format!("\"format_version\": {FORMAT_VERSION}"),
            &format!("\"format_version\": {version}"),
        )
    }
}

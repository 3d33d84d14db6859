//! What a sound model file holds, checked when a model is read and before one is
//! written, so that scoring never indexes out of bounds, loops, or gives null or wrong
//! predictions from a damaged or hand-edited file: every transformer's arrays as long
//! as its columns, every number finite, variances and scales positive, a tree whose
//! splits point forward to real nodes, classes that are values of the label's type, and
//! exactly the output columns the estimator produces.

use super::artifact::{FittedEstimator, FittedTransformer, Model};
use super::decision_tree::Criterion;
use super::naive_bayes::NaiveBayesKind;
use super::spec::ModelColumn;
use crate::types::DataType;

/// The widest `hashing_tf` a file may ask for (16 M features).
pub const MAX_HASHED_FEATURES: u64 = 1 << 24;

/// The longest `ngrams` a file may ask for.
pub const MAX_NGRAM: u64 = 64;

/// The first inconsistency of a model, as a phrase ("`standardize` has 2 columns but 1
/// mean").
pub fn check(model: &Model) -> Result<(), String> {
    for t in &model.transformers {
        transformer(t)?;
    }
    estimator(model)?;
    feature_width(model)?;
    classes(model)?;
    outputs(model)?;
    if let Some(cv) = &model.training.cross_validation {
        for c in &cv.candidates {
            finite("cross-validation score", &c.per_fold)?;
        }
        if cv.chosen >= cv.candidates.len() {
            return Err("its cross-validation chose a candidate it does not list".into());
        }
    }
    Ok(())
}

fn same_length(what: &str, columns: &[String], field: &str, len: usize) -> Result<(), String> {
    if columns.len() == len {
        Ok(())
    } else {
        Err(format!(
            "`{what}` has {} columns but {len} {field}",
            columns.len()
        ))
    }
}

fn finite(what: &str, values: &[f64]) -> Result<(), String> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(format!("{what} {i} is not a finite number ({})", values[i])),
    }
}

fn positive(what: &str, values: &[f64]) -> Result<(), String> {
    finite(what, values)?;
    match values.iter().position(|v| *v <= 0.0) {
        None => Ok(()),
        Some(i) => Err(format!("{what} {i} is {}, not positive", values[i])),
    }
}

fn transformer(t: &FittedTransformer) -> Result<(), String> {
    match t {
        FittedTransformer::Standardize {
            columns,
            means,
            scales,
        } => {
            same_length("standardize", columns, "means", means.len())?;
            same_length("standardize", columns, "scales", scales.len())?;
            finite("`standardize` mean", means)?;
            positive("`standardize` scale", scales)
        }
        FittedTransformer::MinMaxScale {
            columns,
            mins,
            maxs,
        } => {
            same_length("min_max_scale", columns, "minimums", mins.len())?;
            same_length("min_max_scale", columns, "maximums", maxs.len())?;
            finite("`min_max_scale` minimum", mins)?;
            finite("`min_max_scale` maximum", maxs)?;
            match mins.iter().zip(maxs).position(|(lo, hi)| lo > hi) {
                None => Ok(()),
                Some(i) => Err(format!(
                    "`min_max_scale` column {i} has a minimum above its maximum"
                )),
            }
        }
        FittedTransformer::Impute {
            columns, values, ..
        } => {
            same_length("impute", columns, "values", values.len())?;
            finite("`impute` value", values)
        }
        FittedTransformer::Tokenize { .. } | FittedTransformer::RemoveStopwords { .. } => Ok(()),
        FittedTransformer::Ngrams { n, .. } => {
            if (1..=MAX_NGRAM).contains(n) {
                Ok(())
            } else {
                Err(format!("`ngrams` n is {n}, not between 1 and {MAX_NGRAM}"))
            }
        }
        FittedTransformer::HashingTf { num_features, .. } => {
            if (1..=MAX_HASHED_FEATURES).contains(num_features) {
                Ok(())
            } else {
                Err(format!(
                    "`hashing_tf` num_features is {num_features}, not between 1 and {MAX_HASHED_FEATURES}"
                ))
            }
        }
        FittedTransformer::TfIdf { columns, fitted } => {
            same_length("tf_idf", columns, "fitted vocabularies", fitted.len())?;
            for f in fitted {
                if f.vocabulary.len() != f.idf.len() {
                    return Err(format!(
                        "a `tf_idf` vocabulary has {} terms but {} idf values",
                        f.vocabulary.len(),
                        f.idf.len()
                    ));
                }
                finite("`tf_idf` idf", &f.idf)?;
            }
            Ok(())
        }
        FittedTransformer::StringIndex { columns, labels } => {
            same_length("string_index", columns, "label lists", labels.len())
        }
        FittedTransformer::OneHot {
            columns,
            categories,
        } => same_length("one_hot", columns, "category lists", categories.len()),
        FittedTransformer::Assemble { columns, .. } => {
            if columns.is_empty() {
                Err("`assemble` has no columns".into())
            } else {
                Ok(())
            }
        }
        FittedTransformer::Pca {
            columns, fitted, ..
        } => {
            same_length("pca", columns, "means", fitted.means.len())?;
            finite("`pca` mean", &fitted.means)?;
            if fitted.components.is_empty() || fitted.components.len() > columns.len() {
                return Err(format!(
                    "`pca` of {} columns has {} components",
                    columns.len(),
                    fitted.components.len()
                ));
            }
            for c in &fitted.components {
                same_length("pca", columns, "component weights", c.len())?;
                finite("`pca` component weight", c)?;
            }
            if fitted.explained_variance.len() != fitted.components.len() {
                return Err("`pca` has a different number of components and variances".into());
            }
            finite("`pca` explained variance", &fitted.explained_variance)
        }
    }
}

fn estimator(model: &Model) -> Result<(), String> {
    let widths = estimator_widths(&model.estimator);
    if widths.windows(2).any(|w| w[0] != w[1]) {
        return Err(format!(
            "its estimator's parts have different widths ({widths:?})"
        ));
    }
    match &model.estimator {
        FittedEstimator::LogisticRegression { model: m, .. } => {
            finite("weight", &m.weights)?;
            finite("intercept", &[m.intercept])
        }
        FittedEstimator::LinearRegression { model: m, .. } => {
            finite("weight", &m.weights)?;
            finite("intercept", &[m.intercept])
        }
        FittedEstimator::Kmeans { model: m } => {
            if m.centers.is_empty() {
                return Err("it has no cluster centre".into());
            }
            for c in &m.centers {
                finite("centre coordinate", c)?;
            }
            Ok(())
        }
        FittedEstimator::MultinomialLogisticRegression { model: m } => {
            if m.intercepts.len() != m.weights.len() {
                return Err("its intercepts and weight vectors differ in number".into());
            }
            for w in &m.weights {
                finite("weight", w)?;
            }
            finite("intercept", &m.intercepts)
        }
        FittedEstimator::NaiveBayes { model: m } => {
            if m.log_prior.len() != m.per_class.len() {
                return Err("its priors and class vectors differ in number".into());
            }
            finite("log prior", &m.log_prior)?;
            for v in &m.per_class {
                finite("class parameter", v)?;
            }
            match m.kind {
                NaiveBayesKind::Gaussian => {
                    if m.variances.len() != m.per_class.len() {
                        return Err(
                            "its gaussian variances and class means differ in number".into()
                        );
                    }
                    for v in &m.variances {
                        positive("variance", v)?;
                    }
                    Ok(())
                }
                NaiveBayesKind::Multinomial => Ok(()),
            }
        }
        FittedEstimator::DecisionTree { model: m } => {
            if m.nodes.is_empty() {
                return Err("its tree has no node".into());
            }
            let width = m.nodes[0].value.len();
            for (i, n) in m.nodes.iter().enumerate() {
                if let Some(s) = &n.split
                    && (s.feature >= m.features
                        || s.left <= i
                        || s.right <= i
                        || s.left >= m.nodes.len()
                        || s.right >= m.nodes.len()
                        || s.threshold.is_nan())
                {
                    return Err(format!("tree node {i} has an impossible split"));
                }
                if n.value.len() != width || width == 0 {
                    return Err(format!("tree node {i} has a value of another width"));
                }
                finite("tree value", &n.value)?;
            }
            Ok(())
        }
    }
}

/// The width of each part of the estimator (weights, centres, per-class vectors):
/// all equal in a sound file.
pub(super) fn estimator_widths(estimator: &FittedEstimator) -> Vec<usize> {
    match estimator {
        FittedEstimator::LogisticRegression { model, .. } => vec![model.weights.len()],
        FittedEstimator::LinearRegression { model, .. } => vec![model.weights.len()],
        FittedEstimator::Kmeans { model } => model.centers.iter().map(Vec::len).collect(),
        FittedEstimator::DecisionTree { model } => vec![model.features],
        FittedEstimator::MultinomialLogisticRegression { model } => {
            model.weights.iter().map(Vec::len).collect()
        }
        FittedEstimator::NaiveBayes { model } => model
            .per_class
            .iter()
            .chain(&model.variances)
            .map(Vec::len)
            .collect(),
    }
}

/// What a column holds as the transformers go: a number, text, tokens or a vector.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Number,
    Text,
    Tokens,
    Vector(usize),
}

/// The width of a vector the model reads from the data: known only when scoring.
const INPUT_WIDTH: usize = usize::MAX;

/// Follows every column from the model's inputs through its transformers: each
/// transformer must read columns that exist and hold what it reads, and the estimator's
/// features must be numbers or vectors whose widths add up to the estimator's width.
fn feature_width(model: &Model) -> Result<(), String> {
    use std::collections::HashMap;
    let mut kinds: HashMap<&str, Kind> = HashMap::new();
    for c in &model.input {
        let kind = match &c.data_type {
            DataType::String => Kind::Text,
            DataType::Int64 | DataType::Float64 | DataType::Bool => Kind::Number,
            // A vector read from the data (a LIBSVM source): its width is the data's.
            DataType::List(item) if item.is_numeric() => Kind::Vector(INPUT_WIDTH),
            _ => {
                return Err(format!(
                    "input `{}` has type {}, which no model reads",
                    c.name, c.data_type
                ));
            }
        };
        kinds.insert(&c.name, kind);
    }
    let read = |kinds: &HashMap<&str, Kind>,
                what: &str,
                column: &str,
                wanted: &[fn(Kind) -> bool]| {
        match kinds.get(column) {
            None => Err(format!(
                "`{what}` reads `{column}`, which is neither an input nor made by an earlier transformer"
            )),
            Some(k) if wanted.iter().any(|w| w(*k)) => Ok(*k),
            Some(k) => Err(format!("`{what}` reads `{column}`, which holds {k:?}")),
        }
    };
    let number: fn(Kind) -> bool = |k| k == Kind::Number;
    let text: fn(Kind) -> bool = |k| k == Kind::Text;
    let tokens: fn(Kind) -> bool = |k| k == Kind::Tokens;
    let vector: fn(Kind) -> bool = |k| matches!(k, Kind::Vector(_));
    for t in &model.transformers {
        match t {
            FittedTransformer::Standardize { columns, .. }
            | FittedTransformer::MinMaxScale { columns, .. }
            | FittedTransformer::Impute { columns, .. } => {
                for c in columns {
                    read(&kinds, transformer_name(t), c, &[number])?;
                }
            }
            FittedTransformer::Tokenize { columns, .. } => {
                for c in columns {
                    read(&kinds, "tokenize", c, &[text])?;
                    kinds.insert(c, Kind::Tokens);
                }
            }
            FittedTransformer::RemoveStopwords { columns }
            | FittedTransformer::Ngrams { columns, .. } => {
                for c in columns {
                    read(&kinds, transformer_name(t), c, &[tokens])?;
                }
            }
            FittedTransformer::HashingTf {
                columns,
                num_features,
            } => {
                for c in columns {
                    read(&kinds, "hashing_tf", c, &[tokens])?;
                    kinds.insert(c, Kind::Vector(*num_features as usize));
                }
            }
            FittedTransformer::TfIdf { columns, fitted } => {
                for (c, f) in columns.iter().zip(fitted) {
                    read(&kinds, "tf_idf", c, &[tokens])?;
                    kinds.insert(c, Kind::Vector(f.vocabulary.len()));
                }
            }
            FittedTransformer::StringIndex { columns, .. } => {
                for c in columns {
                    read(&kinds, "string_index", c, &[text, number])?;
                    kinds.insert(c, Kind::Number);
                }
            }
            FittedTransformer::OneHot {
                columns,
                categories,
            } => {
                for (c, cats) in columns.iter().zip(categories) {
                    read(&kinds, "one_hot", c, &[text, number])?;
                    kinds.insert(c, Kind::Vector(cats.len()));
                }
            }
            FittedTransformer::Assemble { columns, into } => {
                let mut width = 0usize;
                for c in columns {
                    width = match read(&kinds, "assemble", c, &[number, vector])? {
                        Kind::Vector(INPUT_WIDTH) => INPUT_WIDTH,
                        _ if width == INPUT_WIDTH => INPUT_WIDTH,
                        Kind::Vector(n) => width + n,
                        _ => width + 1,
                    };
                }
                kinds.insert(into, Kind::Vector(width));
            }
            FittedTransformer::Pca {
                columns,
                into,
                fitted,
            } => {
                for c in columns {
                    read(&kinds, "pca", c, &[number])?;
                }
                kinds.insert(into, Kind::Vector(fitted.components.len()));
            }
        }
    }
    let mut width = 0;
    let mut from_data = false;
    for f in &model.features {
        width += match read(&kinds, "the estimator", f, &[number, vector])? {
            Kind::Vector(INPUT_WIDTH) => {
                from_data = true;
                0
            }
            Kind::Vector(n) => n,
            _ => 1,
        };
    }
    let expected = estimator_widths(&model.estimator)
        .first()
        .copied()
        .unwrap_or(0);
    // Vectors from the data take the width the rest leaves (checked again when scoring).
    if (from_data && width > expected) || (!from_data && width != expected) {
        return Err(format!(
            "its features are {width} numbers wide but its estimator reads {expected}"
        ));
    }
    Ok(())
}

fn transformer_name(t: &FittedTransformer) -> &'static str {
    match t {
        FittedTransformer::Standardize { .. } => "standardize",
        FittedTransformer::MinMaxScale { .. } => "min_max_scale",
        FittedTransformer::Impute { .. } => "impute",
        FittedTransformer::Tokenize { .. } => "tokenize",
        FittedTransformer::RemoveStopwords { .. } => "remove_stopwords",
        FittedTransformer::Ngrams { .. } => "ngrams",
        FittedTransformer::HashingTf { .. } => "hashing_tf",
        FittedTransformer::TfIdf { .. } => "tf_idf",
        FittedTransformer::StringIndex { .. } => "string_index",
        FittedTransformer::OneHot { .. } => "one_hot",
        FittedTransformer::Assemble { .. } => "assemble",
        FittedTransformer::Pca { .. } => "pca",
    }
}

/// Whether the estimator predicts a class (and a probability).
fn is_classifier(estimator: &FittedEstimator) -> bool {
    match estimator {
        FittedEstimator::LogisticRegression { .. }
        | FittedEstimator::MultinomialLogisticRegression { .. }
        | FittedEstimator::NaiveBayes { .. } => true,
        FittedEstimator::DecisionTree { model } => model.criterion != Criterion::Variance,
        FittedEstimator::LinearRegression { .. } | FittedEstimator::Kmeans { .. } => false,
    }
}

fn classes(model: &Model) -> Result<(), String> {
    let class_vectors = match &model.estimator {
        FittedEstimator::LogisticRegression { .. } => 2,
        FittedEstimator::MultinomialLogisticRegression { model } => model.weights.len(),
        FittedEstimator::NaiveBayes { model } => model.per_class.len(),
        FittedEstimator::DecisionTree { model } if model.criterion != Criterion::Variance => {
            model.nodes[0].value.len()
        }
        _ => return Ok(()),
    };
    if class_vectors != model.classes.len() {
        return Err(format!(
            "{} classes but {class_vectors} class probabilities",
            model.classes.len()
        ));
    }
    let Some(label) = &model.label else {
        return Err("a classifier without a label column".into());
    };
    for class in &model.classes {
        if !is_value_of(class, &label.data_type) {
            return Err(format!(
                "class `{class}` is not a value of the label `{}` ({})",
                label.name, label.data_type
            ));
        }
    }
    Ok(())
}

/// Whether text is a value of a label's type as the trainer writes it.
fn is_value_of(text: &str, data_type: &DataType) -> bool {
    match data_type {
        DataType::Int64 => text.parse::<i64>().is_ok(),
        DataType::Float64 => text.parse::<f64>().is_ok(),
        DataType::Bool => text == "true" || text == "false",
        DataType::String => true,
        _ => false,
    }
}

fn outputs(model: &Model) -> Result<(), String> {
    let column = |name: &str, data_type: DataType| ModelColumn {
        name: name.to_string(),
        data_type,
    };
    let expected = if is_classifier(&model.estimator) {
        let label = model
            .label
            .as_ref()
            .map_or(DataType::Int64, |l| l.data_type.clone());
        vec![
            column("prediction", label),
            column("probability", DataType::Float64),
        ]
    } else if matches!(model.estimator, FittedEstimator::Kmeans { .. }) {
        vec![column("prediction", DataType::Int64)]
    } else {
        vec![column("prediction", DataType::Float64)]
    };
    if model.outputs == expected {
        Ok(())
    } else {
        let list = |cols: &[ModelColumn]| {
            cols.iter()
                .map(|c| format!("{}: {}", c.name, c.data_type))
                .collect::<Vec<_>>()
                .join(", ")
        };
        Err(format!(
            "its outputs are ({}) but its estimator produces ({})",
            list(&model.outputs),
            list(&expected)
        ))
    }
}

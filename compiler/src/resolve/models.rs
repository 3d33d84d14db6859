//! Models: `model NAME = REL | transformer... | fit ESTIMATOR(...)`, `source m =
//! model(path)`, `| predict m`, `| evaluate KIND(...)` and `sink m -> model(path)`.
//!
//! The resolver checks what it can before anything runs: that labels and features
//! exist and are numeric (or, for a classifier's label, any scalar), that options are
//! known and well typed, and that a relation given to `predict` has every column the
//! model reads, with a usable type. A saved model's signature is read from its file at
//! compile time, as a source's schema is.

use super::Resolver;
use crate::diagnostics::{Code, Diagnostic, did_you_mean};
use crate::plan::{ConstValue, PlanNode, PlanOp};
use crate::syntax::ast::{Arg, Expr, ExprKind, Ident, ModelDecl, Operator, SourceDecl, Span, Step};
use petgraph::stable_graph::NodeIndex;
use sluice_stdlib::ml::decision_tree::Criterion;
use sluice_stdlib::ml::impute::ImputeStrategy;
use sluice_stdlib::ml::naive_bayes::NaiveBayesKind;
use sluice_stdlib::ml::spec::{
    ClassWeight, CvMetric, ESTIMATORS, EVALUATIONS, EstimatorSpec, EvaluateSpec, FitSpec,
    ModelColumn, Quantization, SearchSpec, TRANSFORMER_OPTIONS, TransformerSpec,
};
use sluice_stdlib::{DataType, Field, Schema};
use std::collections::HashMap;

/// What `predict` needs to know about a model: the columns it reads and adds.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ModelSignature {
    pub input: Vec<ModelColumn>,
    pub outputs: Vec<ModelColumn>,
}

/// What a column holds as a model's transformers see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Number,
    Text,
    Tokens,
    Vector,
    Other,
    /// A column whose transformer had an error (reported): not checked again.
    Failed,
}

impl Kind {
    fn of(t: &DataType) -> Kind {
        match t {
            DataType::Int64 | DataType::Float64 | DataType::Bool | DataType::Null => Kind::Number,
            DataType::String => Kind::Text,
            DataType::List(item) if **item == DataType::String => Kind::Tokens,
            DataType::List(item) if item.is_numeric() => Kind::Vector,
            _ => Kind::Other,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Kind::Number => "a number (int64, float64 or bool)",
            Kind::Text => "text (a string)",
            Kind::Tokens => "tokens (from `tokenize`)",
            Kind::Vector => {
                "a vector (a list of numbers, from `tf_idf`, `hashing_tf` or a LIBSVM source)"
            }
            Kind::Other | Kind::Failed => "neither a number nor text",
        }
    }

    /// How to turn a column of this kind into `wanted`.
    fn how_to(self, column: &str, wanted: Kind) -> String {
        let c = sluice_stdlib::types::display_name(column);
        match (self, wanted) {
            (Kind::Text, Kind::Tokens) => format!("tokenize it first: `| tokenize {c}`"),
            (Kind::Text, _) => format!("turn it into a term vector: `| tokenize {c} | tf_idf {c}`"),
            (Kind::Tokens, _) => {
                format!("turn it into a term vector: `| tf_idf {c}` or `| hashing_tf {c}`")
            }
            (Kind::Vector, _) => "a term vector goes straight into `features`".to_string(),
            (_, Kind::Number) => format!("convert it first, e.g. `| cast {c}: float64` in a `let`"),
            _ => format!("`{c}` cannot become {}", wanted.describe()),
        }
    }
}

fn kinds_of(schema: &Schema) -> HashMap<String, Kind> {
    schema
        .fields
        .iter()
        .map(|f| (f.name.clone(), Kind::of(&f.data_type)))
        .collect()
}

/// The schema of a model node: one row holding the artifact.
fn model_schema() -> Schema {
    Schema::new(vec![Field::new("model", DataType::String, false)])
}

/// Whether a column can be a feature (read as a number).
fn is_feature_type(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Int64 | DataType::Float64 | DataType::Bool | DataType::Null
    )
}

/// The named arguments of a call, refusing positional ones and unknown names.
struct Options<'a> {
    args: Vec<(&'a Ident, &'a Expr)>,
}

impl<'a> Options<'a> {
    fn get(&self, name: &str) -> Option<&'a Expr> {
        self.args
            .iter()
            .find(|(n, _)| n.name == name)
            .map(|(_, e)| *e)
    }
}

impl Resolver<'_> {
    fn model_error(&mut self, code: Code, message: String, span: Span, label: &str, help: &str) {
        self.diags
            .push(Diagnostic::error(code, message, span, label).with_help(help));
    }

    /// Checks a call's arguments are named and among `known`.
    fn options<'a>(&mut self, what: &str, args: &'a [Arg], known: &[&str]) -> Option<Options<'a>> {
        let mut ok = true;
        let mut out = Vec::new();
        for a in args {
            let Some(name) = &a.name else {
                self.model_error(
                    Code::UnknownArgument,
                    format!("`{what}` takes named arguments only"),
                    a.value.span,
                    "no name",
                    &format!("name it: one of {}", known.join(", ")),
                );
                ok = false;
                continue;
            };
            if !known.contains(&name.name.as_str()) {
                let mut d = Diagnostic::error(
                    Code::UnknownArgument,
                    format!("`{what}` has no argument `{}`", name.name),
                    name.span,
                    "unknown argument",
                );
                d.help = did_you_mean(&name.name, known.iter().copied())
                    .or_else(|| Some(format!("its arguments are {}", known.join(", "))));
                self.diags.push(d);
                ok = false;
                continue;
            }
            out.push((name, &a.value));
        }
        ok.then_some(Options { args: out })
    }

    /// A column named by an argument: `label = y` (or `"y"`, as YAML writes it).
    fn column_arg(&mut self, e: &Expr, schema: &Schema, what: &str) -> Option<(String, DataType)> {
        let name = match &e.kind {
            ExprKind::Name(n) => n.clone(),
            ExprKind::Literal(crate::syntax::ast::Literal::String(s)) => s.clone(),
            _ => {
                self.model_error(
                    Code::ArgumentType,
                    format!("{what} must be a column name"),
                    e.span,
                    "not a column name",
                    "write the column's name, as in `label = overdue`",
                );
                return None;
            }
        };
        let field = self.column(&Ident::new(name.clone(), e.span), schema)?;
        Some((name, field.data_type.clone()))
    }

    /// Numeric columns named by `[a, b]` (or one name).
    fn feature_list(
        &mut self,
        e: &Expr,
        schema: &Schema,
        kinds: &HashMap<String, Kind>,
        what: &str,
    ) -> Option<Vec<String>> {
        let items: Vec<&Expr> = match &e.kind {
            ExprKind::List(items) => items.iter().collect(),
            _ => vec![e],
        };
        if items.is_empty() {
            self.model_error(
                Code::ArgumentCount,
                format!("{what} is empty"),
                e.span,
                "no columns",
                "list at least one column: `features = [a, b]`",
            );
            return None;
        }
        let mut out = Vec::new();
        let mut ok = true;
        for item in items {
            if let ExprKind::Name(n) = &item.kind
                && schema.field(n).is_none()
                && kinds.get(n) == Some(&Kind::Vector)
            {
                out.push(n.clone());
                continue;
            }
            match self.column_arg(item, schema, what) {
                Some((name, _))
                    if matches!(kinds.get(&name), Some(Kind::Number | Kind::Vector)) =>
                {
                    out.push(name)
                }
                Some((name, _)) if kinds.get(&name) == Some(&Kind::Failed) => ok = false,
                Some((name, _)) => {
                    let kind = kinds.get(&name).copied().unwrap_or(Kind::Other);
                    self.model_error(
                        Code::ArgumentType,
                        format!(
                            "feature `{name}` is {}, not a number or a term vector",
                            kind.describe()
                        ),
                        item.span,
                        "not a feature",
                        &kind.how_to(&name, Kind::Number),
                    );
                    ok = false;
                }
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn number_option(&mut self, e: &Expr, what: &str, min: f64) -> Option<f64> {
        let v = self.constant(e, what)?;
        match v.as_f64() {
            Some(x) if x >= min && x.is_finite() => Some(x),
            _ => {
                self.model_error(
                    Code::InvalidConstant,
                    format!("{what} must be a number ≥ {min}, not {v}"),
                    e.span,
                    "out of range",
                    "write a number such as 0.01",
                );
                None
            }
        }
    }

    fn int_option(&mut self, e: &Expr, what: &str, min: i64) -> Option<u64> {
        match self.constant(e, what)? {
            ConstValue::Int(i) if i >= min => Some(i as u64),
            v => {
                self.model_error(
                    Code::InvalidConstant,
                    format!("{what} must be an integer ≥ {min}, not {v}"),
                    e.span,
                    "not allowed here",
                    "write a whole number",
                );
                None
            }
        }
    }

    /// A word option (`class_weight = balanced`, or `"balanced"`) among `choices`.
    fn word_option(&mut self, e: &Expr, what: &str, choices: &[&str]) -> Option<String> {
        let word = match self.bare_word(e) {
            Some(w) => w,
            None => match self.constant(e, what)? {
                ConstValue::String(s) => s,
                v => v.to_string(),
            },
        };
        if choices.contains(&word.as_str()) {
            return Some(word);
        }
        let mut d = Diagnostic::error(
            Code::InvalidConstant,
            format!("{what} cannot be `{word}`"),
            e.span,
            "not a choice",
        );
        d.help = did_you_mean(&word, choices.iter().copied())
            .or_else(|| Some(format!("choose one of {}", choices.join(", "))));
        self.diags.push(d);
        None
    }

    /// `model NAME = REL | transformers | fit ...`
    pub(crate) fn model_decl(&mut self, decl: &ModelDecl) {
        let node = match self.lookup(&decl.input) {
            // A model's chain is checked like any chain on a stream (`fit` is refused).
            Ok(Some(input))
                if decl
                    .steps
                    .iter()
                    .all(|step| self.allowed_on_stream(input, step)) =>
            {
                self.fit(input, decl)
            }
            _ => None,
        };
        let signature = node.and_then(|n| self.signature_of(n));
        self.declare(&decl.name, node, false);
        if let Some(info) = self.relations.get_mut(&decl.name.name) {
            info.model = Some(signature);
        }
    }

    fn signature_of(&self, node: NodeIndex) -> Option<ModelSignature> {
        match &self.plan.graph[node].op {
            PlanOp::Fit { spec } => Some(ModelSignature {
                input: spec.input.clone(),
                outputs: spec
                    .estimator
                    .outputs(spec.label.as_ref().map(|l| &l.data_type)),
            }),
            _ => None,
        }
    }

    fn fit(&mut self, input: NodeIndex, decl: &ModelDecl) -> Option<NodeIndex> {
        let schema = self.schema(input).clone();
        let Some((last, transforms)) = decl.steps.split_last() else {
            self.no_fit(decl);
            return None;
        };
        let (estimator, args, cv_options) = match &last.op {
            Operator::Fit { estimator, args } => (estimator, args, None),
            Operator::CrossValidate {
                estimator,
                args,
                options,
            } => (estimator, args, Some(options)),
            _ => {
                self.no_fit(decl);
                return None;
            }
        };
        let mut transformers = Vec::new();
        let mut ok = true;
        let mut kinds = kinds_of(&schema);
        for step in transforms {
            match self.transformer(step, &schema, &mut kinds) {
                Some(t) => transformers.push(t),
                None => ok = false,
            }
        }
        let (estimator_spec, label, features, search) = match cv_options {
            None => {
                let (e, l, f) = self.estimator(estimator, args, &schema, &kinds)?;
                (e, l, f, None)
            }
            Some(options) => {
                let (candidates, label, features) =
                    self.candidates(estimator, args, &schema, &kinds)?;
                let search = self.search(&last.keyword, options, candidates)?;
                (search.candidates[0].clone(), label, features, Some(search))
            }
        };
        let estimator = estimator_spec;
        if !ok {
            return None;
        }
        // The columns the model reads, in the relation's order.
        let mut read: Vec<&str> = features.iter().map(String::as_str).collect();
        for t in &transformers {
            read.extend(t.columns().iter().map(String::as_str));
        }
        let input_columns: Vec<ModelColumn> = schema
            .fields
            .iter()
            .filter(|f| read.contains(&f.name.as_str()))
            .map(|f| ModelColumn {
                name: f.name.clone(),
                data_type: f.data_type.clone(),
            })
            .collect();
        let spec = FitSpec {
            input: input_columns,
            label,
            transformers,
            features,
            estimator,
            search,
        };
        let node = self.plan.add(
            PlanNode {
                op: PlanOp::Fit { spec },
                schema: model_schema(),
                relation: Some(decl.name.name.clone()),
                hints: Default::default(),
                sharing: None,
                span: decl.span,
            },
            &[input],
        );
        Some(node)
    }

    /// The candidates of `cross_validate`: every combination of the options given as
    /// lists (`l2 = [0.01, 0.1]`), each checked like a `fit`.
    #[allow(clippy::type_complexity)]
    fn candidates(
        &mut self,
        name: &Ident,
        args: &[Arg],
        schema: &Schema,
        kinds: &HashMap<String, Kind>,
    ) -> Option<(Vec<EstimatorSpec>, Option<ModelColumn>, Vec<String>)> {
        let mut grids: Vec<Vec<Arg>> = vec![Vec::new()];
        for a in args {
            let values: Vec<Expr> = match (&a.name, &a.value.kind) {
                (Some(n), ExprKind::List(items)) if n.name != "features" => items.clone(),
                _ => vec![a.value.clone()],
            };
            if values.is_empty() {
                self.model_error(
                    Code::ArgumentCount,
                    "an empty list of values to try".into(),
                    a.value.span,
                    "empty",
                    "list at least one value: `l2 = [0.01, 0.1]`",
                );
                return None;
            }
            grids = grids
                .into_iter()
                .flat_map(|g| {
                    values.iter().map(move |v| {
                        let mut g = g.clone();
                        g.push(Arg {
                            name: a.name.clone(),
                            value: v.clone(),
                        });
                        g
                    })
                })
                .collect();
        }
        if grids.len() > 256 {
            self.model_error(
                Code::InvalidModel,
                format!("{} candidates to cross-validate; at most 256", grids.len()),
                name.span,
                "too many combinations",
                "list fewer values per option",
            );
            return None;
        }
        let mut candidates = Vec::new();
        let mut shared = None;
        for g in &grids {
            let (e, label, features) = self.estimator(name, g, schema, kinds)?;
            candidates.push(e);
            shared = Some((label, features));
        }
        let (label, features) = shared?;
        Some((candidates, label, features))
    }

    /// `cross_validate`'s options: folds, metric, seed.
    fn search(
        &mut self,
        keyword: &Span,
        options: &[Arg],
        candidates: Vec<EstimatorSpec>,
    ) -> Option<SearchSpec> {
        let first = candidates.first()?.clone();
        if !first.is_supervised() {
            self.model_error(
                Code::InvalidModel,
                format!("`{}` has no label to cross-validate against", first.name()),
                *keyword,
                "unsupervised",
                "use `fit` and compare clusterings with `evaluate clustering`",
            );
            return None;
        }
        let options = self.options("cross_validate", options, &["folds", "metric", "seed"])?;
        let folds = match options.get("folds") {
            Some(e) => self.int_option(e, "`folds`", 2)?,
            None => 5,
        };
        let seed = match options.get("seed") {
            Some(e) => self.int_option(e, "`seed`", 0)?,
            None => 0,
        };
        let allowed = if first.is_classifier() {
            CvMetric::CLASSIFICATION
        } else {
            CvMetric::REGRESSION
        };
        let metric = match options.get("metric") {
            Some(e) => CvMetric::from_name(&self.word_option(e, "`metric`", allowed)?)?,
            None => CvMetric::from_name(allowed[0])?,
        };
        Some(SearchSpec {
            candidates,
            folds,
            metric,
            seed,
        })
    }

    fn no_fit(&mut self, decl: &ModelDecl) {
        self.model_error(
            Code::InvalidModel,
            format!("model `{}` does not end with `fit`", decl.name.name),
            decl.name.span,
            "no `fit`",
            "end its chain with `| fit logistic_regression(label = y, features = [a, b])`",
        );
    }

    fn transformer(
        &mut self,
        step: &Step,
        schema: &Schema,
        kinds: &mut HashMap<String, Kind>,
    ) -> Option<TransformerSpec> {
        let Operator::Transform {
            transformer,
            columns,
            args,
        } = &step.op
        else {
            let keyword = step.op.keyword();
            let help = if keyword == "fit" || keyword == "cross_validate" {
                "a model fits once: remove this `fit` or the last one".to_string()
            } else {
                format!(
                    "do `{keyword}` in a `let` before the model; a model's steps are feature transformers ({}) and a final `fit`",
                    TransformerSpec::KEYWORDS.join(", ")
                )
            };
            self.model_error(
                Code::InvalidModel,
                format!("`{keyword}` cannot be a step of a model"),
                step.keyword,
                "not a transformer",
                &help,
            );
            return None;
        };
        let name = transformer.name.as_str();
        // What each transformer reads (`takes`, and `also` when two kinds do) and what
        // the column becomes (`gives`; `None` when a new `into` column is made instead).
        let (takes, also, gives) = match name {
            "tokenize" => (Kind::Text, None, Some(Kind::Tokens)),
            "remove_stopwords" | "ngrams" => (Kind::Tokens, None, Some(Kind::Tokens)),
            "hashing_tf" | "tf_idf" => (Kind::Tokens, None, Some(Kind::Vector)),
            "string_index" => (Kind::Text, Some(Kind::Number), Some(Kind::Number)),
            "one_hot" => (Kind::Text, Some(Kind::Number), Some(Kind::Vector)),
            "assemble" => (Kind::Number, Some(Kind::Vector), None),
            "pca" => (Kind::Number, None, None),
            _ => (Kind::Number, None, Some(Kind::Number)),
        };
        let mut ok = true;
        let mut names = Vec::new();
        for c in columns {
            let made_here = schema.field(&c.name).is_none() && kinds.contains_key(&c.name);
            if !made_here && self.column(c, schema).is_none() {
                ok = false;
                continue;
            }
            let kind = kinds.get(&c.name).copied().unwrap_or(Kind::Other);
            if kind == Kind::Failed {
                ok = false;
                continue;
            }
            if kind != takes && Some(kind) != also {
                kinds.insert(c.name.clone(), Kind::Failed);
                self.model_error(
                    Code::ArgumentType,
                    format!(
                        "`{name}` needs {}; `{}` is {} here",
                        takes.describe(),
                        c.name,
                        kind.describe()
                    ),
                    c.span,
                    "wrong kind of column",
                    &kind.how_to(&c.name, takes),
                );
                ok = false;
                continue;
            }
            if let Some(gives) = gives {
                kinds.insert(c.name.clone(), gives);
            }
            names.push(c.name.clone());
        }
        let known: Vec<&str> = TRANSFORMER_OPTIONS
            .iter()
            .find(|(t, _)| *t == name)
            .map(|(_, options)| options.iter().map(|o| o.0).collect())
            .unwrap_or_default();
        let options = self.options(name, args, &known)?;
        if !ok {
            return None;
        }
        let int = |r: &mut Self, key: &str, default: u64| match options.get(key) {
            Some(e) => r.int_option(e, &format!("`{key}`"), 1),
            None => Some(default),
        };
        // `into = name`: the new vector column of `assemble` and `pca`.
        let into = if gives.is_none() {
            let Some(e) = options.get("into") else {
                self.model_error(
                    Code::ArgumentCount,
                    format!("`{name}` needs `into`, the name of the vector it makes"),
                    transformer.span,
                    "no `into`",
                    &format!("write `| {name} a, b (into = features)`"),
                );
                return None;
            };
            let ExprKind::Name(new) = &e.kind else {
                self.model_error(
                    Code::ArgumentType,
                    "`into` is a column name".into(),
                    e.span,
                    "not a name",
                    "write `into = features`",
                );
                return None;
            };
            if kinds.contains_key(new) {
                self.model_error(
                    Code::DuplicateColumn,
                    format!("`{new}` already exists; `into` names a new column"),
                    e.span,
                    "taken",
                    "choose another name",
                );
                return None;
            }
            kinds.insert(new.clone(), Kind::Vector);
            new.clone()
        } else {
            String::new()
        };
        Some(match name {
            "standardize" => TransformerSpec::Standardize { columns: names },
            "min_max_scale" => TransformerSpec::MinMaxScale { columns: names },
            "tokenize" => TransformerSpec::Tokenize {
                columns: names,
                lowercase: match options.get("lowercase") {
                    Some(e) => match self.constant(e, "`lowercase`")? {
                        ConstValue::Bool(b) => b,
                        other => {
                            self.model_error(
                                Code::ArgumentType,
                                format!("`lowercase` is true or false, not {other}"),
                                e.span,
                                "not a bool",
                                "write `lowercase = false`",
                            );
                            return None;
                        }
                    },
                    None => true,
                },
            },
            "remove_stopwords" => TransformerSpec::RemoveStopwords { columns: names },
            "string_index" => TransformerSpec::StringIndex { columns: names },
            "one_hot" => TransformerSpec::OneHot { columns: names },
            "assemble" => TransformerSpec::Assemble {
                columns: names,
                into,
            },
            "pca" => {
                let k = int(self, "k", 2)?;
                if k as usize > names.len() {
                    self.model_error(
                        Code::InvalidConstant,
                        format!(
                            "`pca` of {} columns has at most {} components, not {k}",
                            names.len(),
                            names.len()
                        ),
                        transformer.span,
                        "too many components",
                        "lower `k`",
                    );
                    return None;
                }
                TransformerSpec::Pca {
                    columns: names,
                    k,
                    into,
                }
            }
            "ngrams" => TransformerSpec::Ngrams {
                columns: names,
                n: int(self, "n", 2)?,
            },
            "hashing_tf" => TransformerSpec::HashingTf {
                columns: names,
                num_features: int(self, "num_features", 1 << 18)?,
            },
            "tf_idf" => TransformerSpec::TfIdf {
                columns: names,
                max_features: match options.get("max_features") {
                    Some(e) => Some(self.int_option(e, "`max_features`", 1)?),
                    None => None,
                },
                min_df: int(self, "min_df", 1)?,
            },
            _ => {
                let strategy = match options.get("strategy") {
                    Some(e) => {
                        let word = self.word_option(e, "strategy", ImputeStrategy::NAMES)?;
                        ImputeStrategy::from_name(&word)?
                    }
                    None => ImputeStrategy::Mean,
                };
                TransformerSpec::Impute {
                    columns: names,
                    strategy,
                }
            }
        })
    }

    #[allow(clippy::type_complexity)]
    fn estimator(
        &mut self,
        name: &Ident,
        args: &[Arg],
        schema: &Schema,
        kinds: &HashMap<String, Kind>,
    ) -> Option<(EstimatorSpec, Option<ModelColumn>, Vec<String>)> {
        let Some((_, table)) = ESTIMATORS.iter().find(|(n, _)| *n == name.name) else {
            let names: Vec<&str> = ESTIMATORS.iter().map(|(n, _)| *n).collect();
            let mut d = Diagnostic::error(
                Code::UnknownFunction,
                format!("unknown estimator `{}`", name.name),
                name.span,
                "not an estimator",
            );
            d.help = did_you_mean(&name.name, names.iter().copied())
                .or_else(|| Some(format!("estimators are {}", names.join(", "))));
            self.diags.push(d);
            return None;
        };
        let supervised = name.name != "kmeans";
        let mut known: Vec<&str> = vec!["features"];
        if supervised {
            known.push("label");
        }
        known.extend(table.iter().map(|o| o.0));
        let options = self.options(&name.name, args, &known)?;
        let features = match options.get("features") {
            Some(e) => self.feature_list(e, schema, kinds, "`features`"),
            None => {
                self.model_error(
                    Code::ArgumentCount,
                    format!("`{}` needs `features`", name.name),
                    name.span,
                    "no features",
                    "list the feature columns: `features = [a, b]`",
                );
                None
            }
        };
        let label = if supervised {
            match options.get("label") {
                Some(e) => self.label(e, schema, &name.name, features.as_deref()),
                None => {
                    self.model_error(
                        Code::ArgumentCount,
                        format!("`{}` needs a `label`", name.name),
                        name.span,
                        "no label",
                        "name the column to predict: `label = overdue`",
                    );
                    return None;
                }
            }
            .map(Some)?
        } else {
            None
        };
        let features = features?;
        let f64_opt = |r: &mut Self, key: &str, default: f64, min: f64| match options.get(key) {
            Some(e) => r.number_option(e, &format!("`{key}`"), min),
            None => Some(default),
        };
        let int_opt = |r: &mut Self, key: &str, default: u64, min: i64| match options.get(key) {
            Some(e) => r.int_option(e, &format!("`{key}`"), min),
            None => Some(default),
        };
        let quantize = |r: &mut Self| match options.get("quantize") {
            Some(e) => r.word_option(e, "`quantize`", &["none", "int8"]).map(|w| {
                if w == "int8" {
                    Quantization::Int8
                } else {
                    Quantization::None
                }
            }),
            None => Some(Quantization::None),
        };
        let spec = match name.name.as_str() {
            "logistic_regression" => EstimatorSpec::LogisticRegression {
                l2: f64_opt(self, "l2", 0.0, 0.0)?,
                max_iter: int_opt(self, "max_iter", 100, 1)?,
                tolerance: f64_opt(self, "tolerance", 1e-6, 0.0)?,
                class_weight: match options.get("class_weight") {
                    Some(e) => {
                        if self.word_option(e, "`class_weight`", &["none", "balanced"])?
                            == "balanced"
                        {
                            ClassWeight::Balanced
                        } else {
                            ClassWeight::None
                        }
                    }
                    None => ClassWeight::None,
                },
                quantize: quantize(self)?,
            },
            "linear_regression" => EstimatorSpec::LinearRegression {
                l2: f64_opt(self, "l2", 0.0, 0.0)?,
                quantize: quantize(self)?,
            },
            "decision_tree" => EstimatorSpec::DecisionTree {
                criterion: match options.get("criterion") {
                    Some(e) => Criterion::from_name(&self.word_option(
                        e,
                        "`criterion`",
                        Criterion::NAMES,
                    )?)?,
                    None => Criterion::Gini,
                },
                max_depth: int_opt(self, "max_depth", 5, 0)?,
                min_samples_split: int_opt(self, "min_samples_split", 2, 2)?,
                min_samples_leaf: int_opt(self, "min_samples_leaf", 1, 1)?,
            },
            "naive_bayes" => EstimatorSpec::NaiveBayes {
                kind: match options.get("kind") {
                    Some(e) => {
                        if self.word_option(e, "`kind`", &["multinomial", "gaussian"])?
                            == "gaussian"
                        {
                            NaiveBayesKind::Gaussian
                        } else {
                            NaiveBayesKind::Multinomial
                        }
                    }
                    None => NaiveBayesKind::Multinomial,
                },
                smoothing: f64_opt(self, "smoothing", 1.0, 0.0)?,
            },
            _ => EstimatorSpec::Kmeans {
                k: int_opt(self, "k", 2, 1)?,
                max_iter: int_opt(self, "max_iter", 300, 1)?,
                tolerance: f64_opt(self, "tolerance", 1e-4, 0.0)?,
                seed: int_opt(self, "seed", 0, 0)?,
                n_init: int_opt(self, "n_init", 1, 1)?,
            },
        };
        if let (Some(l), false) = (&label, spec.is_classifier())
            && !matches!(l.data_type, DataType::Int64 | DataType::Float64)
        {
            self.model_error(
                Code::ArgumentType,
                format!(
                    "`{}` regresses a number; label `{}` is {}",
                    name.name, l.name, l.data_type
                ),
                name.span,
                "not a numeric label",
                "use criterion = gini or entropy to classify, or a numeric label",
            );
            return None;
        }
        Some((spec, label, features))
    }

    fn label(
        &mut self,
        e: &Expr,
        schema: &Schema,
        estimator: &str,
        features: Option<&[String]>,
    ) -> Option<ModelColumn> {
        let (name, t) = self.column_arg(e, schema, "`label`")?;
        if features.is_some_and(|f| f.contains(&name)) {
            self.model_error(
                Code::InvalidModel,
                format!("`{name}` is both the label and a feature"),
                e.span,
                "also a feature",
                "remove it from `features`: a model must not see the answer",
            );
            return None;
        }
        let usable = match estimator {
            "logistic_regression" | "naive_bayes" | "decision_tree" => matches!(
                t,
                DataType::Int64 | DataType::Float64 | DataType::Bool | DataType::String
            ),
            _ => matches!(t, DataType::Int64 | DataType::Float64),
        };
        if !usable {
            self.model_error(
                Code::ArgumentType,
                format!("`{estimator}` cannot learn a {t} label (`{name}`)"),
                e.span,
                "unusable label type",
                if matches!(
                    estimator,
                    "logistic_regression" | "naive_bayes" | "decision_tree"
                ) {
                    "a class label is int64, float64, bool or string"
                } else {
                    "a regression label is int64 or float64"
                },
            );
            return None;
        }
        Some(ModelColumn { name, data_type: t })
    }

    /// `source m = model("path")`: the model's signature is read now.
    pub(crate) fn model_source(&mut self, decl: &SourceDecl) {
        let path = match decl.args.as_slice() {
            [Arg { name: None, value }] => {
                self.constant(value, "a model path").and_then(|v| match v {
                    ConstValue::String(s) => Some((s, value.span)),
                    other => {
                        self.model_error(
                            Code::ArgumentType,
                            format!("a model path is a string, not {other}"),
                            value.span,
                            "not a path",
                            "write the path in quotes",
                        );
                        None
                    }
                })
            }
            _ => {
                self.model_error(
                    Code::ArgumentCount,
                    "`model` takes one argument: the model file's path".into(),
                    decl.format.span,
                    "wrong arguments",
                    &format!(
                        "write `source {} = model(\"out/model.json\")`",
                        decl.name.name
                    ),
                );
                None
            }
        };
        let mut signature = None;
        let node = path.and_then(|(path, span)| {
            let full = match &self.options.base_dir {
                Some(base) => base.join(&path),
                None => std::path::PathBuf::from(&path),
            };
            let read = sluice_stdlib::io::read_bounded_text(&full, sluice_stdlib::io::MAX_MODEL_BYTES)
                .and_then(|text| sluice_stdlib::ml::artifact::Model::from_json(&text));
            match read {
                Ok(model) => {
                    signature = Some(ModelSignature {
                        input: model.input,
                        outputs: model.outputs,
                    });
                    Some(self.plan.add(
                        PlanNode {
                            op: PlanOp::LoadModel { path },
                            schema: model_schema(),
                            relation: Some(decl.name.name.clone()),
                            hints: Default::default(),
                            sharing: None,
                            span: decl.span,
                        },
                        &[],
                    ))
                }
                Err(e) => {
                    self.model_error(
                        Code::ModelUnreadable,
                        format!("cannot read model `{}`: {e}", full.display()),
                        span,
                        "this file",
                        "train it first: run the pipeline with `sink NAME -> model(\"...\")` that writes it",
                    );
                    None
                }
            }
        });
        self.declare(&decl.name, node, true);
        if let Some(info) = self.relations.get_mut(&decl.name.name) {
            info.model = Some(signature);
        }
    }

    /// `| predict m`: the model node and the relation's new schema.
    pub(crate) fn predict(
        &mut self,
        model: &Ident,
        schema: &Schema,
        step: &Step,
    ) -> Option<(PlanOp, Schema, Vec<NodeIndex>)> {
        let node = self.lookup_any(model).ok()?;
        let signature = match self.relations.get(&model.name).map(|i| i.model.clone()) {
            Some(Some(signature)) => signature?,
            _ => {
                self.model_error(
                    Code::InvalidModel,
                    format!("`{}` is a relation, not a model", model.name),
                    model.span,
                    "not a model",
                    "declare a model with `model NAME = REL | fit ...` or `source NAME = model(\"path\")`",
                );
                return None;
            }
        };
        let node = node?;
        let mut ok = true;
        for c in &signature.input {
            match schema.field(&c.name) {
                None => {
                    let mut d = Diagnostic::error(
                        Code::ModelMismatch,
                        format!(
                            "model `{}` needs column `{}` ({}), which this relation does not have",
                            model.name, c.name, c.data_type
                        ),
                        model.span,
                        format!("`{}` is missing", c.name),
                    )
                    .with_label(step.keyword, "applied here");
                    d.help = did_you_mean(&c.name, schema.names())
                        .map(|h| {
                            format!(
                                "{h}; rename it with `| rename {{ ... -> {} }}`",
                                sluice_stdlib::types::display_name(&c.name)
                            )
                        })
                        .or_else(|| {
                            Some(format!(
                                "the model reads {}",
                                signature
                                    .input
                                    .iter()
                                    .map(|c| c.name.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ))
                        });
                    self.diags.push(d);
                    ok = false;
                }
                Some(f)
                    if !(is_feature_type(&f.data_type) && is_feature_type(&c.data_type))
                        && f.data_type != c.data_type =>
                {
                    self.diags.push(
                        Diagnostic::error(
                            Code::ModelMismatch,
                            format!(
                                "model `{}` was trained with `{}` as {}; here it is {}",
                                model.name, c.name, c.data_type, f.data_type
                            ),
                            model.span,
                            format!("`{}` has another type", c.name),
                        )
                        .with_label(step.keyword, "applied here")
                        .with_help(format!(
                            "cast it first: `| cast {}: {}`",
                            sluice_stdlib::types::display_name(&c.name),
                            c.data_type
                        )),
                    );
                    ok = false;
                }
                Some(_) => {}
            }
        }
        let mut out = schema.clone();
        for c in &signature.outputs {
            if schema.field(&c.name).is_some() {
                self.model_error(
                    Code::DuplicateColumn,
                    format!(
                        "`predict` adds column `{}`, which the relation already has",
                        c.name
                    ),
                    step.keyword,
                    "would replace a column",
                    &format!("rename or drop `{}` before predicting", c.name),
                );
                ok = false;
            }
            out.upsert(Field::new(c.name.clone(), c.data_type.clone(), true));
        }
        ok.then(|| {
            (
                PlanOp::Predict {
                    model: model.name.clone(),
                    reads: signature.input.iter().map(|c| c.name.clone()).collect(),
                    outputs: signature.outputs.clone(),
                },
                out,
                vec![node],
            )
        })
    }

    /// `| evaluate KIND(...)`.
    pub(crate) fn evaluate(
        &mut self,
        kind: &Ident,
        args: &[Arg],
        schema: &Schema,
    ) -> Option<(PlanOp, Schema, Vec<NodeIndex>)> {
        let Some((_, table)) = EVALUATIONS.iter().find(|(n, _)| *n == kind.name) else {
            let names: Vec<&str> = EVALUATIONS.iter().map(|(n, _)| *n).collect();
            let mut d = Diagnostic::error(
                Code::UnknownFunction,
                format!("unknown evaluation `{}`", kind.name),
                kind.span,
                "not an evaluation",
            );
            d.help = did_you_mean(&kind.name, names.iter().copied())
                .or_else(|| Some(format!("evaluations are {}", names.join(", "))));
            self.diags.push(d);
            return None;
        };
        let known: Vec<&str> = table.iter().map(|a| a.0).collect();
        let options = self.options(&kind.name, args, &known)?;
        let default_name = |n: &str| Expr {
            kind: ExprKind::Name(n.to_string()),
            span: kind.span,
        };
        let numeric_column = |r: &mut Self, key: &str, default: Option<&str>| {
            let e = match (options.get(key), default) {
                (Some(e), _) => e.clone(),
                (None, Some(d)) => default_name(d),
                (None, None) => {
                    r.model_error(
                        Code::ArgumentCount,
                        format!("`evaluate {}` needs `{key}`", kind.name),
                        kind.span,
                        "missing",
                        &format!("name the column: `{key} = ...`"),
                    );
                    return None;
                }
            };
            let (name, t) = r.column_arg(&e, schema, &format!("`{key}`"))?;
            if !is_feature_type(&t) {
                r.model_error(
                    Code::ArgumentType,
                    format!("`{key}` must be numeric; `{name}` is {t}"),
                    e.span,
                    "not numeric",
                    "evaluate numeric labels and scores",
                );
                return None;
            }
            Some(name)
        };
        let spec = match kind.name.as_str() {
            "binary" => {
                let label = numeric_column(self, "label", None);
                let score = numeric_column(self, "score", Some("probability"));
                let threshold = match options.get("threshold") {
                    Some(e) => self.number_option(e, "`threshold`", 0.0)?,
                    None => 0.5,
                };
                EvaluateSpec::Binary {
                    label: label?,
                    score: score?,
                    threshold,
                }
            }
            "multiclass" => {
                let mut class_column = |key: &str, default: Option<&str>| {
                    let e = match (options.get(key), default) {
                        (Some(e), _) => e.clone(),
                        (None, Some(d)) => default_name(d),
                        (None, None) => {
                            self.model_error(
                                Code::ArgumentCount,
                                "`evaluate multiclass` needs `label`".into(),
                                kind.span,
                                "missing",
                                "name the true class column: `label = species`",
                            );
                            return None;
                        }
                    };
                    let (name, t) = self.column_arg(&e, schema, &format!("`{key}`"))?;
                    if matches!(t, DataType::List(_)) {
                        self.model_error(
                            Code::ArgumentType,
                            format!("`{key}` must be one value per row; `{name}` is {t}"),
                            e.span,
                            "a list",
                            "evaluate a class column",
                        );
                        return None;
                    }
                    Some(name)
                };
                let label = class_column("label", None);
                let prediction = class_column("prediction", Some("prediction"));
                EvaluateSpec::Multiclass {
                    label: label?,
                    prediction: prediction?,
                }
            }
            "regression" => {
                let label = numeric_column(self, "label", None);
                let prediction = numeric_column(self, "prediction", Some("prediction"));
                EvaluateSpec::Regression {
                    label: label?,
                    prediction: prediction?,
                }
            }
            _ => {
                let prediction = numeric_column(self, "prediction", Some("prediction"));
                let features = match options.get("features") {
                    Some(e) => self.feature_list(e, schema, &kinds_of(schema), "`features`"),
                    None => {
                        self.model_error(
                            Code::ArgumentCount,
                            "`evaluate clustering` needs `features`".into(),
                            kind.span,
                            "missing",
                            "list the columns distances are measured on: `features = [x, y]`",
                        );
                        None
                    }
                };
                let sample = match options.get("sample") {
                    Some(e) => self.int_option(e, "`sample`", 2)?,
                    None => 10_000,
                };
                let seed = match options.get("seed") {
                    Some(e) => self.int_option(e, "`seed`", 0)?,
                    None => 0,
                };
                EvaluateSpec::Clustering {
                    features: features?,
                    prediction: prediction?,
                    sample,
                    seed,
                }
            }
        };
        let fields = spec
            .outputs()
            .into_iter()
            .map(|c| Field::new(c.name, c.data_type, true))
            .collect();
        Some((PlanOp::Evaluate { spec }, Schema::new(fields), vec![]))
    }
}

//! The abstract syntax tree both front ends (DSL and YAML) produce.
//!
//! Every node carries the [`Span`] of the text it came from, so diagnostics can point
//! into the DSL file or into the YAML file. Spans never take part in equality: two trees
//! are equal when they say the same thing, which is how the DSL and YAML forms of a
//! pipeline are compared.

use serde::Serialize;
use sluice_stdlib::DataType;

/// A byte range in a source file.
#[derive(Clone, Copy, Debug, Default, Eq, PartialOrd, Ord)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }
    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
    pub fn len(self) -> usize {
        self.end - self.start
    }
    pub fn is_empty(self) -> bool {
        self.end == self.start
    }
}

/// Spans are positions, not meaning: any two are equal.
impl PartialEq for Span {
    fn eq(&self, _: &Span) -> bool {
        true
    }
}

impl Serialize for Span {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{}..{}", self.start, self.end))
    }
}

/// A name as written: a relation, a column, a function, an option.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

impl Ident {
    pub fn new(name: impl Into<String>, span: Span) -> Ident {
        Ident {
            name: name.into(),
            span,
        }
    }
}

/// A whole pipeline file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Pipeline {
    pub name: Option<Ident>,
    pub items: Vec<Item>,
}

/// A top-level declaration.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "item", rename_all = "snake_case")]
pub enum Item {
    Param(ParamDecl),
    Source(SourceDecl),
    Let(LetDecl),
    Model(ModelDecl),
    Sink(SinkDecl),
}

impl Item {
    pub fn span(&self) -> Span {
        match self {
            Item::Param(p) => p.span,
            Item::Source(s) => s.span,
            Item::Let(l) => l.span,
            Item::Model(m) => m.span,
            Item::Sink(s) => s.span,
        }
    }
}

/// `param min_mag: float64 = 5.5`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParamDecl {
    pub name: Ident,
    pub ty: Option<TypeRef>,
    pub default: Option<Expr>,
    pub span: Span,
}

/// A type as written: `float64`, `int64?` (nullable), `list<string>`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TypeRef {
    pub data_type: DataType,
    pub nullable: bool,
    pub span: Span,
}

/// `source quakes = csv(input, header = true) { Date: string } @cache(memory)`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SourceDecl {
    /// `stream NAME = watch(...)`: an unbounded source, read in micro-batches.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stream: bool,
    pub name: Ident,
    pub format: Ident,
    pub args: Vec<Arg>,
    pub schema: Option<Vec<SchemaField>>,
    pub hints: Vec<Hint>,
    pub span: Span,
}

/// One column of a declared schema.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SchemaField {
    pub name: Ident,
    pub ty: TypeRef,
}

/// `let strong = quakes | filter ... | select ... @cache(memory)`; several names when
/// the chain ends in `split`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LetDecl {
    pub names: Vec<Ident>,
    pub input: Ident,
    pub steps: Vec<Step>,
    pub hints: Vec<Hint>,
    pub span: Span,
}

/// `model risk = train | standardize age | fit logistic_regression(label = y, features = [age])`:
/// the steps are the model's feature transformers, and the last one is `fit`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelDecl {
    pub name: Ident,
    pub input: Ident,
    pub steps: Vec<Step>,
    pub span: Span,
}

/// `sink yearly -> csv(out + "/yearly.csv")`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SinkDecl {
    pub input: Ident,
    pub format: Ident,
    pub args: Vec<Arg>,
    pub span: Span,
}

/// `@cache(memory)`, `@partition(hash(Year, 8))`, `@materialize`
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Hint {
    pub name: Ident,
    pub args: Vec<Arg>,
    pub span: Span,
}

/// A call argument, positional or named (`header = true`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Arg {
    pub name: Option<Ident>,
    pub value: Expr,
}

impl Arg {
    pub fn span(&self) -> Span {
        match &self.name {
            Some(n) => n.span.to(self.value.span),
            None => self.value.span,
        }
    }
}

/// One `| operator` of a chain.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Step {
    pub op: Operator,
    /// The operator's keyword.
    pub keyword: Span,
    pub span: Span,
}

/// `tumbling(ts, 1m)`, `sliding(ts, 1m, 10s)`, `session(ts, gap = 5m)`: an event-time
/// window as a group key.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventWindow {
    /// `tumbling`, `sliding` or `session`.
    pub kind: Ident,
    pub args: Vec<Arg>,
    pub span: Span,
}

/// `name = expr` in `derive` and `group`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Assignment {
    pub name: Ident,
    pub value: Expr,
}

/// One column of a `window`: a window function or an aggregate call, and its frame.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WindowColumn {
    pub name: Ident,
    pub value: Expr,
    pub frame: Option<Frame>,
}

/// `rows between 2 preceding and current row`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Frame {
    pub unit: FrameUnit,
    pub start: FrameBound,
    pub end: FrameBound,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FrameUnit {
    /// Offsets count rows.
    Rows,
    /// Offsets are distances in the (one) order column's values; peers go together.
    Range,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FrameBound {
    UnboundedPreceding,
    Preceding(Expr),
    CurrentRow,
    Following(Expr),
    UnboundedFollowing,
}

/// `old -> new` in `rename`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RenamePair {
    pub from: Ident,
    pub to: Ident,
}

/// `column: type` in `cast`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CastPair {
    pub column: Ident,
    pub ty: TypeRef,
}

/// How `fill_null` fills.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FillValue {
    /// `mean`, `median` or `mode` of the column.
    Strategy(Ident),
    Constant(Expr),
}

/// The argument of `fill_null`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FillSpec {
    /// One rule for every column it applies to.
    All(FillValue),
    /// A rule per named column.
    Columns(Vec<(Ident, FillValue)>),
}

/// Several groupings in one `group`: one result row per group of each set, the keys a
/// set leaves out being null (SQL's and Spark's `GROUP BY ROLLUP / CUBE / GROUPING SETS`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupingSets {
    /// `rollup(a, b)`: (a, b), (a), ().
    Rollup(Vec<Ident>),
    /// `cube(a, b)`: every subset, (a, b), (a), (b), ().
    Cube(Vec<Ident>),
    /// `grouping sets ((a, b), (b), ())`: the sets as written.
    Sets(Vec<Vec<Ident>>),
}

impl GroupingSets {
    /// Every key column some set names, in order of first mention.
    pub fn columns(&self) -> Vec<Ident> {
        let mut out: Vec<Ident> = Vec::new();
        let all: Vec<&Ident> = match self {
            GroupingSets::Rollup(k) | GroupingSets::Cube(k) => k.iter().collect(),
            GroupingSets::Sets(sets) => sets.iter().flatten().collect(),
        };
        for k in all {
            if !out.iter().any(|o| o.name == k.name) {
                out.push(k.clone());
            }
        }
        out
    }
}

/// `column [asc|desc] [nulls first|last]`, or an expression in place of the column.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SortKey {
    /// The column; for an expression key, the expression's text (for messages).
    pub column: Ident,
    /// The expression when the key is not a plain column (`sort abs(x) desc`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression: Option<Expr>,
    pub descending: bool,
    /// `None` when not written: nulls go last either way, as in DuckDB.
    pub nulls_first: Option<bool>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JoinKind {
    Inner,
    Left,
    Right,
    Full,
    Semi,
    Anti,
}

impl JoinKind {
    pub const ALL: &'static [JoinKind] = &[
        JoinKind::Inner,
        JoinKind::Left,
        JoinKind::Right,
        JoinKind::Full,
        JoinKind::Semi,
        JoinKind::Anti,
    ];
    pub fn name(self) -> &'static str {
        match self {
            JoinKind::Inner => "inner",
            JoinKind::Left => "left",
            JoinKind::Right => "right",
            JoinKind::Full => "full",
            JoinKind::Semi => "semi",
            JoinKind::Anti => "anti",
        }
    }
    pub fn from_name(name: &str) -> Option<JoinKind> {
        Self::ALL.iter().copied().find(|k| k.name() == name)
    }
}

/// `left_column == right_column`, or one name present on both sides.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JoinKey {
    pub left: Ident,
    pub right: Ident,
    /// `a <=> b`: a null key matches a null key.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub null_safe: bool,
}

/// One item of a join's `on` list: a key, or a condition over both sides' columns.
#[derive(Clone, Debug, PartialEq)]
pub enum JoinItem {
    Key(JoinKey),
    Condition(Expr),
}

/// `join asof ... within TOLERANCE`: the nearest earlier right row by time.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AsOf {
    /// How far back a match may lie (`None`: any distance).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub within: Option<Expr>,
}

/// A relational operator and its arguments, as written.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Operator {
    Filter {
        predicate: Expr,
    },
    Select {
        columns: Vec<Ident>,
    },
    Drop {
        columns: Vec<Ident>,
    },
    Derive {
        columns: Vec<Assignment>,
    },
    Rename {
        pairs: Vec<RenamePair>,
    },
    Cast {
        pairs: Vec<CastPair>,
    },
    /// Distinct rows, or distinct on the named columns (the first row of each is kept).
    Distinct {
        columns: Vec<Ident>,
    },
    FillNull {
        spec: FillSpec,
    },
    /// Drop rows with a null in any column, or in any of the named ones.
    DropNull {
        columns: Vec<Ident>,
    },
    /// `group KEYS { name = aggregate, ... }`, or with several groupings at once.
    Group {
        /// Every key column (for grouping sets: each column that some set names, in
        /// order of first mention).
        keys: Vec<Ident>,
        aggregates: Vec<Assignment>,
        #[serde(skip_serializing_if = "Option::is_none")]
        grouping: Option<GroupingSets>,
        /// An event-time window among the keys (`group tumbling(ts, 1m), k { ... }`): its
        /// `window_start` and `window_end` columns come first.
        #[serde(skip_serializing_if = "Option::is_none")]
        window: Option<EventWindow>,
    },
    /// `watermark COLUMN delay DURATION`: on a stream, rows more than the delay behind
    /// the latest event time seen are late; windows close when the watermark passes them.
    Watermark {
        column: Ident,
        delay: Expr,
        /// `(late = NAME)`: the late rows, as a relation a sink can write.
        #[serde(skip_serializing_if = "Option::is_none")]
        late: Option<Ident>,
    },
    /// `window [by KEYS] [order by KEYS] { name = f(...) [frame], ... }`: a value per
    /// row from the row's partition.
    Window {
        partition_by: Vec<Ident>,
        order_by: Vec<SortKey>,
        columns: Vec<WindowColumn>,
    },
    Sort {
        keys: Vec<SortKey>,
    },
    /// `take N [offset M]`: the first N rows after skipping M.
    Take {
        count: Expr,
        offset: Option<Expr>,
    },
    /// `join [asof] [KIND] RIGHT on ITEMS [within TOLERANCE]`.
    Join {
        kind: JoinKind,
        right: Ident,
        on: Vec<JoinKey>,
        /// The `on` items that are not plain keys: expressions over both sides (an
        /// equality of a left and a right expression is a key too).
        #[serde(skip_serializing_if = "Vec::is_empty")]
        conditions: Vec<Expr>,
        #[serde(skip_serializing_if = "Option::is_none")]
        asof: Option<AsOf>,
    },
    /// `union [distinct] [by name] a, b`.
    Union {
        others: Vec<Ident>,
        /// Duplicate rows removed (SQL's `UNION`; without it, `UNION ALL`).
        distinct: bool,
        /// A side's missing columns are null (DuckDB's `UNION BY NAME`).
        by_name: bool,
    },
    /// The distinct rows also in `other` (SQL's `INTERSECT`; nulls equal nulls).
    Intersect {
        other: Ident,
    },
    /// The distinct rows not in `other` (SQL's `EXCEPT`).
    Except {
        other: Ident,
    },
    /// Every row with every row of `right` (`join cross right`).
    CrossJoin {
        right: Ident,
    },
    Sample {
        fraction: Expr,
        seed: Option<Expr>,
    },
    Split {
        fractions: Vec<Expr>,
        seed: Option<Expr>,
        stratify: Option<Ident>,
    },
    /// `explode COLUMN [with position NAME]`.
    Explode {
        column: Ident,
        /// The column of each item's 1-based position in its list.
        #[serde(skip_serializing_if = "Option::is_none")]
        position: Option<Ident>,
    },
    /// `pivot COLUMN in [V, ...] [by KEYS] { name = AGG(...), ... }`: one row per key
    /// combination, one column per value (per value and aggregate when there are several).
    Pivot {
        column: Ident,
        values: Vec<Expr>,
        keys: Vec<Ident>,
        aggregates: Vec<Assignment>,
    },
    /// `unpivot C1, C2, ... into NAME, VALUE`: each row becomes one row per column, with
    /// the column's name and its value.
    Unpivot {
        columns: Vec<Ident>,
        name: Ident,
        value: Ident,
    },
    /// `repartition 8`, `repartition hash(Year, 8)`, `repartition range(Year, 8)`.
    Repartition {
        scheme: Expr,
    },
    /// `fit logistic_regression(label = y, features = [a, b], l2 = 0.01)`: ends a model.
    Fit {
        estimator: Ident,
        args: Vec<Arg>,
    },
    /// `cross_validate ESTIMATOR(..., option = [a, b]) (folds = 5, metric = roc_auc)`:
    /// ends a model like `fit`, choosing among the option grid by k-fold scores.
    CrossValidate {
        estimator: Ident,
        args: Vec<Arg>,
        options: Vec<Arg>,
    },
    /// `predict risk`: adds the model's output columns.
    Predict {
        model: Ident,
    },
    /// `evaluate binary(label = y, score = probability)`: one row of metrics.
    Evaluate {
        kind: Ident,
        args: Vec<Arg>,
    },
    /// A feature transformer: `standardize a, b`, `impute a (strategy = median)`.
    Transform {
        transformer: Ident,
        columns: Vec<Ident>,
        args: Vec<Arg>,
    },
}

impl Operator {
    /// The operator's keyword.
    pub fn keyword(&self) -> &'static str {
        match self {
            Operator::Filter { .. } => "filter",
            Operator::Select { .. } => "select",
            Operator::Drop { .. } => "drop",
            Operator::Derive { .. } => "derive",
            Operator::Rename { .. } => "rename",
            Operator::Cast { .. } => "cast",
            Operator::Distinct { .. } => "distinct",
            Operator::FillNull { .. } => "fill_null",
            Operator::DropNull { .. } => "drop_null",
            Operator::Group { .. } => "group",
            Operator::Window { .. } => "window",
            Operator::Watermark { .. } => "watermark",
            Operator::Sort { .. } => "sort",
            Operator::Take { .. } => "take",
            Operator::Join { .. } => "join",
            Operator::Union { .. } => "union",
            Operator::Intersect { .. } => "intersect",
            Operator::Except { .. } => "except",
            Operator::CrossJoin { .. } => "join",
            Operator::Sample { .. } => "sample",
            Operator::Split { .. } => "split",
            Operator::Explode { .. } => "explode",
            Operator::Pivot { .. } => "pivot",
            Operator::Unpivot { .. } => "unpivot",
            Operator::Repartition { .. } => "repartition",
            Operator::Fit { .. } => "fit",
            Operator::CrossValidate { .. } => "cross_validate",
            Operator::Predict { .. } => "predict",
            Operator::Evaluate { .. } => "evaluate",
            Operator::Transform { transformer, .. } => {
                sluice_stdlib::ml::spec::TransformerSpec::KEYWORDS
                    .iter()
                    .copied()
                    .find(|k| *k == transformer.name)
                    .unwrap_or("transform")
            }
        }
    }
}

/// Every operator keyword, for suggestions and editor support.
pub const OPERATOR_KEYWORDS: &[&str] = &[
    "filter",
    "select",
    "drop",
    "derive",
    "rename",
    "cast",
    "distinct",
    "fill_null",
    "drop_null",
    "group",
    "window",
    "watermark",
    "sort",
    "take",
    "join",
    "union",
    "intersect",
    "except",
    "sample",
    "split",
    "explode",
    "pivot",
    "unpivot",
    "repartition",
    "fit",
    "cross_validate",
    "predict",
    "evaluate",
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

/// An expression.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExprKind {
    Literal(Literal),
    /// A column, or a param where no column has the name.
    Name(String),
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    Call {
        function: Ident,
        args: Vec<Arg>,
    },
    List(Vec<Expr>),
    /// `case when c then v ... [else v] end`
    Case {
        branches: Vec<(Expr, Expr)>,
        otherwise: Option<Box<Expr>>,
    },
    /// `expr as type`
    Cast {
        operand: Box<Expr>,
        ty: TypeRef,
    },
    /// `expr [not] in [a, b]`
    InList {
        operand: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Literal {
    Int(i64),
    Float(f64),
    String(String),
    Bool(bool),
    Null,
    Duration { amount: i64, unit: DurationUnit },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DurationUnit {
    Microseconds,
    Milliseconds,
    Seconds,
    Minutes,
    Hours,
    Days,
    Weeks,
}

impl DurationUnit {
    pub const ALL: &'static [DurationUnit] = &[
        DurationUnit::Microseconds,
        DurationUnit::Milliseconds,
        DurationUnit::Seconds,
        DurationUnit::Minutes,
        DurationUnit::Hours,
        DurationUnit::Days,
        DurationUnit::Weeks,
    ];
    pub fn suffix(self) -> &'static str {
        match self {
            DurationUnit::Microseconds => "us",
            DurationUnit::Milliseconds => "ms",
            DurationUnit::Seconds => "s",
            DurationUnit::Minutes => "m",
            DurationUnit::Hours => "h",
            DurationUnit::Days => "d",
            DurationUnit::Weeks => "w",
        }
    }
    pub fn from_suffix(s: &str) -> Option<DurationUnit> {
        Self::ALL.iter().copied().find(|u| u.suffix() == s)
    }
    pub fn micros(self) -> i64 {
        match self {
            DurationUnit::Microseconds => 1,
            DurationUnit::Milliseconds => 1_000,
            DurationUnit::Seconds => 1_000_000,
            DurationUnit::Minutes => 60_000_000,
            DurationUnit::Hours => 3_600_000_000,
            DurationUnit::Days => 86_400_000_000,
            DurationUnit::Weeks => 604_800_000_000,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnaryOp {
    Neg,
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::NotEq => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }

    /// Binding strength: higher binds tighter. Used by the parser and the formatter.
    pub fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            // 3 is prefix `not`
            BinaryOp::Eq
            | BinaryOp::NotEq
            | BinaryOp::Lt
            | BinaryOp::LtEq
            | BinaryOp::Gt
            | BinaryOp::GtEq => 4,
            // 5 is postfix `in`
            BinaryOp::Add | BinaryOp::Sub => 6,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Rem => 7,
        }
    }

    pub fn is_comparison(self) -> bool {
        self.precedence() == 4
    }
}

/// Precedence of prefix `not`.
pub const NOT_PRECEDENCE: u8 = 3;
/// Precedence of postfix `[not] in`.
pub const IN_PRECEDENCE: u8 = 5;
/// Precedence of prefix `-`.
pub const NEG_PRECEDENCE: u8 = 8;
/// Precedence of postfix `as`.
pub const CAST_PRECEDENCE: u8 = 9;

#[cfg(test)]
mod tests {
    #[test]
    fn every_transformer_is_an_operator_keyword() {
        for t in sluice_stdlib::ml::spec::TransformerSpec::KEYWORDS {
            assert!(super::OPERATOR_KEYWORDS.contains(t), "{t}");
        }
    }
}

//! One line per pipe operator, with its form: what the LSP shows on hover over an
//! operator keyword. `docs/language.md` has the full rules.

/// The form and one-line meaning of the operator `keyword` (a word of
/// [`super::ast::OPERATOR_KEYWORDS`]).
pub fn operator_doc(keyword: &str) -> Option<(&'static str, &'static str)> {
    OPERATOR_DOCS
        .iter()
        .find(|(k, _, _)| *k == keyword)
        .map(|(_, form, doc)| (*form, *doc))
}

/// (keyword, form, meaning)
const OPERATOR_DOCS: &[(&str, &str, &str)] = &[
    (
        "watermark",
        "watermark TIME delay 10s [(late = NAME)]",
        "on a stream: events more than the delay behind the latest time seen are late (dropped, counted, and the rows of relation NAME when given); windows close when it passes them",
    ),
    (
        "filter",
        "filter CONDITION",
        "keeps the rows where the condition is true",
    ),
    (
        "select",
        "select a, b",
        "keeps these columns, in this order",
    ),
    ("drop", "drop a, b", "removes these columns"),
    (
        "derive",
        "derive { name = EXPR, ... }",
        "adds or replaces columns computed per row",
    ),
    ("rename", "rename { old -> new }", "renames columns"),
    (
        "cast",
        "cast { a: int64 }",
        "converts columns to another type (null where a value does not convert)",
    ),
    (
        "distinct",
        "distinct [a, b]",
        "removes duplicate rows (on the columns given, keeping the first)",
    ),
    (
        "fill_null",
        "fill_null mean | { a = 0 }",
        "replaces nulls by a constant or a column statistic",
    ),
    (
        "drop_null",
        "drop_null [a, b]",
        "removes rows with a null (in the columns given)",
    ),
    (
        "group",
        "group KEYS { n = count() }  |  group rollup(a, b) / cube(a, b) / grouping sets ((a), ()) { ... }",
        "one row per key combination (per grouping set), with aggregates and expressions over them",
    ),
    (
        "window",
        "window by k order by t { rn = row_number(), run = sum(x) rows between ... }",
        "a value per row from its partition: ranks, offsets, aggregates over frames",
    ),
    (
        "sort",
        "sort a desc, abs(b) nulls first",
        "orders rows by columns or expressions (nulls last unless told)",
    ),
    (
        "take",
        "take N [offset M]",
        "keeps the first N rows (after skipping M)",
    ),
    (
        "join",
        "join [asof] [inner|left|right|full|semi|anti|cross] R on k, a == b, a <=> b, x < y [within T]",
        "joins with R on keys, null-safe keys, expression keys and conditions; `asof` takes the nearest row by time",
    ),
    (
        "union",
        "union [distinct] [by name] R, ...",
        "the rows of both (by name: missing columns are null)",
    ),
    (
        "intersect",
        "intersect R",
        "the distinct rows that R also has",
    ),
    (
        "except",
        "except R",
        "the distinct rows that R does not have",
    ),
    (
        "sample",
        "sample F seed S",
        "a seeded fraction F of the rows",
    ),
    (
        "split",
        "let a, b = R | split 0.8, 0.2 seed S [stratify c]",
        "splits the rows into seeded random parts",
    ),
    (
        "explode",
        "explode c [with position p]",
        "one row per item of list column c (p: its 1-based position)",
    ),
    (
        "pivot",
        "pivot c in [v1, v2] [by KEYS] { name = AGG(...) }",
        "one column per listed value of c (and item), one row per key combination",
    ),
    (
        "unpivot",
        "unpivot c1, c2 into name, value",
        "one row per listed column: its name and its value",
    ),
    (
        "repartition",
        "repartition N | hash(c, N) | range(c, N)",
        "redistributes the rows into N partitions",
    ),
    (
        "fit",
        "fit ESTIMATOR(label = y, features = [a, b])",
        "trains a model (in a `model` declaration)",
    ),
    (
        "cross_validate",
        "cross_validate ESTIMATOR(label = y, features = [a], l2 = [0.01, 1.0]) (folds = 5, metric = roc_auc)",
        "options written as lists form a grid; k-fold cross-validation picks the best candidate, which is trained on all rows",
    ),
    ("predict", "predict MODEL", "adds the model's predictions"),
    (
        "evaluate",
        "evaluate binary | multiclass | regression | clustering(label = y)",
        "one row of quality metrics of the predictions",
    ),
    (
        "standardize",
        "standardize a, b",
        "centres and scales columns (a model transformer)",
    ),
    (
        "min_max_scale",
        "min_max_scale a, b",
        "scales columns to [0, 1] (a model transformer)",
    ),
    (
        "impute",
        "impute a, b (strategy = median)",
        "fills nulls with a fitted statistic (a model transformer)",
    ),
    (
        "tokenize",
        "tokenize text",
        "splits text into tokens (a model transformer)",
    ),
    (
        "remove_stopwords",
        "remove_stopwords tokens",
        "drops common words (a model transformer)",
    ),
    (
        "ngrams",
        "ngrams tokens (n = 2)",
        "adds n-grams of tokens (a model transformer)",
    ),
    (
        "hashing_tf",
        "hashing_tf tokens (num_features = N)",
        "hashes tokens into a term vector (a model transformer)",
    ),
    (
        "tf_idf",
        "tf_idf tokens",
        "weighs tokens by inverse document frequency (a model transformer)",
    ),
    (
        "string_index",
        "string_index c",
        "maps text to numbers by frequency (a model transformer)",
    ),
    (
        "one_hot",
        "one_hot c",
        "one 0/1 feature per category (a model transformer)",
    ),
    (
        "assemble",
        "assemble a, b (into = features)",
        "packs columns into one vector (a model transformer)",
    ),
    (
        "pca",
        "pca a, b (k = 2, into = pcs)",
        "projects onto the top principal components (a model transformer)",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operator_keyword_has_a_doc() {
        for k in super::super::ast::OPERATOR_KEYWORDS {
            assert!(operator_doc(k).is_some(), "no doc for `{k}`");
        }
    }
}

//! The aggregate functions: a group of rows in, one value out.
//!
//! Nulls are skipped by every aggregate except `count()` (which counts rows),
//! `first`/`last` (which take the row's value, null or not) and `collect` (which keeps
//! nulls out of the list). An aggregate over a group with no non-null input is null,
//! except the counts, which are 0. `stddev` and `variance` are the sample statistics
//! (divisor n - 1), null for fewer than two values, like Spark, Polars and DuckDB.

use super::ArgKind::*;
use super::{ConstCheck, FunctionKind, FunctionSig, NullRule, Param, Returns};
use crate::types::DataType;

const INT: &DataType = &DataType::Int64;
const FLOAT: &DataType = &DataType::Float64;
const BOOL: &DataType = &DataType::Bool;
const STRING: &DataType = &DataType::String;

const fn aggregate(
    name: &'static str,
    params: &'static [Param],
    returns: Returns,
    nulls: NullRule,
    doc: &'static str,
    example: &'static str,
) -> FunctionSig {
    FunctionSig::of(
        FunctionKind::Aggregate,
        name,
        params,
        returns,
        nulls,
        doc,
        example,
    )
}

use NullRule::{Always, Never};
use Returns::{Fixed, IntOrFloat, ListOf, SameAs};

/// Every aggregate function, in documentation order.
pub static AGGREGATES: &[FunctionSig] = &[
    aggregate(
        "count",
        &[Param::optional("value", Any)],
        Fixed(INT),
        Never,
        "with no argument, the number of rows; with one, the number of non-null values",
        "count()",
    ),
    aggregate(
        "count_distinct",
        &[Param::required("value", Any)],
        Fixed(INT),
        Never,
        "the number of distinct non-null values",
        "count_distinct(Source)",
    ),
    aggregate(
        "sum",
        &[Param::required("x", Numeric)],
        IntOrFloat(0),
        Always,
        "the sum of the non-null values (int64 stays int64 and is null on overflow)",
        "sum(NumberOfDependents)",
    ),
    aggregate(
        "mean",
        &[Param::required("x", Numeric)],
        Fixed(FLOAT),
        Always,
        "the arithmetic mean of the non-null values",
        "mean(Magnitude)",
    ),
    aggregate(
        "min",
        &[Param::required("value", Ordered)],
        SameAs(0),
        Always,
        "the smallest non-null value (NaN sorts above every number)",
        "min(Depth)",
    ),
    aggregate(
        "max",
        &[Param::required("value", Ordered)],
        SameAs(0),
        Always,
        "the largest non-null value (NaN sorts above every number)",
        "max(Magnitude)",
    ),
    aggregate(
        "stddev",
        &[Param::required("x", Numeric)],
        Fixed(FLOAT),
        Always,
        "the sample standard deviation (n - 1)",
        "stddev(Magnitude)",
    ),
    aggregate(
        "variance",
        &[Param::required("x", Numeric)],
        Fixed(FLOAT),
        Always,
        "the sample variance (n - 1)",
        "variance(Magnitude)",
    ),
    aggregate(
        "median",
        &[Param::required("x", Numeric)],
        Fixed(FLOAT),
        Always,
        "the median, averaging the two middle values of an even count",
        "median(MonthlyIncome)",
    ),
    aggregate(
        "quantile",
        &[
            Param::required("x", Numeric),
            Param::required("q", Float).constant(ConstCheck::Probability),
        ],
        Fixed(FLOAT),
        Always,
        "the q-th quantile with linear interpolation between the closest ranks",
        "quantile(Magnitude, 0.9)",
    ),
    aggregate(
        "first",
        &[Param::required("value", Any)],
        SameAs(0),
        Always,
        "the value of the group's first row in the input's order",
        "first(Date)",
    ),
    aggregate(
        "last",
        &[Param::required("value", Any)],
        SameAs(0),
        Always,
        "the value of the group's last row in the input's order",
        "last(Date)",
    ),
    aggregate(
        "collect",
        &[Param::required("value", Any)],
        ListOf(0),
        Never,
        "the group's non-null values as a list, in input order",
        "collect(ID)",
    ),
    aggregate(
        "percentile_disc",
        &[
            Param::required("x", Numeric),
            Param::required("q", Float).constant(ConstCheck::Probability),
        ],
        SameAs(0),
        Always,
        "the smallest value whose cumulative share of the values reaches q (an actual value, no interpolation)",
        "percentile_disc(Depth, 0.9)",
    ),
    aggregate(
        "approx_quantile",
        &[
            Param::required("x", Numeric),
            Param::required("q", Float).constant(ConstCheck::Probability),
        ],
        Fixed(FLOAT),
        Always,
        "the q-th quantile, computed exactly (as `quantile`; the name is DuckDB's and Spark's `percentile_approx`, whose answers may differ by their approximation)",
        "approx_quantile(latency, 0.99)",
    ),
    aggregate(
        "product",
        &[Param::required("x", Numeric)],
        Fixed(FLOAT),
        Always,
        "the product of the values, in float64",
        "product(growth)",
    ),
    aggregate(
        "bool_and",
        &[Param::required("value", Bool)],
        Fixed(BOOL),
        Always,
        "true when every non-null value is true",
        "bool_and(on_time)",
    ),
    aggregate(
        "bool_or",
        &[Param::required("value", Bool)],
        Fixed(BOOL),
        Always,
        "true when some non-null value is true",
        "bool_or(delayed)",
    ),
    aggregate(
        "any_value",
        &[Param::required("value", Any)],
        SameAs(0),
        Always,
        "the first non-null value (in row order, so it is deterministic)",
        "any_value(name)",
    ),
    aggregate(
        "mode",
        &[Param::required("value", Ordered)],
        SameAs(0),
        Always,
        "the most frequent non-null value; among equally frequent ones, the first seen",
        "mode(airline)",
    ),
    aggregate(
        "collect_set",
        &[Param::required("value", Any)],
        ListOf(0),
        Never,
        "the distinct non-null values as a list, in order of first appearance",
        "collect_set(tag)",
    ),
    aggregate(
        "string_agg",
        &[
            Param::required("text", String),
            Param::required("separator", String).constant(ConstCheck::Text),
        ],
        Fixed(STRING),
        Always,
        "the non-null texts joined with the separator, in row order (null for a group without any)",
        "string_agg(airline, \", \")",
    ),
    aggregate(
        "corr",
        &[Param::required("x", Numeric), Param::required("y", Numeric)],
        Fixed(FLOAT),
        Always,
        "Pearson's correlation of the pairs where x and y are both non-null (null for fewer than two pairs or when x or y does not vary)",
        "corr(Magnitude, Depth)",
    ),
    aggregate(
        "covar_pop",
        &[Param::required("x", Numeric), Param::required("y", Numeric)],
        Fixed(FLOAT),
        Always,
        "the population covariance (divisor n) of the pairs where x and y are both non-null",
        "covar_pop(Magnitude, Depth)",
    ),
    aggregate(
        "covar_samp",
        &[Param::required("x", Numeric), Param::required("y", Numeric)],
        Fixed(FLOAT),
        Always,
        "the sample covariance (divisor n - 1) of the pairs where x and y are both non-null (null for fewer than two)",
        "covar_samp(Magnitude, Depth)",
    ),
    aggregate(
        "arg_min",
        &[
            Param::required("value", Any),
            Param::required("by", Ordered),
        ],
        SameAs(0),
        Always,
        "the value on the row where `by` is smallest, among rows where both are non-null (ties: the first row)",
        "arg_min(Date, Depth)",
    ),
    aggregate(
        "arg_max",
        &[
            Param::required("value", Any),
            Param::required("by", Ordered),
        ],
        SameAs(0),
        Always,
        "the value on the row where `by` is largest, among rows where both are non-null (ties: the first row)",
        "arg_max(Date, Magnitude)",
    ),
    aggregate(
        "grouping_id",
        &[],
        Fixed(INT),
        Never,
        "in a `group` with `rollup`, `cube` or `grouping sets`: the bit mask of the keys the row's grouping set leaves out (the first key is the highest bit), telling an \"all\" null from a null key",
        "grouping_id()",
    ),
    aggregate(
        "approx_count_distinct",
        &[Param::required("value", Any)],
        Fixed(INT),
        Never,
        "the number of distinct non-null values, exact up to 512 of them and beyond that a HyperLogLog estimate with 4096 registers (relative standard error about 1.6 %)",
        "approx_count_distinct(user_id)",
    ),
];

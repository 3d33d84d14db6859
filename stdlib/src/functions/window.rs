//! The window functions: used in `| window [by KEYS] [order by KEYS] { name = f(...) }`,
//! one value per row computed from the row's partition (the rows with its keys), in the
//! window's order. Every aggregate may be used there too, over the row's frame.
//!
//! Ranking functions (`row_number`, `rank`, `dense_rank`, `percent_rank`, `cume_dist`,
//! `ntile`) and `lag`/`lead` look at the whole ordered partition and ignore frames;
//! `first_value`, `last_value`, `nth_value` and the aggregates see the frame: by default
//! from the partition's start to the current row and its peers (the rows with the same
//! order values) when the window has an order, else the whole partition, as in SQL.

use super::ArgKind::*;
use super::{ConstCheck, FunctionKind, FunctionSig, NullRule, Param, Returns};
use crate::types::DataType;

const INT: &DataType = &DataType::Int64;
const FLOAT: &DataType = &DataType::Float64;

const fn window(
    name: &'static str,
    params: &'static [Param],
    returns: Returns,
    nulls: NullRule,
    doc: &'static str,
    example: &'static str,
) -> FunctionSig {
    FunctionSig::of(
        FunctionKind::Window,
        name,
        params,
        returns,
        nulls,
        doc,
        example,
    )
}

use NullRule::{Always, Never};
use Returns::{Fixed, SameAs};

/// Every window function, in documentation order.
pub static WINDOWS: &[FunctionSig] = &[
    window(
        "row_number",
        &[],
        Fixed(INT),
        Never,
        "the row's number in its partition, from 1, in the window's order (ties in input order)",
        "row_number()",
    ),
    window(
        "rank",
        &[],
        Fixed(INT),
        Never,
        "1 + the number of rows before the row's peers (ties share a rank, and leave a gap after)",
        "rank()",
    ),
    window(
        "dense_rank",
        &[],
        Fixed(INT),
        Never,
        "the number of distinct order values up to the row's (ties share a rank, no gaps)",
        "dense_rank()",
    ),
    window(
        "percent_rank",
        &[],
        Fixed(FLOAT),
        Never,
        "(rank - 1) / (rows in the partition - 1); 0 for a partition of one row",
        "percent_rank()",
    ),
    window(
        "cume_dist",
        &[],
        Fixed(FLOAT),
        Never,
        "the fraction of the partition's rows up to and including the row's peers",
        "cume_dist()",
    ),
    window(
        "ntile",
        &[Param::required("buckets", Int).constant(ConstCheck::PositiveInt)],
        Fixed(INT),
        Never,
        "the bucket (1..buckets) of the row when the partition is cut into that many as even as can be, the first ones one row larger",
        "ntile(4)",
    ),
    window(
        "lag",
        &[
            Param::required("value", Any),
            Param::optional("offset", Int).constant(ConstCheck::NonNegativeInt),
            Param::optional("default", Any),
        ],
        SameAs(0),
        Always,
        "the value `offset` rows (default 1) before the row in its partition, or `default` (null) when there is none",
        "lag(Magnitude, 1)",
    ),
    window(
        "lead",
        &[
            Param::required("value", Any),
            Param::optional("offset", Int).constant(ConstCheck::NonNegativeInt),
            Param::optional("default", Any),
        ],
        SameAs(0),
        Always,
        "the value `offset` rows (default 1) after the row in its partition, or `default` (null) when there is none",
        "lead(Magnitude)",
    ),
    window(
        "first_value",
        &[Param::required("value", Any)],
        SameAs(0),
        Always,
        "the value at the first row of the frame (null or not)",
        "first_value(Magnitude)",
    ),
    window(
        "last_value",
        &[Param::required("value", Any)],
        SameAs(0),
        Always,
        "the value at the last row of the frame (null or not)",
        "last_value(Magnitude)",
    ),
    window(
        "nth_value",
        &[
            Param::required("value", Any),
            Param::required("n", Int).constant(ConstCheck::PositiveInt),
        ],
        SameAs(0),
        Always,
        "the value at the frame's n-th row (from 1), null when the frame is shorter",
        "nth_value(Magnitude, 2)",
    ),
];

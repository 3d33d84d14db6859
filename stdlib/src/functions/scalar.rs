//! The scalar functions: one row in, one value out.
//!
//! Operators (`+`, `==`, `and`, ...) and `case`/`as` are part of the expression syntax
//! and are typed by the resolver; everything callable by name is listed here.
//! Documented behaviour (the reference implementation follows it): numeric functions
//! return null for a null input; `sqrt` and `ln` of a negative number give NaN; parse
//! functions give null for text that does not match the format.

use super::ArgKind::*;
use super::{ConstCheck, FunctionKind, FunctionSig, NullRule, Param, Returns};
use crate::types::DataType;

const BOOL: &DataType = &DataType::Bool;
const INT: &DataType = &DataType::Int64;
const FLOAT: &DataType = &DataType::Float64;
const STRING: &DataType = &DataType::String;
const DATE: &DataType = &DataType::Date;
const TIMESTAMP: &DataType = &DataType::Timestamp;

const fn scalar(
    name: &'static str,
    params: &'static [Param],
    returns: Returns,
    nulls: NullRule,
    doc: &'static str,
    example: &'static str,
) -> FunctionSig {
    FunctionSig {
        name,
        kind: FunctionKind::Scalar,
        params,
        variadic: false,
        returns,
        nulls,
        doc,
        example,
    }
}

const fn variadic(f: FunctionSig) -> FunctionSig {
    FunctionSig {
        variadic: true,
        ..f
    }
}

use NullRule::{AllNull, Always, Never, Propagate};
use Returns::{CommonOf, Fixed, SameAs};

/// Every scalar function, in documentation order.
pub static SCALARS: &[FunctionSig] = &[
    // --- nulls and conditionals
    scalar(
        "is_null",
        &[Param::required("value", Any)],
        Fixed(BOOL),
        Never,
        "true when the value is null",
        "is_null(MonthlyIncome)",
    ),
    scalar(
        "is_not_null",
        &[Param::required("value", Any)],
        Fixed(BOOL),
        Never,
        "true when the value is not null",
        "is_not_null(MonthlyIncome)",
    ),
    scalar(
        "is_nan",
        &[Param::required("value", Float)],
        Fixed(BOOL),
        Propagate,
        "true when a float is NaN (false for integers; null for null)",
        "is_nan(ratio)",
    ),
    variadic(scalar(
        "coalesce",
        &[
            Param::required("value", Any),
            Param::required("fallback", Any),
        ],
        CommonOf { from: 0 },
        AllNull,
        "the first argument that is not null",
        "coalesce(MonthlyIncome, 0)",
    )),
    scalar(
        "if",
        &[
            Param::required("condition", Bool),
            Param::required("then", Any),
            Param::required("else", Any),
        ],
        CommonOf { from: 1 },
        Always,
        "`then` where the condition is true, `else` where it is false or null",
        "if(age < 30, \"young\", \"older\")",
    ),
    variadic(scalar(
        "least",
        &[
            Param::required("value", Ordered),
            Param::required("other", Ordered),
        ],
        CommonOf { from: 0 },
        Propagate,
        "the smallest argument (null if any is null)",
        "least(Depth, 70)",
    )),
    variadic(scalar(
        "greatest",
        &[
            Param::required("value", Ordered),
            Param::required("other", Ordered),
        ],
        CommonOf { from: 0 },
        Propagate,
        "the largest argument (null if any is null)",
        "greatest(Depth, 0)",
    )),
    // --- strings
    scalar(
        "lower",
        &[Param::required("text", String)],
        Fixed(STRING),
        Propagate,
        "the text in lower case (Unicode-aware)",
        "lower(Type)",
    ),
    scalar(
        "upper",
        &[Param::required("text", String)],
        Fixed(STRING),
        Propagate,
        "the text in upper case (Unicode-aware)",
        "upper(Source)",
    ),
    scalar(
        "trim",
        &[Param::required("text", String)],
        Fixed(STRING),
        Propagate,
        "the text without leading and trailing whitespace",
        "trim(name)",
    ),
    scalar(
        "length",
        &[Param::required("value", StringOrList)],
        Fixed(INT),
        Propagate,
        "the number of characters of a string, or of items of a list",
        "length(text)",
    ),
    scalar(
        "contains",
        &[
            Param::required("text", String),
            Param::required("pattern", String),
        ],
        Fixed(BOOL),
        Propagate,
        "true when the text contains the pattern (plain text, not a regex)",
        "contains(text, \"delay\")",
    ),
    scalar(
        "starts_with",
        &[
            Param::required("text", String),
            Param::required("prefix", String),
        ],
        Fixed(BOOL),
        Propagate,
        "true when the text starts with the prefix",
        "starts_with(ID, \"US\")",
    ),
    scalar(
        "ends_with",
        &[
            Param::required("text", String),
            Param::required("suffix", String),
        ],
        Fixed(BOOL),
        Propagate,
        "true when the text ends with the suffix",
        "ends_with(ID, \"0\")",
    ),
    scalar(
        "replace",
        &[
            Param::required("text", String),
            Param::required("pattern", String),
            Param::required("replacement", String),
        ],
        Fixed(STRING),
        Propagate,
        "the text with every occurrence of the pattern replaced",
        "replace(text, \"&amp;\", \"&\")",
    ),
    scalar(
        "regex_match",
        &[
            Param::required("text", String),
            Param::required("pattern", String).constant(ConstCheck::Regex),
        ],
        Fixed(BOOL),
        Propagate,
        "true when the regular expression matches somewhere in the text (checked at compile time)",
        "regex_match(ID, \"^US[0-9]+$\")",
    ),
    scalar(
        "split",
        &[
            Param::required("text", String),
            Param::required("separator", String),
        ],
        Returns::ListOfFixed(STRING),
        Propagate,
        "the pieces of the text between separators",
        "split(tags, \",\")",
    ),
    scalar(
        "concat_ws",
        &[
            Param::required("separator", String),
            Param::required("items", List),
        ],
        Fixed(STRING),
        Propagate,
        "the list's items as text, joined with the separator; null items are skipped (Spark's `concat_ws`, DuckDB's `array_to_string`)",
        "concat_ws(\",\", split(tags, \";\"))",
    ),
    variadic(scalar(
        "concat",
        &[
            Param::required("text", String),
            Param::required("more", String),
        ],
        Fixed(STRING),
        Propagate,
        "the texts joined end to end (null if any is null)",
        "concat(Source, \"-\", ID)",
    )),
    // --- dates and times
    scalar(
        "parse_date",
        &[
            Param::required("text", String),
            Param::optional("format", String).constant(ConstCheck::DateFormat),
        ],
        Fixed(DATE),
        Always,
        "the text as a date; without a format, ISO `YYYY-MM-DD`, and an ISO timestamp's date part is \
         accepted too; null where the text does not parse",
        "parse_date(Date, \"%m/%d/%Y\")",
    ),
    scalar(
        "parse_timestamp",
        &[
            Param::required("text", String),
            Param::optional("format", String).constant(ConstCheck::DateFormat),
        ],
        Fixed(TIMESTAMP),
        Always,
        "the text as a timestamp (UTC); without a format, ISO 8601 with an optional offset; \
         null where the text does not parse",
        "parse_timestamp(tweet_created, \"%Y-%m-%d %H:%M:%S %z\")",
    ),
    scalar(
        "year",
        &[Param::required("value", Temporal)],
        Fixed(INT),
        Propagate,
        "the year of a date or timestamp",
        "year(parse_date(Date, \"%m/%d/%Y\"))",
    ),
    scalar(
        "month",
        &[Param::required("value", Temporal)],
        Fixed(INT),
        Propagate,
        "the month (1-12) of a date or timestamp",
        "month(day)",
    ),
    scalar(
        "day",
        &[Param::required("value", Temporal)],
        Fixed(INT),
        Propagate,
        "the day of the month (1-31) of a date or timestamp",
        "day(day)",
    ),
    scalar(
        "hour",
        &[Param::required("value", Temporal)],
        Fixed(INT),
        Propagate,
        "the hour (0-23) of a timestamp (0 for a date)",
        "hour(ts)",
    ),
    scalar(
        "minute",
        &[Param::required("value", Temporal)],
        Fixed(INT),
        Propagate,
        "the minute (0-59) of a timestamp (0 for a date)",
        "minute(ts)",
    ),
    scalar(
        "second",
        &[Param::required("value", Temporal)],
        Fixed(INT),
        Propagate,
        "the second (0-59) of a timestamp (0 for a date)",
        "second(ts)",
    ),
    scalar(
        "date_diff",
        &[
            Param::required("part", String).constant(ConstCheck::DatePart),
            Param::required("start", Temporal),
            Param::required("end", Temporal),
        ],
        Fixed(INT),
        Propagate,
        "the number of whole `part`s (year, month, week, day, hour, minute, second) from start to end, truncated toward zero; a month is whole when start moved on that many months (the day clamped to the month's end) is not past end (DuckDB's `date_sub`, Spark's `floor(months_between)`)",
        "date_diff(\"day\", opened, closed)",
    ),
    // --- math
    scalar(
        "abs",
        &[Param::required("x", Numeric)],
        SameAs(0),
        Propagate,
        "the absolute value (abs of the smallest int64 overflows to null)",
        "abs(Depth)",
    ),
    scalar(
        "sqrt",
        &[Param::required("x", Numeric)],
        Fixed(FLOAT),
        Propagate,
        "the square root (NaN for a negative number)",
        "sqrt(x)",
    ),
    scalar(
        "ln",
        &[Param::required("x", Numeric)],
        Fixed(FLOAT),
        Propagate,
        "the natural logarithm (NaN below 0, -inf at 0)",
        "ln(MonthlyIncome + 1)",
    ),
    scalar(
        "exp",
        &[Param::required("x", Numeric)],
        Fixed(FLOAT),
        Propagate,
        "e raised to x",
        "exp(score)",
    ),
    scalar(
        "pow",
        &[
            Param::required("base", Numeric),
            Param::required("exponent", Numeric),
        ],
        Fixed(FLOAT),
        Propagate,
        "base raised to exponent, in float64",
        "pow(Magnitude, 2)",
    ),
    scalar(
        "round",
        &[
            Param::required("x", Numeric),
            Param::optional("digits", Int).constant(ConstCheck::NonNegativeInt),
        ],
        SameAs(0),
        Propagate,
        "x rounded half away from zero to `digits` decimals (default 0)",
        "round(Magnitude, 1)",
    ),
    scalar(
        "floor",
        &[Param::required("x", Numeric)],
        SameAs(0),
        Propagate,
        "the largest whole number not above x",
        "floor(Magnitude)",
    ),
    scalar(
        "ceil",
        &[Param::required("x", Numeric)],
        SameAs(0),
        Propagate,
        "the smallest whole number not below x",
        "ceil(Magnitude)",
    ),
];

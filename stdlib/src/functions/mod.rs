//! The signature of every function of the language.
//!
//! A [`FunctionSig`] says what a function accepts (named parameters, each with a
//! [`ArgKind`]), what it returns ([`Returns`]), when its result can be null
//! ([`NullRule`]) and which arguments must be constants checked at compile time
//! ([`ConstCheck`]). The resolver binds a call's positional and named arguments to the
//! parameters and calls [`FunctionSig::return_type`]; the runtime's reference
//! implementations (next to these signatures, later) follow the same table.

mod aggregate;
mod reference;
mod scalar;
mod window;

pub use aggregate::AGGREGATES;
pub use reference::reference_markdown;
pub use scalar::SCALARS;
pub use window::WINDOWS;

use crate::types::DataType;

/// Whether a function maps rows to values, groups to values, or rows of an ordered
/// partition to values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FunctionKind {
    Scalar,
    Aggregate,
    Window,
}

/// What an argument may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    Any,
    /// `int64` or `float64`.
    Numeric,
    /// Anything with an order (not a list).
    Ordered,
    Bool,
    String,
    Int,
    Float,
    /// A `date` or a `timestamp`.
    Temporal,
    /// A list of anything.
    List,
    /// A string or a list (`length`).
    StringOrList,
    /// A `duration` (`1m`, `ts2 - ts1`).
    Duration,
}

impl ArgKind {
    pub fn admits(self, t: &DataType) -> bool {
        if *t == DataType::Null {
            return true;
        }
        match self {
            ArgKind::Any => true,
            ArgKind::Numeric => t.is_numeric(),
            ArgKind::Ordered => t.is_ordered(),
            ArgKind::Bool => *t == DataType::Bool,
            ArgKind::String => *t == DataType::String,
            ArgKind::Int => *t == DataType::Int64,
            ArgKind::Float => t.is_numeric(),
            ArgKind::Temporal => t.is_temporal(),
            ArgKind::List => matches!(t, DataType::List(_)),
            ArgKind::StringOrList => matches!(t, DataType::String | DataType::List(_)),
            ArgKind::Duration => *t == DataType::Duration,
        }
    }

    /// How the kind reads in an error message ("expected a number").
    pub fn describe(self) -> &'static str {
        match self {
            ArgKind::Any => "any value",
            ArgKind::Numeric => "a number (int64 or float64)",
            ArgKind::Ordered => "a value with an order (not a list)",
            ArgKind::Bool => "a bool",
            ArgKind::String => "a string",
            ArgKind::Int => "an int64",
            ArgKind::Float => "a number",
            ArgKind::Temporal => "a date or a timestamp",
            ArgKind::List => "a list",
            ArgKind::StringOrList => "a string or a list",
            ArgKind::Duration => "a duration such as `1m`",
        }
    }
}

/// A compile-time check on an argument that must be a constant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConstCheck {
    /// A regular expression (Rust `regex` syntax).
    Regex,
    /// A `strftime` format such as `%m/%d/%Y`.
    DateFormat,
    /// A number between 0 and 1.
    Probability,
    /// A date part: `year`, `month`, `week`, `day`, `hour`, `minute`, `second`.
    DatePart,
    /// A non-negative integer.
    NonNegativeInt,
    /// An integer of at least 1.
    PositiveInt,
    /// A `date_trunc` unit: `year`, `quarter`, `month`, `week`, `day`, `hour`, `minute`,
    /// `second`.
    TruncUnit,
    /// An IANA time zone name such as `Europe/Paris`.
    TimeZone,
    /// Any text (known before the run, as `string_agg`'s separator).
    Text,
}

/// The units `date_trunc` understands.
pub const TRUNC_UNITS: &[&str] = &[
    "year", "quarter", "month", "week", "day", "hour", "minute", "second",
];

/// The date parts `date_diff` understands.
pub const DATE_PARTS: &[&str] = &["year", "month", "week", "day", "hour", "minute", "second"];

impl ConstCheck {
    /// Checks a constant argument; the error says what is wrong with it.
    pub fn check_string(self, value: &str) -> Result<(), String> {
        match self {
            ConstCheck::Regex => regex::Regex::new(value)
                .map(|_| ())
                .map_err(|e| format!("invalid regular expression: {e}")),
            ConstCheck::DateFormat => check_strftime(value),
            ConstCheck::DatePart => {
                if DATE_PARTS.contains(&value) {
                    Ok(())
                } else {
                    Err(format!(
                        "unknown date part `{value}`; expected one of {}",
                        DATE_PARTS.join(", ")
                    ))
                }
            }
            ConstCheck::TruncUnit => {
                if TRUNC_UNITS.contains(&value) {
                    Ok(())
                } else {
                    Err(format!(
                        "unknown unit `{value}`; expected one of {}",
                        TRUNC_UNITS.join(", ")
                    ))
                }
            }
            ConstCheck::Text => Ok(()),
            ConstCheck::TimeZone => value.parse::<chrono_tz::Tz>().map(|_| ()).map_err(|_| {
                format!("unknown time zone `{value}`; use an IANA name such as Europe/Paris or UTC")
            }),
            ConstCheck::Probability | ConstCheck::NonNegativeInt | ConstCheck::PositiveInt => {
                Err("expected a number, found a string".into())
            }
        }
    }

    pub fn check_number(self, value: f64) -> Result<(), String> {
        match self {
            ConstCheck::Probability if (0.0..=1.0).contains(&value) => Ok(()),
            ConstCheck::Probability => Err(format!("{value} is not between 0 and 1")),
            ConstCheck::NonNegativeInt if value >= 0.0 && value.fract() == 0.0 => Ok(()),
            ConstCheck::NonNegativeInt => Err(format!("{value} is not a non-negative integer")),
            ConstCheck::PositiveInt if value >= 1.0 && value.fract() == 0.0 => Ok(()),
            ConstCheck::PositiveInt => Err(format!("{value} is not an integer of at least 1")),
            _ => Err("expected a string, found a number".into()),
        }
    }
}

fn check_strftime(format: &str) -> Result<(), String> {
    use chrono::format::{Item, StrftimeItems};
    if StrftimeItems::new(format).any(|item| matches!(item, Item::Error)) {
        Err(format!(
            "invalid date format `{format}`; use strftime codes such as %Y-%m-%d or %m/%d/%Y"
        ))
    } else {
        Ok(())
    }
}

/// One parameter of a function.
#[derive(Clone, Copy, Debug)]
pub struct Param {
    pub name: &'static str,
    pub kind: ArgKind,
    /// Whether a call may leave it out.
    pub optional: bool,
    /// Set when the argument must be a constant, with its check.
    pub constant: Option<ConstCheck>,
}

impl Param {
    pub const fn required(name: &'static str, kind: ArgKind) -> Param {
        Param {
            name,
            kind,
            optional: false,
            constant: None,
        }
    }
    pub const fn optional(name: &'static str, kind: ArgKind) -> Param {
        Param {
            name,
            kind,
            optional: true,
            constant: None,
        }
    }
    pub const fn constant(self, check: ConstCheck) -> Param {
        Param {
            constant: Some(check),
            ..self
        }
    }
}

/// How the result type follows from the argument types.
#[derive(Clone, Copy, Debug)]
pub enum Returns {
    Fixed(&'static DataType),
    /// The type of argument `i`.
    SameAs(usize),
    /// The common supertype of all arguments from index `from` on.
    CommonOf {
        from: usize,
    },
    /// `int64` stays `int64`, anything else numeric becomes `float64` (`sum`).
    IntOrFloat(usize),
    /// A list of the type of argument `i` (`collect`).
    ListOf(usize),
    /// A list of a fixed item type (`split` gives `list<string>`).
    ListOfFixed(&'static DataType),
    /// The item type of list argument `i` (`list_get`).
    ItemOf(usize),
}

/// When the result is null.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NullRule {
    /// Null when any argument is null (most scalars).
    Propagate,
    /// Never null.
    Never,
    /// May be null whatever the arguments (a failed parse, an empty group).
    Always,
    /// Null only when every argument is null (`coalesce`).
    AllNull,
}

/// A function of the catalogue.
#[derive(Clone, Copy, Debug)]
pub struct FunctionSig {
    pub name: &'static str,
    pub kind: FunctionKind,
    pub params: &'static [Param],
    /// The last parameter may repeat (`coalesce(a, b, c)`).
    pub variadic: bool,
    pub returns: Returns,
    pub nulls: NullRule,
    /// One line saying what the function does, with its null and edge-case behaviour.
    pub doc: &'static str,
    pub example: &'static str,
}

impl FunctionSig {
    /// A catalogue entry of `kind` taking exactly `params` (see [`FunctionSig::variadic`]).
    pub(crate) const fn of(
        kind: FunctionKind,
        name: &'static str,
        params: &'static [Param],
        returns: Returns,
        nulls: NullRule,
        doc: &'static str,
        example: &'static str,
    ) -> FunctionSig {
        FunctionSig {
            name,
            kind,
            params,
            variadic: false,
            returns,
            nulls,
            doc,
            example,
        }
    }
}

/// An argument's type and nullability, as the resolver knows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgType {
    pub data_type: DataType,
    pub nullable: bool,
}

/// Why a call does not type-check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SignatureError {
    /// Argument `index` has a type the parameter does not admit.
    ArgumentType {
        index: usize,
        param: &'static str,
        expected: &'static str,
        found: DataType,
    },
    /// The arguments from `from` on have no common type.
    NoCommonType { from: usize, types: Vec<DataType> },
}

impl FunctionSig {
    /// The result type of a call whose arguments (already bound to parameters, in
    /// parameter order; variadic ones at the end) have the given types.
    pub fn return_type(&self, args: &[ArgType]) -> Result<ArgType, SignatureError> {
        for (index, arg) in args.iter().enumerate() {
            let param = self.param_at(index);
            if !param.kind.admits(&arg.data_type) {
                return Err(SignatureError::ArgumentType {
                    index,
                    param: param.name,
                    expected: param.kind.describe(),
                    found: arg.data_type.clone(),
                });
            }
        }
        let data_type = match self.returns {
            Returns::Fixed(t) => t.clone(),
            Returns::SameAs(i) => args.get(i).map_or(DataType::Null, |a| a.data_type.clone()),
            Returns::CommonOf { from } => {
                let mut common = DataType::Null;
                for arg in args.iter().skip(from) {
                    match DataType::common_supertype(&common, &arg.data_type) {
                        Some(t) => common = t,
                        None => {
                            return Err(SignatureError::NoCommonType {
                                from,
                                types: args
                                    .iter()
                                    .skip(from)
                                    .map(|a| a.data_type.clone())
                                    .collect(),
                            });
                        }
                    }
                }
                common
            }
            Returns::IntOrFloat(i) => match args.get(i).map(|a| &a.data_type) {
                Some(DataType::Int64) => DataType::Int64,
                _ => DataType::Float64,
            },
            Returns::ListOfFixed(t) => DataType::List(Box::new(t.clone())),
            Returns::ItemOf(i) => match args.get(i).map(|a| &a.data_type) {
                Some(DataType::List(item)) => (**item).clone(),
                _ => DataType::Null,
            },
            Returns::ListOf(i) => DataType::List(Box::new(
                args.get(i).map_or(DataType::Null, |a| a.data_type.clone()),
            )),
        };
        let nullable = match self.nulls {
            NullRule::Propagate => args.iter().any(|a| a.nullable),
            NullRule::Never => false,
            NullRule::Always => true,
            NullRule::AllNull => args.iter().all(|a| a.nullable),
        };
        Ok(ArgType {
            data_type,
            nullable,
        })
    }

    /// The parameter that argument `index` binds to (the last one repeats when variadic).
    pub fn param_at(&self, index: usize) -> &Param {
        let last = self.params.len().saturating_sub(1);
        &self.params[index.min(last)]
    }

    /// How many parameters a call must give.
    pub fn required_count(&self) -> usize {
        self.params.iter().filter(|p| !p.optional).count()
    }

    /// `name(a, b = ...)` for hover and help lines.
    pub fn display_signature(&self) -> String {
        let params: Vec<String> = self
            .params
            .iter()
            .map(|p| {
                let mut s = format!("{}: {}", p.name, p.kind.describe());
                if p.optional {
                    s = format!("[{s}]");
                }
                s
            })
            .collect();
        let dots = if self.variadic { ", ..." } else { "" };
        format!("{}({}{dots})", self.name, params.join(", "))
    }
}

/// Looks a scalar function up by name.
pub fn scalar(name: &str) -> Option<&'static FunctionSig> {
    SCALARS.iter().find(|f| f.name == name)
}

/// Looks an aggregate function up by name.
pub fn aggregate(name: &str) -> Option<&'static FunctionSig> {
    AGGREGATES.iter().find(|f| f.name == name)
}

/// Looks a window function up by name.
pub fn window(name: &str) -> Option<&'static FunctionSig> {
    WINDOWS.iter().find(|f| f.name == name)
}

/// Every function name, scalar, aggregate then window, for "did you mean" suggestions.
pub fn all_names() -> impl Iterator<Item = &'static str> {
    SCALARS
        .iter()
        .chain(AGGREGATES.iter())
        .chain(WINDOWS.iter())
        .map(|f| f.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arg(t: DataType, nullable: bool) -> ArgType {
        ArgType {
            data_type: t,
            nullable,
        }
    }

    #[test]
    fn names_are_unique_across_the_catalogue() {
        let mut names: Vec<&str> = all_names().collect();
        let before = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(before, names.len());
    }

    #[test]
    fn every_function_is_documented() {
        for f in SCALARS.iter().chain(AGGREGATES.iter()) {
            assert!(
                !f.doc.is_empty() && f.example.contains(f.name),
                "{}",
                f.name
            );
            assert!(
                f.params
                    .iter()
                    .skip_while(|p| !p.optional)
                    .all(|p| p.optional)
            );
        }
    }

    #[test]
    fn coalesce_widens_and_is_null_only_when_all_are() {
        let f = scalar("coalesce").unwrap();
        let t = f
            .return_type(&[arg(DataType::Int64, true), arg(DataType::Float64, false)])
            .unwrap();
        assert_eq!(t, arg(DataType::Float64, false));
        assert!(
            f.return_type(&[arg(DataType::Int64, true), arg(DataType::String, false)])
                .is_err()
        );
    }

    #[test]
    fn sum_keeps_integers() {
        let f = aggregate("sum").unwrap();
        assert_eq!(
            f.return_type(&[arg(DataType::Int64, false)])
                .unwrap()
                .data_type,
            DataType::Int64
        );
        assert_eq!(
            f.return_type(&[arg(DataType::Float64, false)])
                .unwrap()
                .data_type,
            DataType::Float64
        );
        assert!(matches!(
            f.return_type(&[arg(DataType::String, false)]),
            Err(SignatureError::ArgumentType { index: 0, .. })
        ));
    }

    #[test]
    fn constant_checks() {
        assert!(ConstCheck::DateFormat.check_string("%m/%d/%Y").is_ok());
        assert!(ConstCheck::DateFormat.check_string("%Q").is_err());
        assert!(ConstCheck::Regex.check_string("a(b").is_err());
        assert!(ConstCheck::Probability.check_number(1.5).is_err());
        assert!(ConstCheck::DatePart.check_string("day").is_ok());
    }
}

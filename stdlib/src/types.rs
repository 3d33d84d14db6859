//! Logical column types, fields and schemas.
//!
//! These are the types of the language, not of Arrow: each maps onto one Arrow type
//! (see [`DataType::to_arrow`]) but the language only knows this small set. Nullability
//! lives on the [`Field`], and is printed as a `?` suffix (`int64?`).

use serde::{Deserialize, Serialize};
use std::fmt;

/// A logical column type.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataType {
    /// The type of the `null` literal; it converts to every other type.
    Null,
    Bool,
    Int64,
    Float64,
    String,
    /// A calendar date (days since 1970-01-01).
    Date,
    /// An instant, in microseconds since 1970-01-01T00:00:00Z.
    Timestamp,
    /// A length of time, in microseconds (`10s`, `5m`).
    Duration,
    /// A list whose items all have one type.
    List(Box<DataType>),
}

impl DataType {
    /// Whether arithmetic applies to the type.
    pub fn is_numeric(&self) -> bool {
        matches!(self, DataType::Int64 | DataType::Float64 | DataType::Null)
    }

    /// Whether values of the type have an order (`<`, `sort`, `min`).
    pub fn is_ordered(&self) -> bool {
        !matches!(self, DataType::List(_))
    }

    /// Whether the type is a date or a timestamp.
    pub fn is_temporal(&self) -> bool {
        matches!(self, DataType::Date | DataType::Timestamp | DataType::Null)
    }

    /// The type both `a` and `b` convert to without loss of meaning, if there is one:
    /// `null` goes to anything, `int64` widens to `float64`, `date` to `timestamp`.
    pub fn common_supertype(a: &DataType, b: &DataType) -> Option<DataType> {
        use DataType::*;
        match (a, b) {
            _ if a == b => Some(a.clone()),
            (Null, t) | (t, Null) => Some(t.clone()),
            (Int64, Float64) | (Float64, Int64) => Some(Float64),
            (Date, Timestamp) | (Timestamp, Date) => Some(Timestamp),
            (List(x), List(y)) => Self::common_supertype(x, y).map(|t| List(Box::new(t))),
            _ => None,
        }
    }

    /// Whether a value of type `from` may be used where `self` is expected without an
    /// explicit cast (numeric widening, `null` anywhere).
    pub fn accepts(&self, from: &DataType) -> bool {
        Self::common_supertype(self, from).as_ref() == Some(self)
    }

    /// Parses a type name as written in pipeline files (`int64`, `float`, `list<string>`).
    pub fn parse_name(name: &str) -> Option<DataType> {
        let name = name.trim();
        if let Some(inner) = name.strip_prefix("list<").and_then(|s| s.strip_suffix('>')) {
            return Self::parse_name(inner).map(|t| DataType::List(Box::new(t)));
        }
        Some(match name {
            "bool" | "boolean" => DataType::Bool,
            "int" | "int64" | "integer" | "long" => DataType::Int64,
            "float" | "float64" | "double" => DataType::Float64,
            "string" | "str" | "utf8" => DataType::String,
            "date" => DataType::Date,
            "timestamp" | "datetime" => DataType::Timestamp,
            "duration" => DataType::Duration,
            _ => return None,
        })
    }

    /// Every spelling [`DataType::parse_name`] accepts for a scalar type, for suggestions.
    pub const NAMES: &'static [&'static str] = &[
        "bool",
        "boolean",
        "int",
        "int64",
        "integer",
        "long",
        "float",
        "float64",
        "double",
        "string",
        "str",
        "utf8",
        "date",
        "timestamp",
        "datetime",
        "duration",
    ];

    /// The Arrow type that carries values of this type at run time.
    pub fn to_arrow(&self) -> arrow_schema::DataType {
        use arrow_schema::{DataType as A, TimeUnit};
        match self {
            DataType::Null => A::Null,
            DataType::Bool => A::Boolean,
            DataType::Int64 => A::Int64,
            DataType::Float64 => A::Float64,
            DataType::String => A::Utf8,
            DataType::Date => A::Date32,
            DataType::Timestamp => A::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            DataType::Duration => A::Duration(TimeUnit::Microsecond),
            DataType::List(item) => A::new_list(item.to_arrow(), true),
        }
    }

    /// The language type for an Arrow type, when the language has one. Narrower integer
    /// and float types widen (`int32` is read as `int64`).
    pub fn from_arrow(arrow: &arrow_schema::DataType) -> Option<DataType> {
        use arrow_schema::DataType as A;
        Some(match arrow {
            A::Null => DataType::Null,
            A::Boolean => DataType::Bool,
            A::Int8 | A::Int16 | A::Int32 | A::Int64 | A::UInt8 | A::UInt16 | A::UInt32 => {
                DataType::Int64
            }
            A::Float16 | A::Float32 | A::Float64 | A::Decimal128(_, _) | A::Decimal256(_, _) => {
                DataType::Float64
            }
            A::Utf8 | A::LargeUtf8 | A::Utf8View => DataType::String,
            A::Date32 | A::Date64 => DataType::Date,
            A::Timestamp(_, _) => DataType::Timestamp,
            A::Duration(_) => DataType::Duration,
            A::List(f) | A::LargeList(f) | A::FixedSizeList(f, _) | A::ListView(f) => {
                DataType::List(Box::new(Self::from_arrow(f.data_type())?))
            }
            _ => return None,
        })
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataType::Null => f.write_str("null"),
            DataType::Bool => f.write_str("bool"),
            DataType::Int64 => f.write_str("int64"),
            DataType::Float64 => f.write_str("float64"),
            DataType::String => f.write_str("string"),
            DataType::Date => f.write_str("date"),
            DataType::Timestamp => f.write_str("timestamp"),
            DataType::Duration => f.write_str("duration"),
            DataType::List(item) => write!(f, "list<{item}>"),
        }
    }
}

/// A named, typed column.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    pub data_type: DataType,
    pub nullable: bool,
}

impl Field {
    pub fn new(name: impl Into<String>, data_type: DataType, nullable: bool) -> Self {
        Field {
            name: name.into(),
            data_type,
            nullable,
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", display_name(&self.name), self.data_type)?;
        if self.nullable {
            f.write_str("?")?;
        }
        Ok(())
    }
}

/// The columns of a relation, in order. Names are unique.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Schema {
    pub fields: Vec<Field>,
}

impl Schema {
    pub fn new(fields: Vec<Field>) -> Self {
        Schema { fields }
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|f| f.name.as_str())
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Adds `field`, replacing a column of the same name in place.
    pub fn upsert(&mut self, field: Field) {
        match self.index_of(&field.name) {
            Some(i) => self.fields[i] = field,
            None => self.fields.push(field),
        }
    }
}

impl fmt::Display for Schema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(")?;
        for (i, field) in self.fields.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{field}")?;
        }
        f.write_str(")")
    }
}

/// Whether `name` can be written bare in a pipeline file: an ASCII letter or `_`, then
/// letters, digits or `_`, and not a reserved word.
pub fn is_plain_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !RESERVED_WORDS.contains(&name)
}

/// Words that cannot be used as bare names in expressions (quote them with backticks).
pub const RESERVED_WORDS: &[&str] = &[
    "and", "or", "not", "true", "false", "null", "case", "when", "then", "else", "end", "as", "in",
];

/// A column name as it must be written in a pipeline file: bare when possible, else
/// between backticks (a backtick inside is doubled).
pub fn display_name(name: &str) -> String {
    if is_plain_identifier(name) {
        name.to_string()
    } else {
        format!("`{}`", name.replace('`', "``"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widening_is_symmetric_and_lossless() {
        use DataType::*;
        assert_eq!(DataType::common_supertype(&Int64, &Float64), Some(Float64));
        assert_eq!(DataType::common_supertype(&Float64, &Int64), Some(Float64));
        assert_eq!(DataType::common_supertype(&Null, &String), Some(String));
        assert_eq!(
            DataType::common_supertype(&Date, &Timestamp),
            Some(Timestamp)
        );
        assert_eq!(DataType::common_supertype(&String, &Int64), None);
        assert!(Float64.accepts(&Int64));
        assert!(!Int64.accepts(&Float64));
    }

    #[test]
    fn names_round_trip_through_display() {
        for name in DataType::NAMES {
            let t = DataType::parse_name(name).unwrap();
            assert_eq!(DataType::parse_name(&t.to_string()), Some(t));
        }
        let list = DataType::parse_name("list<float>").unwrap();
        assert_eq!(list.to_string(), "list<float64>");
    }

    #[test]
    fn quoted_names_only_where_needed() {
        assert_eq!(display_name("Magnitude"), "Magnitude");
        assert_eq!(display_name("Depth Error"), "`Depth Error`");
        assert_eq!(display_name("a`b"), "`a``b`");
        assert_eq!(display_name("end"), "`end`");
        assert_eq!(display_name(""), "``");
    }
}

//! The schema of a source that reads many files ([`FileSet`]) as one relation.
//!
//! By default every file must have the first file's columns (a CSV file the same header,
//! in order; other formats the same names): a file that does not is an error naming it
//! and the column. With `union_by_name` the columns are matched by name, in order of
//! first appearance, and a file's missing columns are null (DuckDB's `union_by_name`,
//! Spark's `mergeSchema`). JSON lines are always matched by name, as a record may leave
//! out any key. Each column's type is the widest seen in the files sampled.
//!
//! After the files' columns come the hive partition keys (see [`super::file_set`]) and,
//! when asked, `filename`: the path of the file a row came from.

use super::file_set::FileSet;
use super::{CsvOptions, Format, InferError, Inferred};
use crate::types::{DataType, Field, Schema};

/// Files sampled for types beyond the first (which gets the usual sample); the others
/// are read only for their column names.
const TYPED_FILES: usize = 64;
/// Rows each of those files contributes to the types.
const ROWS_PER_FILE: u64 = 1000;

/// The column `filename = true` adds.
pub const FILENAME_COLUMN: &str = "filename";

/// The schema of `set` read as one source, and the names of the columns taken from the
/// files' paths (partition keys, then `filename`).
pub fn infer_many(
    format: Format,
    set: &FileSet,
    options: &CsvOptions,
    by_name: bool,
    filename: bool,
) -> Result<(Schema, Vec<String>), InferError> {
    let by_name = by_name || format == Format::Jsonl;
    let mut columns: Vec<Inferred> = Vec::new();
    for (i, file) in set.files.iter().enumerate() {
        let mut sample = options.clone();
        if i > 0 {
            let rows = if i <= TYPED_FILES { ROWS_PER_FILE } else { 1 };
            sample.sample_rows = Some(sample.sample_rows.map_or(rows, |r| r.min(rows)));
        }
        let found = columns_of(format, file, &sample)?;
        if i == 0 {
            columns = found;
            continue;
        }
        if !by_name {
            check_same_columns(&columns, &found, format, file, &set.files[0])?;
        }
        // Only with `by_name` may a file lack a column: it is null there.
        let mut missing: Vec<bool> = columns
            .iter()
            .map(|c| !found.iter().any(|f| f.name == c.name))
            .collect();
        for f in found {
            match columns.iter().position(|c| c.name == f.name) {
                Some(k) => {
                    let c = &mut columns[k];
                    c.nullable |= f.nullable;
                    c.data_type = merge_types(&c.name, c.data_type.take(), f.data_type, file)?;
                }
                None => {
                    columns.push(Inferred {
                        nullable: true,
                        ..f
                    });
                    missing.push(false);
                }
            }
        }
        for (c, m) in columns.iter_mut().zip(missing) {
            c.nullable |= m;
        }
    }
    let mut schema = Inferred::schema(columns);
    let mut path_columns = Vec::new();
    for (k, (key, ty)) in set.keys.iter().zip(set.key_types()).enumerate() {
        if schema.index_of(key).is_some() {
            return Err(InferError::new(format!(
                "`{key}` is both a column of the files and a partition folder (`{key}=...`)"
            ))
            .with_help("rename the column in the files, or set hive_partitioning = false"));
        }
        schema
            .fields
            .push(Field::new(key.clone(), ty, set.key_has_null(k)));
        path_columns.push(key.clone());
    }
    if filename {
        if schema.index_of(FILENAME_COLUMN).is_some() {
            return Err(InferError::new(format!(
                "the files already have a column `{FILENAME_COLUMN}`"
            ))
            .with_help("rename that column first, or leave out filename = true"));
        }
        schema.fields.push(Field::new(
            FILENAME_COLUMN.to_string(),
            DataType::String,
            false,
        ));
        path_columns.push(FILENAME_COLUMN.to_string());
    }
    Ok((schema, path_columns))
}

/// One file's columns.
fn columns_of(
    format: Format,
    file: &std::path::Path,
    options: &CsvOptions,
) -> Result<Vec<Inferred>, InferError> {
    Ok(match format {
        Format::Csv | Format::Tsv => super::infer_csv::infer_columns(file, options)?,
        Format::Jsonl => super::infer_jsonl::infer_columns(file, options.sample_rows)?,
        _ => super::infer(format, file, options)?
            .fields
            .into_iter()
            .map(|f| Inferred {
                name: f.name,
                data_type: Some(f.data_type),
                nullable: f.nullable,
            })
            .collect(),
    })
}

/// Without `union_by_name`, a file must have the first file's columns (a CSV file in the
/// same order, as they are read by position).
fn check_same_columns(
    expected: &[Inferred],
    found: &[Inferred],
    format: Format,
    file: &std::path::Path,
    first: &std::path::Path,
) -> Result<(), InferError> {
    let help = "set union_by_name = true to read files with different columns (a file's missing columns are null)";
    let fail = |what: String| {
        Err(InferError::new(format!(
            "`{}` {what} (the first file, `{}`, sets the columns)",
            file.display(),
            first.display()
        ))
        .with_help(help))
    };
    if let Some(extra) = found
        .iter()
        .find(|f| !expected.iter().any(|e| e.name == f.name))
    {
        return fail(format!(
            "has a column `{}` the first file does not",
            extra.name
        ));
    }
    if let Some(lack) = expected
        .iter()
        .find(|e| !found.iter().any(|f| f.name == e.name))
    {
        return fail(format!("has no column `{}`", lack.name));
    }
    if matches!(format, Format::Csv | Format::Tsv)
        && let Some((e, f)) = expected.iter().zip(found).find(|(e, f)| e.name != f.name)
    {
        return fail(format!(
            "has the column `{}` where the first file has `{}` (CSV columns are read in order)",
            f.name, e.name
        ));
    }
    Ok(())
}

fn merge_types(
    column: &str,
    a: Option<DataType>,
    b: Option<DataType>,
    file: &std::path::Path,
) -> Result<Option<DataType>, InferError> {
    Ok(match (a, b) {
        (Some(a), Some(b)) => Some(match DataType::common_supertype(&a, &b) {
            Some(t) => t,
            None if matches!(a, DataType::List(_)) || matches!(b, DataType::List(_)) => {
                return Err(InferError::new(format!(
                    "column `{column}` is {a} in the files before `{}` but {b} there",
                    file.display()
                ))
                .with_help("declare the column's type in the source's schema"));
            }
            None => DataType::String,
        }),
        (a, b) => a.or(b),
    })
}

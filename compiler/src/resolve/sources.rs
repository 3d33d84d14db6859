//! Sources: the format, the options, and the schema — inferred from the file at compile
//! time, with declared columns winning.

use super::Resolver;
use crate::diagnostics::{Code, Diagnostic, did_you_mean};
use crate::plan::{ConstValue, PlanNode, PlanOp};
use crate::syntax::ast::{Arg, Expr, ExprKind, Literal, SourceDecl};
use sluice_stdlib::io::{self, CsvOptions, Format};
use sluice_stdlib::{Field, Schema};

impl Resolver<'_> {
    pub(crate) fn source(&mut self, decl: &SourceDecl) {
        let format_name = decl.format.name.as_str();
        if format_name == "model" {
            self.model_source(decl);
            return;
        }
        let Some(format) = Format::SOURCES
            .iter()
            .copied()
            .find(|f| f.name() == format_name)
        else {
            let mut names: Vec<&str> = Format::SOURCES.iter().map(|f| f.name()).collect();
            names.push("model");
            let mut d = Diagnostic::error(
                Code::UnknownFormat,
                format!("unknown source format `{format_name}`"),
                decl.format.span,
                "not a source format",
            );
            d.help = did_you_mean(format_name, names.iter().copied())
                .or_else(|| Some(format!("source formats are {}", names.join(", "))));
            self.diags.push(d);
            self.declare(&decl.name, None, true);
            return;
        };
        let (path, options) = self.io_args(format, false, &decl.args);
        let Some(path) = path else {
            if super::has_positional(&decl.args) {
                self.declare(&decl.name, None, true);
                return;
            }
            self.diags.push(
                Diagnostic::error(
                    Code::ArgumentCount,
                    format!("a `{format}` source needs a path"),
                    decl.format.span,
                    "no path",
                )
                .with_help(format!(
                    "write `source {} = {format}(\"data/file.{format}\")`",
                    decl.name.name
                )),
            );
            self.declare(&decl.name, None, true);
            return;
        };
        let csv = csv_options(format, &options);
        let flag = |name: &str| {
            options
                .iter()
                .find(|(k, _)| k == name)
                .and_then(|(_, v)| match v {
                    ConstValue::Bool(b) => Some(*b),
                    _ => None,
                })
        };
        let (by_name, filename) = (
            flag("union_by_name").unwrap_or(false),
            flag("filename").unwrap_or(false),
        );
        let hive = flag("hive_partitioning").unwrap_or(true);
        let declared: Option<Vec<Field>> = decl.schema.as_ref().map(|fields| {
            fields
                .iter()
                .map(|f| Field::new(f.name.name.clone(), f.ty.data_type.clone(), f.ty.nullable))
                .collect()
        });
        let path_span = decl
            .args
            .first()
            .map(|a| a.value.span)
            .unwrap_or(decl.format.span);
        let mut path_columns = Vec::new();
        let mut many = false;
        let inferred =
            io::stdin::resolve(&path, self.options.base_dir.as_deref()).and_then(|full_path| {
                many = io::file_set::is_many(&full_path);
                if !(many || by_name || filename) {
                    return io::infer(format, &full_path, &csv);
                }
                let set = io::file_set::FileSet::expand(&full_path, hive)?;
                let (schema, columns) = io::infer_many(format, &set, &csv, by_name, filename)?;
                path_columns = columns;
                Ok(schema)
            });
        let schema = match inferred {
            Ok(inferred) => self.apply_declared(inferred, decl, &csv, path_columns.len()),
            Err(e) => match &declared {
                Some(fields) => Some(Schema::new(fields.clone())),
                None => {
                    let mut message = format!(
                        "cannot infer the schema of source `{}`: {}",
                        decl.name.name, e.message
                    );
                    if let Some(line) = e.line {
                        message.push_str(&format!(" (data line {line})"));
                    }
                    let label = if many { "these files" } else { "this file" };
                    let mut d =
                        Diagnostic::error(Code::SourceUnreadable, message, path_span, label);
                    d.help = e.help.clone().or_else(|| {
                        Some(
                            "declare the schema: `source s = csv(path) { a: int64, b: string }`"
                                .into(),
                        )
                    });
                    self.diags.push(d);
                    None
                }
            },
        };
        let node = schema.map(|schema| {
            let op = PlanOp::Scan {
                source: decl.name.name.clone(),
                format,
                path,
                options,
                schema_declared: declared.is_some(),
                file_schema: schema.clone(),
                projection: None,
                filters: Vec::new(),
                path_columns,
            };
            let node = PlanNode {
                op,
                schema,
                relation: Some(decl.name.name.clone()),
                hints: Default::default(),
                sharing: None,
                span: decl.span,
            };
            self.plan.add(node, &[])
        });
        self.declare(&decl.name, node, true);
        // Checked once the schema is known, so partition keys can be checked against it.
        let hints = self.hints(&decl.hints, node);
        if let Some(n) = node {
            self.plan.graph[n].hints = hints;
        }
    }

    /// Declared columns replace inferred ones by name (or by position without a header).
    fn apply_declared(
        &mut self,
        inferred: Schema,
        decl: &SourceDecl,
        csv: &CsvOptions,
        path_columns: usize,
    ) -> Option<Schema> {
        let Some(fields) = &decl.schema else {
            return Some(inferred);
        };
        let mut schema = inferred;
        let positional = !csv.header && matches!(decl.format.name.as_str(), "csv" | "tsv");
        // Without a header, the declared columns may name the files' columns only (the
        // partition folders' and `filename` keep theirs).
        let file_columns = schema.len() - path_columns;
        if positional && path_columns > 0 && fields.len() == file_columns {
            for (i, f) in fields.iter().enumerate() {
                schema.fields[i] =
                    Field::new(f.name.name.clone(), f.ty.data_type.clone(), f.ty.nullable);
            }
            return Some(schema);
        }
        if positional {
            if fields.len() != schema.len() {
                self.diags.push(
                    Diagnostic::error(
                        Code::SchemaMismatch,
                        format!("the schema declares {} columns but the file has {}", fields.len(), schema.len()),
                        decl.format.span,
                        "this source",
                    )
                    .with_help("without a header, the declared columns name the file's columns in order: declare them all"),
                );
                return None;
            }
            schema = Schema::new(
                fields
                    .iter()
                    .map(|f| Field::new(f.name.name.clone(), f.ty.data_type.clone(), f.ty.nullable))
                    .collect(),
            );
            return Some(schema);
        }
        let mut ok = true;
        for f in fields {
            match schema.index_of(&f.name.name) {
                Some(i) => {
                    schema.fields[i] =
                        Field::new(f.name.name.clone(), f.ty.data_type.clone(), f.ty.nullable)
                }
                None => {
                    let mut d = Diagnostic::error(
                        Code::SchemaMismatch,
                        format!("the file has no column `{}`", f.name.name),
                        f.name.span,
                        "not in the file's header",
                    );
                    d.help = did_you_mean(&f.name.name, schema.names()).or_else(|| {
                        Some(format!(
                            "the file's columns: {}",
                            schema.names().collect::<Vec<_>>().join(", ")
                        ))
                    });
                    self.diags.push(d);
                    ok = false;
                }
            }
        }
        ok.then_some(schema)
    }

    /// A source's or sink's arguments: the path (first positional) and named options,
    /// checked against what the format accepts.
    pub(crate) fn io_args(
        &mut self,
        format: Format,
        for_sink: bool,
        args: &[Arg],
    ) -> (Option<String>, Vec<(String, ConstValue)>) {
        let allowed = format.options(for_sink);
        let mut path = None;
        let mut options = Vec::new();
        for (i, arg) in args.iter().enumerate() {
            // An unknown option is reported as such, before its value is looked at
            // (`partition_by = airline` is not "no param named `airline`").
            let known = arg
                .name
                .as_ref()
                .is_none_or(|n| allowed.iter().any(|(a, _)| *a == n.name));
            let option = arg.name.as_ref().map(|n| n.name.as_str());
            let value = if !known {
                ConstValue::Null
            } else if let Some(v) = self.io_word_option(option, &arg.value) {
                v
            } else {
                match self.constant(&arg.value, "an option") {
                    Some(v) => v,
                    None => continue,
                }
            };
            match &arg.name {
                None if i == 0 => match value {
                    ConstValue::String(s) => path = Some(s),
                    other => self.diags.push(Diagnostic::error(
                        Code::ArgumentType,
                        format!("the path must be a string, found {}", other.data_type()),
                        arg.value.span,
                        "not a string",
                    )),
                },
                None => self.diags.push(
                    Diagnostic::error(
                        Code::ArgumentCount,
                        "only the path is positional",
                        arg.value.span,
                        "extra argument",
                    )
                    .with_help("name options: `header = true`"),
                ),
                Some(name) => {
                    if !allowed.iter().any(|(n, _)| *n == name.name) {
                        let mut d = Diagnostic::error(
                            Code::UnknownOption,
                            format!("`{format}` has no option `{}`", name.name),
                            name.span,
                            "unknown option",
                        );
                        d.help = did_you_mean(&name.name, allowed.iter().map(|(n, _)| *n)).or_else(
                            || {
                                Some(if allowed.is_empty() {
                                    format!("`{format}` takes no options")
                                } else {
                                    format!(
                                        "options: {}",
                                        allowed
                                            .iter()
                                            .map(|(n, d)| format!("{n} ({d})"))
                                            .collect::<Vec<_>>()
                                            .join("; ")
                                    )
                                })
                            },
                        );
                        self.diags.push(d);
                        continue;
                    }
                    if let Err(expected) = check_option(&name.name, &value, for_sink) {
                        self.diags.push(Diagnostic::error(
                            Code::InvalidConstant,
                            format!("option `{}` expects {expected}, found {value}", name.name),
                            arg.value.span,
                            format!("expected {expected}"),
                        ));
                        continue;
                    }
                    options.push((name.name.clone(), value));
                }
            }
        }
        (path, options)
    }
}

impl Resolver<'_> {
    /// Options whose values are words may name them bare (`mode = append`,
    /// `partition_by = [year, month]`: columns) where no param has the name; they are
    /// then strings, as when quoted.
    fn io_word_option(&self, option: Option<&str>, value: &Expr) -> Option<ConstValue> {
        let word = |e: &Expr| match &e.kind {
            ExprKind::Literal(Literal::String(s)) => Some(ConstValue::String(s.clone())),
            _ => self.bare_word(e).map(ConstValue::String),
        };
        match option? {
            "mode" | "compression" => word(value),
            "partition_by" => match &value.kind {
                ExprKind::List(items) => items
                    .iter()
                    .map(word)
                    .collect::<Option<Vec<_>>>()
                    .map(ConstValue::List),
                _ => word(value).map(|v| ConstValue::List(vec![v])),
            },
            _ => None,
        }
    }
}

fn check_option(name: &str, value: &ConstValue, for_sink: bool) -> Result<(), &'static str> {
    if for_sink && name == "mode" {
        return match value {
            ConstValue::String(s)
                if ["overwrite", "append", "error_if_exists"].contains(&s.as_str()) =>
            {
                Ok(())
            }
            _ => Err("overwrite, append or error_if_exists"),
        };
    }
    let ok = match name {
        "header" => matches!(value, ConstValue::Bool(_)),
        "delimiter" => {
            matches!(value, ConstValue::String(s) if (1..=8).contains(&s.len()) && !s.contains(['\n', '\r', '"']))
        }
        "comment" => {
            matches!(value, ConstValue::String(s) if s.len() == 1 && s != "\n" && s != "\r")
        }
        "skip_rows" => matches!(value, ConstValue::Int(i) if *i >= 0),
        "union_by_name" | "filename" | "hive_partitioning" => matches!(value, ConstValue::Bool(_)),
        "partition_by" => {
            matches!(value, ConstValue::List(items) if !items.is_empty() && items.iter().all(|i| matches!(i, ConstValue::String(_))))
        }
        "quote" => {
            matches!(value, ConstValue::String(s) if s.len() <= 1 || s == "none")
                || *value == ConstValue::Null
        }
        "nulls" => {
            matches!(value, ConstValue::List(items) if items.iter().all(|i| matches!(i, ConstValue::String(_))))
        }
        "mode" => {
            matches!(value, ConstValue::String(s) if ["permissive", "drop_malformed", "fail_fast"].contains(&s.as_str()))
        }
        "infer_rows" | "limit" | "row_group_rows" => matches!(value, ConstValue::Int(i) if *i > 0),
        "compression" => {
            matches!(value, ConstValue::String(s) if ["snappy", "zstd", "none"].contains(&s.as_str()))
        }
        "bad_rows" => matches!(value, ConstValue::String(_)),
        _ => true,
    };
    if ok {
        return Ok(());
    }
    Err(match name {
        "header" => "true or false",
        "delimiter" => {
            "one to eight bytes (no quote or line break) such as \",\", \"\\t\" or \"::\""
        }
        "comment" => "a one-byte string such as \"#\"",
        "skip_rows" => "a non-negative integer",
        "union_by_name" | "filename" | "hive_partitioning" => "true or false",
        "partition_by" => "a list of columns such as [year, month]",
        "quote" => "a one-byte string, or \"none\"",
        "nulls" => "a list of strings",
        "mode" => "\"permissive\", \"drop_malformed\" or \"fail_fast\"",
        "infer_rows" | "limit" | "row_group_rows" => "a positive integer",
        "compression" => "\"snappy\", \"zstd\" or \"none\"",
        _ => "a string",
    })
}

/// The reading options inference needs, from checked option values (the runtime reads
/// a file's header with the same).
pub fn csv_options(format: Format, options: &[(String, ConstValue)]) -> CsvOptions {
    let mut csv = if format == Format::Tsv {
        CsvOptions::tsv()
    } else {
        CsvOptions::default()
    };
    for (name, value) in options {
        match (name.as_str(), value) {
            ("header", ConstValue::Bool(b)) => csv.header = *b,
            ("delimiter", ConstValue::String(s)) => csv.delimiter = s.as_bytes().to_vec(),
            ("skip_rows", ConstValue::Int(n)) => csv.skip_rows = *n as u64,
            ("comment", ConstValue::String(s)) => csv.comment = s.as_bytes().first().copied(),
            ("quote", ConstValue::String(s)) if s == "none" || s.is_empty() => csv.quote = None,
            ("quote", ConstValue::Null) => csv.quote = None,
            ("quote", ConstValue::String(s)) => csv.quote = s.as_bytes().first().copied(),
            ("nulls", ConstValue::List(items)) => {
                csv.nulls = items
                    .iter()
                    .filter_map(|i| {
                        if let ConstValue::String(s) = i {
                            Some(s.clone())
                        } else {
                            None
                        }
                    })
                    .collect()
            }
            ("infer_rows", ConstValue::Int(n)) => csv.sample_rows = Some(*n as u64),
            _ => {}
        }
    }
    csv
}

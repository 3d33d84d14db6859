//! Params: their declared types, defaults, and `--param name=value` overrides.

use super::{ParamInfo, Resolver};
use crate::diagnostics::{Code, Diagnostic, did_you_mean};
use crate::plan::ConstValue;
use crate::syntax::ast::{Item, Pipeline, Span};
use sluice_stdlib::DataType;

impl Resolver<'_> {
    pub(crate) fn params(&mut self, pipeline: &Pipeline) {
        let declared: Vec<&str> = pipeline
            .items
            .iter()
            .filter_map(|i| {
                if let Item::Param(p) = i {
                    Some(p.name.name.as_str())
                } else {
                    None
                }
            })
            .collect();
        for (name, _) in &self.options.params {
            if !declared.contains(&name.as_str()) {
                let mut d = Diagnostic::error(
                    Code::UnknownParam,
                    format!("--param {name}: the pipeline declares no param `{name}`"),
                    Span::new(0, 0),
                    "params are declared in this file",
                );
                d.help = did_you_mean(name, declared.iter().copied()).or_else(|| {
                    Some(format!(
                        "declared params: {}",
                        if declared.is_empty() {
                            "none".into()
                        } else {
                            declared.join(", ")
                        }
                    ))
                });
                self.diags.push(d);
            }
        }
        for item in &pipeline.items {
            let Item::Param(p) = item else { continue };
            if self.params.contains_key(&p.name.name) {
                self.diags.push(Diagnostic::error(
                    Code::DuplicateName,
                    format!("param `{}` is declared twice", p.name.name),
                    p.name.span,
                    "declared again here",
                ));
                continue;
            }
            let declared_type = p.ty.as_ref().map(|t| t.data_type.clone());
            let default = match &p.default {
                Some(e) => match self.constant(e, "a param's default") {
                    Some(v) => Some(v),
                    None => {
                        self.failed_params.insert(p.name.name.clone());
                        continue;
                    }
                },
                None => None,
            };
            let ty = declared_type
                .clone()
                .or_else(|| default.as_ref().map(ConstValue::data_type))
                .unwrap_or(DataType::String);
            if let (Some(t), Some(v), Some(e)) = (&declared_type, &default, &p.default)
                && !t.accepts(&v.data_type())
            {
                self.diags.push(Diagnostic::error(
                    Code::TypeMismatch,
                    format!(
                        "param `{}` is declared {t} but its default is {}",
                        p.name.name,
                        v.data_type()
                    ),
                    e.span,
                    format!("this is {}", v.data_type()),
                ));
                self.failed_params.insert(p.name.name.clone());
                continue;
            }
            let overridden = self
                .options
                .params
                .iter()
                .rev()
                .find(|(n, _)| *n == p.name.name)
                .map(|(_, v)| v.clone());
            let value = match overridden {
                Some(text) => match parse_param(&text, &ty) {
                    Ok(v) => v,
                    Err(expected) => {
                        self.diags.push(
                            Diagnostic::error(
                                Code::InvalidParamValue,
                                format!("--param {}={text}: expected {expected}", p.name.name),
                                p.name.span,
                                format!("declared {ty} here"),
                            )
                            .with_help(format!("pass a value of type {ty}")),
                        );
                        self.failed_params.insert(p.name.name.clone());
                        continue;
                    }
                },
                None => match default {
                    Some(v) => widen(v, &ty),
                    None => {
                        self.diags.push(
                            Diagnostic::error(
                                Code::MissingParam,
                                format!("param `{}` has no value", p.name.name),
                                p.name.span,
                                "no default",
                            )
                            .with_help(format!(
                                "pass --param {}=VALUE, or give it a default",
                                p.name.name
                            )),
                        );
                        self.failed_params.insert(p.name.name.clone());
                        continue;
                    }
                },
            };
            self.params.insert(
                p.name.name.clone(),
                ParamInfo {
                    value,
                    used: Default::default(),
                },
            );
        }
    }
}

fn widen(v: ConstValue, ty: &DataType) -> ConstValue {
    match (v, ty) {
        (ConstValue::Int(i), DataType::Float64) => ConstValue::Float(i as f64),
        (v, _) => v,
    }
}

/// Parses a command-line param value as the param's type.
fn parse_param(text: &str, ty: &DataType) -> Result<ConstValue, &'static str> {
    match ty {
        DataType::String => Ok(ConstValue::String(text.to_string())),
        DataType::Int64 => text
            .trim()
            .parse()
            .map(ConstValue::Int)
            .map_err(|_| "an integer"),
        DataType::Float64 => text
            .trim()
            .parse()
            .map(ConstValue::Float)
            .map_err(|_| "a number"),
        DataType::Bool => match text.trim() {
            "true" => Ok(ConstValue::Bool(true)),
            "false" => Ok(ConstValue::Bool(false)),
            _ => Err("true or false"),
        },
        _ => match crate::syntax::dsl::parse_expr(text, 0) {
            Ok(e) => match &e.kind {
                crate::syntax::ast::ExprKind::Literal(l) => Ok(super::consts::literal(l)),
                _ => Err("a literal value"),
            },
            Err(_) => Err("a literal value"),
        },
    }
}

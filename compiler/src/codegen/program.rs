//! From a fused stage to a *stage program*: the straight-line work one kernel does per
//! row, with every name resolved.
//!
//! Walking the stage's steps in order, each column name is bound either to a column of
//! the batch the stage receives, or to a value the kernel computes (`derive`, `cast`).
//! `rename` and `select` only rebind names; `drop_null` becomes a filter. A
//! subexpression the kernel cannot compute (a string function, say) is *precomputed* by
//! the reference implementation over the whole batch, when it reads only columns the
//! batch already has; the kernel then reads its result like a column (a hybrid stage).
//! When even that is impossible, the stage is not compiled and the reason says why.

use super::support::unsupported;
use crate::plan::{FusedStep, PlanOp, TypedExpr, TypedExprKind};
use serde::Serialize;
use sluice_stdlib::{DataType, Schema};
use std::collections::HashMap;

/// Prefix of the names of values the kernel computes (cannot clash with a column).
pub const LOCAL: &str = "\u{0}local";
/// Prefix of the names of precomputed columns.
pub const PRECOMPUTED: &str = "\u{0}pre";

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum ProgramStep {
    /// Rows for which this is not true go no further.
    Filter(TypedExpr),
    /// Computes a value, named with the [`LOCAL`] prefix.
    Define(String, TypedExpr),
}

/// Where an output column comes from.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum OutputSource {
    /// A value the kernel computes (written to an output buffer).
    Computed(String, DataType),
    /// A column of the batch, taken at the selected rows.
    Passthrough(String),
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StageProgram {
    pub steps: Vec<ProgramStep>,
    /// The batch columns the kernel reads (precomputed ones included), with their types.
    pub inputs: Vec<(String, DataType)>,
    /// Expressions the reference implementation computes first, by name.
    pub precomputed: Vec<(String, TypedExpr)>,
    /// The stage's output columns, in order.
    pub outputs: Vec<(String, OutputSource)>,
    /// Why each precomputed expression is not compiled.
    #[serde(skip)]
    pub hybrid_reasons: Vec<String>,
}

impl StageProgram {
    /// The key kernels are cached by: two stages with the same program share a kernel.
    pub fn signature(&self) -> String {
        serde_json::to_string(&(&self.steps, &self.inputs, &self.outputs)).unwrap_or_default()
    }

    /// The values written to output buffers, in order.
    pub fn computed_outputs(&self) -> Vec<(&str, &DataType)> {
        let mut out: Vec<(&str, &DataType)> = Vec::new();
        for (_, src) in &self.outputs {
            if let OutputSource::Computed(local, t) = src
                && !out.iter().any(|(l, _)| *l == local.as_str())
            {
                out.push((local, t));
            }
        }
        out
    }
}

/// What a name is bound to, part-way through a stage.
#[derive(Clone, Debug)]
enum Binding {
    /// A column of the stage's input batch.
    Input(String, DataType),
    /// A value the kernel computes.
    Local(String, DataType),
}

struct Builder {
    env: Vec<(String, Binding)>,
    program: StageProgram,
    locals: usize,
}

/// Builds the program of a fused stage reading `input`; `Err` says why it cannot be
/// compiled at all.
pub fn build(steps: &[FusedStep], input: &Schema) -> Result<StageProgram, String> {
    let mut b = Builder {
        env: input
            .fields
            .iter()
            .map(|f| {
                (
                    f.name.clone(),
                    Binding::Input(f.name.clone(), f.data_type.clone()),
                )
            })
            .collect(),
        program: StageProgram {
            steps: Vec::new(),
            inputs: Vec::new(),
            precomputed: Vec::new(),
            outputs: Vec::new(),
            hybrid_reasons: Vec::new(),
        },
        locals: 0,
    };
    for step in steps {
        b.step(&step.op)?;
    }
    let last = steps.last().map(|s| &s.schema).unwrap_or(input);
    for f in &last.fields {
        let source = match b.lookup(&f.name)? {
            Binding::Input(name, _) => {
                b.use_input(&name, &f.data_type);
                OutputSource::Passthrough(name)
            }
            Binding::Local(local, t) => {
                if !super::support::storable(&t) {
                    return Err(format!("`{}` is {t}, which a kernel cannot write", f.name));
                }
                OutputSource::Computed(local, t)
            }
        };
        b.program.outputs.push((f.name.clone(), source));
    }
    // Passthrough columns are taken by the runtime, not read by the kernel.
    let read = b.read_by_kernel();
    b.program.inputs.retain(|(n, _)| read.contains(n));
    if b.program.steps.is_empty() {
        return Err(match b.program.hybrid_reasons.first() {
            Some(r) => format!("nothing left to compile once the reference computes {r}"),
            None => "nothing to compute".into(),
        });
    }
    Ok(b.program)
}

impl Builder {
    fn lookup(&self, name: &str) -> Result<Binding, String> {
        self.env
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.clone())
            .ok_or_else(|| format!("internal: `{name}` is not bound"))
    }

    fn bind(&mut self, name: &str, binding: Binding) {
        self.env.retain(|(n, _)| n != name);
        self.env.push((name.to_string(), binding));
    }

    fn use_input(&mut self, name: &str, t: &DataType) {
        if !self.program.inputs.iter().any(|(n, _)| n == name) {
            self.program.inputs.push((name.to_string(), t.clone()));
        }
    }

    /// Every input column a step's expression reads.
    fn read_by_kernel(&self) -> Vec<String> {
        let mut names = Vec::new();
        for s in &self.program.steps {
            match s {
                ProgramStep::Filter(e) | ProgramStep::Define(_, e) => e.columns(&mut names),
            }
        }
        names
    }

    fn step(&mut self, op: &PlanOp) -> Result<(), String> {
        match op {
            PlanOp::Filter { predicate } => {
                let e = self.resolve(predicate)?;
                self.program.steps.push(ProgramStep::Filter(e));
            }
            PlanOp::Derive { columns } => {
                for (name, e) in columns {
                    let e = self.resolve(e)?;
                    // A bare column (or a precomputed one) is a new name, not a value.
                    let binding = match &e.kind {
                        TypedExprKind::Column(c) if c.starts_with(LOCAL) => {
                            Binding::Local(c.clone(), e.data_type.clone())
                        }
                        TypedExprKind::Column(c) => Binding::Input(c.clone(), e.data_type.clone()),
                        _ => self.define(e),
                    };
                    self.bind(name, binding);
                }
            }
            PlanOp::Cast { columns } => {
                for (name, to) in columns {
                    let column = self.column_expr(name)?;
                    let cast = TypedExpr {
                        nullable: true,
                        data_type: to.clone(),
                        kind: TypedExprKind::Cast {
                            operand: Box::new(column),
                            to: to.clone(),
                        },
                    };
                    let e = self.resolve(&cast)?;
                    let local = self.define(e);
                    self.bind(name, local);
                }
            }
            PlanOp::Rename { pairs } => {
                for (from, to) in pairs {
                    let b = self.lookup(from)?;
                    self.env.retain(|(n, _)| n != from);
                    self.bind(to, b);
                }
            }
            PlanOp::Project { columns } => {
                let mut kept = Vec::new();
                for c in columns {
                    kept.push((c.clone(), self.lookup(c)?));
                }
                self.env = kept;
            }
            PlanOp::DropNull { columns } => {
                for c in columns {
                    let column = self.column_expr(c)?;
                    let test = TypedExpr {
                        nullable: false,
                        data_type: DataType::Bool,
                        kind: TypedExprKind::Call {
                            function: "is_not_null".into(),
                            args: vec![column],
                        },
                    };
                    let e = self.resolve(&test)?;
                    self.program.steps.push(ProgramStep::Filter(e));
                }
            }
            other => return Err(format!("{} is not a narrow operator", other.name())),
        }
        Ok(())
    }

    fn column_expr(&self, name: &str) -> Result<TypedExpr, String> {
        let t = match self.lookup(name)? {
            Binding::Input(_, t) | Binding::Local(_, t) => t,
        };
        Ok(TypedExpr {
            nullable: true,
            data_type: t,
            kind: TypedExprKind::Column(name.to_string()),
        })
    }

    fn define(&mut self, e: TypedExpr) -> Binding {
        let name = format!("{LOCAL}{}", self.locals);
        self.locals += 1;
        let t = e.data_type.clone();
        self.program
            .steps
            .push(ProgramStep::Define(name.clone(), e));
        Binding::Local(name, t)
    }

    /// Binds every column of `e` to the batch or to a local, and precomputes what the
    /// kernel cannot compute.
    fn resolve(&mut self, e: &TypedExpr) -> Result<TypedExpr, String> {
        if let Some(reason) = unsupported(e) {
            return self.precompute(e, reason);
        }
        let mut out = e.clone();
        if let TypedExprKind::Column(name) = &mut out.kind {
            match self.lookup(name)? {
                Binding::Input(n, t) => {
                    self.use_input(&n, &t);
                    *name = n;
                }
                Binding::Local(l, _) => *name = l,
            }
            return Ok(out);
        }
        for child in out.children_mut() {
            *child = self.resolve(child)?;
        }
        Ok(out)
    }

    /// An expression the kernel reads as a column, computed first by the reference
    /// implementation; only possible when it reads columns of the batch itself.
    fn precompute(&mut self, e: &TypedExpr, reason: String) -> Result<TypedExpr, String> {
        let mut names = Vec::new();
        e.columns(&mut names);
        let mut renames: HashMap<String, String> = HashMap::new();
        for n in &names {
            match self.lookup(n)? {
                Binding::Input(batch, _) => {
                    renames.insert(n.clone(), batch);
                }
                Binding::Local(..) => {
                    return Err(format!(
                        "{reason}, and it reads `{n}`, computed earlier in the same stage"
                    ));
                }
            }
        }
        if !super::support::loadable(&e.data_type) {
            return Err(format!(
                "{reason}, and its result ({}) cannot be read by a kernel",
                e.data_type
            ));
        }
        let mut batch_expr = e.clone();
        batch_expr.rename_columns(&|c: &str| renames.get(c).cloned());
        let name = format!("{PRECOMPUTED}{}", self.program.precomputed.len());
        self.program.precomputed.push((name.clone(), batch_expr));
        self.program.hybrid_reasons.push(format!("`{e}`: {reason}"));
        self.use_input(&name, &e.data_type);
        Ok(TypedExpr {
            kind: TypedExprKind::Column(name),
            ..e.clone()
        })
    }
}

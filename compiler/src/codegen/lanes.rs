//! Two rows at a time: Cranelift's 128-bit vector types for the stages where they pay.
//!
//! A stage that only derives float64 values (no filter, so no compaction: row `i` is
//! written at `i`) from float64 columns with `+ - * /`, `-`, `abs`, `sqrt`, `floor`,
//! `ceil` and `coalesce` runs a loop over pairs of rows first: values are `f64x2`, and
//! validity is an `i64x2` lane mask (all ones: valid). The loop leaves at most one row,
//! which the scalar loop [`translate`](super::translate) emits after it finishes. Each
//! lane computes exactly what the scalar code computes for its row (the same IEEE
//! operations; `x / 0` is null through the same `!=` test), so the output is the same
//! bit for bit. `docs/jit.md` gives the measurements that decide where this is used.

use super::program::{LOCAL, ProgramStep, StageProgram};
use super::translate::{InputWords, bitmap_bit, input_words};
use crate::plan::{ConstValue, TypedExpr, TypedExprKind};
use crate::syntax::ast::{BinaryOp, UnaryOp};
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{Endianness, InstBuilder, MemFlagsData, Value, types};
use cranelift_frontend::{FunctionBuilder, Variable};
use sluice_stdlib::DataType;
use std::collections::HashMap;

/// Whether a program is in the two-lane subset.
pub fn eligible(program: &StageProgram) -> bool {
    !program.steps.is_empty()
        && program.steps.iter().all(|step| match step {
            ProgramStep::Filter(_) => false,
            ProgramStep::Define(_, e) => float(e),
        })
        && program
            .computed_outputs()
            .iter()
            .all(|(_, t)| **t == DataType::Float64)
        && program.inputs.iter().all(|(_, t)| *t == DataType::Float64)
}

/// A float64 expression of the subset (int literals are welcome as operands).
fn float(e: &TypedExpr) -> bool {
    let operand =
        |x: &TypedExpr| float(x) || matches!(x.kind, TypedExprKind::Literal(ConstValue::Int(_)));
    e.data_type == DataType::Float64
        && match &e.kind {
            TypedExprKind::Column(_) => true,
            TypedExprKind::Literal(v) => matches!(v, ConstValue::Float(_)),
            TypedExprKind::Unary {
                op: UnaryOp::Neg,
                operand: x,
            } => float(x),
            TypedExprKind::Binary { op, left, right } => {
                matches!(
                    op,
                    BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div
                ) && operand(left)
                    && operand(right)
            }
            TypedExprKind::Call { function, args } => match function.as_str() {
                "abs" | "sqrt" | "floor" | "ceil" => args.len() == 1 && float(&args[0]),
                "coalesce" => !args.is_empty() && args.iter().all(operand),
                _ => false,
            },
            _ => false,
        }
}

/// A pair of rows' values and validity mask.
#[derive(Clone, Copy)]
struct Pair {
    val: Value,
    valid: Value,
}

struct TwoLanes<'a, 'b> {
    b: &'a mut FunctionBuilder<'b>,
    inputs: &'a HashMap<String, (InputWords, DataType)>,
    locals: HashMap<String, Pair>,
    read: HashMap<String, Pair>,
    row: Value,
}

fn unaligned() -> MemFlagsData {
    MemFlagsData::new().with_notrap()
}

fn little() -> MemFlagsData {
    MemFlagsData::new().with_endianness(Endianness::Little)
}

/// Emits the loop over row pairs, from row `i` while two rows are left; `i` is left at
/// the first row it did not compute. `outputs` are the (values, validity) buffer
/// addresses of the program's computed outputs.
pub(super) fn emit_loop(
    b: &mut FunctionBuilder,
    program: &StageProgram,
    inputs: &HashMap<String, (InputWords, DataType)>,
    outputs: &[(Value, Value)],
    rows: Value,
    i: Variable,
) -> Result<(), String> {
    let header = b.create_block();
    let body = b.create_block();
    let exit = b.create_block();
    b.ins().jump(header, &[]);

    b.switch_to_block(header);
    let row = b.use_var(i);
    let pair_end = b.ins().iadd_imm_s(row, 2);
    let more = b.ins().icmp(IntCC::UnsignedLessThanOrEqual, pair_end, rows);
    b.ins().brif(more, body, &[], exit, &[]);

    b.switch_to_block(body);
    let row = b.use_var(i);
    let mut t = TwoLanes {
        b,
        inputs,
        locals: HashMap::new(),
        read: HashMap::new(),
        row,
    };
    for step in &program.steps {
        if let ProgramStep::Define(name, e) = step {
            let v = t.expr(e)?;
            t.locals.insert(name.clone(), v);
        }
    }
    for ((local, _), (values, validity)) in program.computed_outputs().iter().zip(outputs) {
        let v = *t
            .locals
            .get(*local)
            .ok_or_else(|| format!("internal: `{local}` was never computed"))?;
        let at = t.b.ins().imul_imm_u(row, 8);
        let at = t.b.ins().iadd(*values, at);
        t.b.ins().store(unaligned(), v.val, at, 0);
        let at = t.b.ins().iadd(*validity, row);
        for lane in 0..2u8 {
            let mask = t.b.ins().extractlane(v.valid, lane);
            let byte = t.b.ins().ireduce(types::I8, mask);
            let byte = t.b.ins().band_imm_u(byte, 1);
            t.b.ins()
                .store(MemFlagsData::trusted(), byte, at, i32::from(lane));
        }
    }
    let pair_end = t.b.ins().iadd_imm_s(row, 2);
    t.b.def_var(i, pair_end);
    t.b.ins().jump(header, &[]);

    b.switch_to_block(exit);
    Ok(())
}

impl TwoLanes<'_, '_> {
    fn splat(&mut self, x: f64) -> Value {
        let x = self.b.ins().f64const(x);
        self.b.ins().splat(types::F64X2, x)
    }

    fn all_valid(&mut self) -> Value {
        let ones = self.b.ins().iconst(types::I64, -1);
        self.b.ins().splat(types::I64X2, ones)
    }

    /// Bit `offset + row + lane` of a bitmap, as 0 or -1 (a lane mask).
    fn lane_bit(&mut self, bitmap: Value, offset: Value, lane: i64) -> Value {
        let pos = self.b.ins().iadd(offset, self.row);
        let pos = self.b.ins().iadd_imm_s(pos, lane);
        let bit = bitmap_bit(self.b, bitmap, pos);
        self.b.ins().ineg(bit)
    }

    fn column(&mut self, name: &str) -> Result<Pair, String> {
        if name.starts_with(LOCAL) {
            return self
                .locals
                .get(name)
                .copied()
                .ok_or_else(|| format!("internal: `{name}` used before it is computed"));
        }
        if let Some(v) = self.read.get(name) {
            return Ok(*v);
        }
        let (w, _) = input_words(self.inputs, name)?;
        let first = self.lane_bit(w.validity, w.validity_offset, 0);
        let second = self.lane_bit(w.validity, w.validity_offset, 1);
        let valid = self.b.ins().scalar_to_vector(types::I64X2, first);
        let valid = self.b.ins().insertlane(valid, second, 1);
        let at = self.b.ins().imul_imm_u(self.row, 8);
        let at = self.b.ins().iadd(w.values, at);
        let val = self.b.ins().load(types::F64X2, unaligned(), at, 0);
        let v = Pair { val, valid };
        self.read.insert(name.to_string(), v);
        Ok(v)
    }

    fn expr(&mut self, e: &TypedExpr) -> Result<Pair, String> {
        match &e.kind {
            TypedExprKind::Column(name) => self.column(name),
            TypedExprKind::Literal(ConstValue::Float(x)) => Ok(Pair {
                val: self.splat(*x),
                valid: self.all_valid(),
            }),
            // As the scalar code converts it (round to nearest).
            TypedExprKind::Literal(ConstValue::Int(x)) => Ok(Pair {
                val: self.splat(*x as f64),
                valid: self.all_valid(),
            }),
            TypedExprKind::Unary {
                op: UnaryOp::Neg,
                operand,
            } => {
                let v = self.expr(operand)?;
                let val = self.b.ins().fneg(v.val);
                Ok(Pair { val, ..v })
            }
            TypedExprKind::Binary { op, left, right } => {
                let a = self.expr(left)?;
                let b = self.expr(right)?;
                let mut valid = self.b.ins().band(a.valid, b.valid);
                let val = match op {
                    BinaryOp::Add => self.b.ins().fadd(a.val, b.val),
                    BinaryOp::Sub => self.b.ins().fsub(a.val, b.val),
                    BinaryOp::Mul => self.b.ins().fmul(a.val, b.val),
                    BinaryOp::Div => {
                        let zero = self.splat(0.0);
                        let nonzero = self.b.ins().fcmp(FloatCC::NotEqual, b.val, zero);
                        valid = self.b.ins().band(valid, nonzero);
                        self.b.ins().fdiv(a.val, b.val)
                    }
                    other => return Err(format!("`{}` has no two-lane form", other.symbol())),
                };
                Ok(Pair { val, valid })
            }
            TypedExprKind::Call { function, args } if function == "coalesce" => {
                let mut out: Option<Pair> = None;
                for a in args.iter().rev() {
                    let v = self.expr(a)?;
                    out = Some(match out {
                        None => v,
                        Some(rest) => {
                            let take = self.b.ins().bitcast(types::F64X2, little(), v.valid);
                            let val = self.b.ins().bitselect(take, v.val, rest.val);
                            let valid = self.b.ins().bor(v.valid, rest.valid);
                            Pair { val, valid }
                        }
                    });
                }
                out.ok_or_else(|| "coalesce of nothing".into())
            }
            TypedExprKind::Call { function, args } => {
                let v = self.expr(&args[0])?;
                let val = match function.as_str() {
                    "abs" => self.b.ins().fabs(v.val),
                    "sqrt" => self.b.ins().sqrt(v.val),
                    "floor" => self.b.ins().floor(v.val),
                    "ceil" => self.b.ins().ceil(v.val),
                    other => return Err(format!("`{other}` has no two-lane form")),
                };
                Ok(Pair { val, ..v })
            }
            _ => Err("this expression has no two-lane form".into()),
        }
    }
}

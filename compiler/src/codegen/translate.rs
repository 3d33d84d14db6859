//! A stage program to one Cranelift function that walks a partition's rows once.
//!
//! ```text
//! kernel(inputs: *const u64, outputs: *const u64, selection: *mut u32, rows: u64) -> u64
//! ```
//! Input column `j` is five words at `inputs + 40 j`: its values (for strings, the
//! offsets, already moved to the array's offset), the string bytes, the bit offset of
//! bool values, the validity bitmap (never null: an all-valid column gets a bitmap of
//! ones) and its bit offset. Output value `m` is two words at `outputs + 16 m`: a values
//! buffer (8 bytes a row, 1 for bools) and a validity buffer (1 byte a row). Rows that
//! pass every filter are written compacted: the `k`-th such row's values go at index
//! `k`, and `selection[k]` is its row number; the kernel returns how many there are (a
//! stage without a filter keeps every row and leaves `selection` alone).
//! The loop has no data-dependent branch (each row is written at `k`, and `k` moves on
//! only for a passing row), so random filters cost no mispredictions.
//!
//! Each value is a pair (value, valid) of SSA values; nulls follow the reference
//! implementation (see [`support`](super::support) for what is covered).

use super::calendar::{self, MICROS_PER_DAY};
use super::lanes;
use super::program::{LOCAL, ProgramStep, StageProgram};
use super::support::temporal;
use crate::plan::{ConstValue, TypedExpr, TypedExprKind};
use crate::syntax::ast::{BinaryOp, UnaryOp};
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{
    AbiParam, Block, Function, InstBuilder, MemFlagsData, Signature, Type, UserFuncName, Value,
    types,
};
use cranelift_codegen::isa::{CallConv, TargetIsa};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use sluice_stdlib::DataType;
use std::collections::HashMap;

/// Words per input column and per output value.
pub const INPUT_WORDS: usize = 5;
pub const OUTPUT_WORDS: usize = 2;

/// The kernel's signature.
pub fn signature(call_conv: CallConv) -> Signature {
    let mut s = Signature::new(call_conv);
    for _ in 0..4 {
        s.params.push(AbiParam::new(types::I64));
    }
    s.returns.push(AbiParam::new(types::I64));
    s
}

/// How a value is held in registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Int,
    Float,
    Bool,
}

fn kind_of(t: &DataType) -> Kind {
    match t {
        DataType::Float64 => Kind::Float,
        DataType::Bool => Kind::Bool,
        _ => Kind::Int,
    }
}

fn clif_type(k: Kind) -> Type {
    match k {
        Kind::Int => types::I64,
        Kind::Float => types::F64,
        Kind::Bool => types::I8,
    }
}

#[derive(Clone, Copy)]
struct V {
    val: Value,
    valid: Value,
    kind: Kind,
}

/// One input column's words, loaded once in the entry block.
#[derive(Clone, Copy)]
pub(super) struct InputWords {
    pub values: Value,
    pub bytes: Value,
    pub bit_offset: Value,
    pub validity: Value,
    pub validity_offset: Value,
}

struct Translator<'a, 'b> {
    b: &'a mut FunctionBuilder<'b>,
    inputs: HashMap<String, (InputWords, DataType)>,
    locals: HashMap<String, V>,
    /// Input columns already read for this row (each is read once).
    read: HashMap<String, V>,
    valid_read: HashMap<String, Value>,
    row: Value,
}

/// Builds the kernel's function for a program; with `two_lanes` (for programs
/// [`lanes::eligible`]), pairs of rows go through the vector loop first.
pub fn translate(
    program: &StageProgram,
    isa: &dyn TargetIsa,
    two_lanes: bool,
) -> Result<Function, String> {
    let mut func =
        Function::with_name_signature(UserFuncName::user(0, 0), signature(isa.default_call_conv()));
    let mut fctx = FunctionBuilderContext::new();
    let mut b = FunctionBuilder::new(&mut func, &mut fctx);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    let params = b.block_params(entry).to_vec();
    let (inputs_ptr, outputs_ptr, selection, rows) = (params[0], params[1], params[2], params[3]);
    let flags = MemFlagsData::trusted();
    let mut inputs = HashMap::new();
    for (j, (name, t)) in program.inputs.iter().enumerate() {
        let word = |b: &mut FunctionBuilder, w: usize| {
            b.ins().load(
                types::I64,
                flags,
                inputs_ptr,
                ((j * INPUT_WORDS + w) * 8) as i32,
            )
        };
        let words = InputWords {
            values: word(&mut b, 0),
            bytes: word(&mut b, 1),
            bit_offset: word(&mut b, 2),
            validity: word(&mut b, 3),
            validity_offset: word(&mut b, 4),
        };
        inputs.insert(name.clone(), (words, t.clone()));
    }
    let computed = program.computed_outputs();
    let mut outputs = Vec::new();
    for m in 0..computed.len() {
        let values = b.ins().load(
            types::I64,
            flags,
            outputs_ptr,
            ((m * OUTPUT_WORDS) * 8) as i32,
        );
        let validity = b.ins().load(
            types::I64,
            flags,
            outputs_ptr,
            ((m * OUTPUT_WORDS + 1) * 8) as i32,
        );
        outputs.push((values, validity));
    }
    let i = b.declare_var(types::I64);
    let k = b.declare_var(types::I64);
    let zero = b.ins().iconst(types::I64, 0);
    b.def_var(i, zero);
    b.def_var(k, zero);
    if two_lanes {
        // No filter: every row is kept, so k follows i.
        lanes::emit_loop(&mut b, program, &inputs, &outputs, rows, i)?;
        let done = b.use_var(i);
        b.def_var(k, done);
    }
    let filters = program
        .steps
        .iter()
        .any(|s| matches!(s, ProgramStep::Filter(_)));
    let header = b.create_block();
    let body = b.create_block();
    let next = b.create_block();
    let exit = b.create_block();
    b.ins().jump(header, &[]);

    b.switch_to_block(header);
    let row = b.use_var(i);
    let more = b.ins().icmp(IntCC::UnsignedLessThan, row, rows);
    b.ins().brif(more, body, &[], exit, &[]);

    b.switch_to_block(body);
    let row = b.use_var(i);
    let mut t = Translator {
        b: &mut b,
        inputs,
        locals: HashMap::new(),
        read: HashMap::new(),
        valid_read: HashMap::new(),
        row,
    };
    // Branch-free: every step runs for every row (no expression can trap), the row's
    // values are always written at index k, and k advances only when every filter
    // passed — no mispredicted branch per row.
    let mut pass = t.yes();
    for step in &program.steps {
        match step {
            ProgramStep::Filter(e) => {
                let v = t.expr(e)?;
                let this = t.b.ins().band(v.val, v.valid);
                pass = t.b.ins().band(pass, this);
            }
            ProgramStep::Define(name, e) => {
                let v = t.expr(e)?;
                let v = t.coerce(v, kind_of(&e.data_type));
                t.locals.insert(name.clone(), v);
            }
        }
    }
    let out_index = t.b.use_var(k);
    for ((local, data_type), (values, validity)) in computed.iter().zip(&outputs) {
        let v = *t
            .locals
            .get(*local)
            .ok_or_else(|| format!("internal: `{local}` was never computed"))?;
        let v = t.coerce(v, kind_of(data_type));
        let width = if v.kind == Kind::Bool { 1 } else { 8 };
        let offset = t.b.ins().imul_imm_u(out_index, width);
        let at = t.b.ins().iadd(*values, offset);
        t.b.ins().store(flags, v.val, at, 0);
        let at = t.b.ins().iadd(*validity, out_index);
        t.b.ins().store(flags, v.valid, at, 0);
    }
    if filters {
        let at = t.b.ins().imul_imm_u(out_index, 4);
        let at = t.b.ins().iadd(selection, at);
        let row32 = t.b.ins().ireduce(types::I32, row);
        t.b.ins().store(flags, row32, at, 0);
    }
    let step = t.b.ins().uextend(types::I64, pass);
    let k_next = t.b.ins().iadd(out_index, step);
    t.b.def_var(k, k_next);
    t.b.ins().jump(next, &[]);

    b.switch_to_block(next);
    let row = b.use_var(i);
    let row_next = b.ins().iadd_imm_s(row, 1);
    b.def_var(i, row_next);
    b.ins().jump(header, &[]);

    b.switch_to_block(exit);
    let count = b.use_var(k);
    b.ins().return_(&[count]);
    b.seal_all_blocks();
    b.finalize(isa.frontend_config());
    Ok(func)
}

/// The words and type of input column `name`.
pub(super) fn input_words(
    inputs: &HashMap<String, (InputWords, DataType)>,
    name: &str,
) -> Result<(InputWords, DataType), String> {
    inputs
        .get(name)
        .cloned()
        .ok_or_else(|| format!("internal: no input `{name}`"))
}

/// Bit `pos` of a bitmap, as an i64 0 or 1.
pub(super) fn bitmap_bit(b: &mut FunctionBuilder, bitmap: Value, pos: Value) -> Value {
    let byte_index = b.ins().ushr_imm_u(pos, 3);
    let at = b.ins().iadd(bitmap, byte_index);
    let byte = b.ins().uload8(types::I64, MemFlagsData::trusted(), at, 0);
    let shift = b.ins().band_imm_u(pos, 7);
    let shifted = b.ins().ushr(byte, shift);
    b.ins().band_imm_u(shifted, 1)
}

impl Translator<'_, '_> {
    /// An int64 result of a checked operation: null where it overflowed.
    fn checked_int(&mut self, val: Value, overflow: Value, valid: Value) -> V {
        let ok = self.b.ins().bxor_imm_u(overflow, 1);
        let valid = self.b.ins().band(valid, ok);
        V {
            val,
            valid,
            kind: Kind::Int,
        }
    }

    fn iconst(&mut self, ty: Type, v: i64) -> Value {
        self.b.ins().iconst(ty, v)
    }

    fn yes(&mut self) -> Value {
        self.iconst(types::I8, 1)
    }

    fn no(&mut self) -> Value {
        self.iconst(types::I8, 0)
    }

    /// Bit `offset + row` of a bitmap, as an i8 0 or 1.
    fn bit(&mut self, bitmap: Value, offset: Value) -> Value {
        let pos = self.b.ins().iadd(offset, self.row);
        let one = bitmap_bit(self.b, bitmap, pos);
        self.b.ins().ireduce(types::I8, one)
    }

    fn column(&mut self, name: &str) -> Result<V, String> {
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
        let (w, t) = self.input(name)?;
        let valid = self.column_validity(name)?;
        let flags = MemFlagsData::trusted();
        let (val, kind) = match t {
            DataType::Float64 => {
                let at = self.b.ins().imul_imm_u(self.row, 8);
                let at = self.b.ins().iadd(w.values, at);
                (self.b.ins().load(types::F64, flags, at, 0), Kind::Float)
            }
            DataType::Bool => (self.bit(w.values, w.bit_offset), Kind::Bool),
            DataType::Date => {
                let at = self.b.ins().imul_imm_u(self.row, 4);
                let at = self.b.ins().iadd(w.values, at);
                (self.b.ins().sload32(flags, at, 0), Kind::Int)
            }
            DataType::Int64 | DataType::Timestamp | DataType::Duration => {
                let at = self.b.ins().imul_imm_u(self.row, 8);
                let at = self.b.ins().iadd(w.values, at);
                (self.b.ins().load(types::I64, flags, at, 0), Kind::Int)
            }
            DataType::Null => (self.iconst(types::I64, 0), Kind::Int),
            other => return Err(format!("a {other} column is not read as a value")),
        };
        let v = V { val, valid, kind };
        self.read.insert(name.to_string(), v);
        Ok(v)
    }

    /// A value converted to another register kind (int to float; bool to int).
    fn coerce(&mut self, v: V, to: Kind) -> V {
        let val = match (v.kind, to) {
            (a, b) if a == b => v.val,
            (Kind::Int, Kind::Float) => self.b.ins().fcvt_from_sint(types::F64, v.val),
            (Kind::Bool, Kind::Int) => self.b.ins().uextend(types::I64, v.val),
            (Kind::Bool, Kind::Float) => {
                let i = self.b.ins().uextend(types::I64, v.val);
                self.b.ins().fcvt_from_sint(types::F64, i)
            }
            (Kind::Int, Kind::Bool) => self.b.ins().icmp_imm_s(IntCC::NotEqual, v.val, 0),
            (Kind::Float, _) => {
                // Not produced by the supported forms; keep the bits defined.
                let zero = self.b.ins().f64const(0.0);
                let ne = self.b.ins().fcmp(FloatCC::NotEqual, v.val, zero);
                if to == Kind::Bool {
                    ne
                } else {
                    self.b.ins().fcvt_to_sint_sat(types::I64, v.val)
                }
            }
            _ => v.val,
        };
        V {
            val,
            valid: v.valid,
            kind: to,
        }
    }

    fn literal(&mut self, value: &ConstValue, t: &DataType) -> Result<V, String> {
        let valid = self.yes();
        Ok(match value {
            ConstValue::Null => {
                let kind = kind_of(t);
                let val = match kind {
                    Kind::Float => self.b.ins().f64const(0.0),
                    k => self.iconst(clif_type(k), 0),
                };
                let valid = self.no();
                V { val, valid, kind }
            }
            ConstValue::Bool(x) => V {
                val: self.iconst(types::I8, i64::from(*x)),
                valid,
                kind: Kind::Bool,
            },
            ConstValue::Int(x) | ConstValue::Duration(x) => V {
                val: self.iconst(types::I64, *x),
                valid,
                kind: Kind::Int,
            },
            ConstValue::Float(x) => V {
                val: self.b.ins().f64const(*x),
                valid,
                kind: Kind::Float,
            },
            ConstValue::String(_) | ConstValue::List(_) => {
                return Err("a string or list literal is not a value here".into());
            }
        })
    }

    fn expr(&mut self, e: &TypedExpr) -> Result<V, String> {
        match &e.kind {
            TypedExprKind::Column(name) => self.column(name),
            TypedExprKind::Literal(v) => self.literal(v, &e.data_type),
            TypedExprKind::Unary { op, operand } => {
                let v = self.expr(operand)?;
                Ok(match op {
                    UnaryOp::Not => {
                        let v = self.coerce(v, Kind::Bool);
                        let val = self.b.ins().bxor_imm_u(v.val, 1);
                        V { val, ..v }
                    }
                    UnaryOp::Neg if kind_of(&e.data_type) == Kind::Float => {
                        let v = self.coerce(v, Kind::Float);
                        let val = self.b.ins().fneg(v.val);
                        V { val, ..v }
                    }
                    UnaryOp::Neg => {
                        let v = self.coerce(v, Kind::Int);
                        let zero = self.iconst(types::I64, 0);
                        let (val, overflow) = self.b.ins().ssub_overflow(zero, v.val);
                        self.checked_int(val, overflow, v.valid)
                    }
                })
            }
            TypedExprKind::Binary { op, left, right } => self.binary(*op, left, right, e),
            TypedExprKind::Call { function, args } => self.call(function, args, e),
            TypedExprKind::Case {
                branches,
                otherwise,
            } => {
                let kind = kind_of(&e.data_type);
                let mut out = match otherwise {
                    Some(o) => {
                        let v = self.expr(o)?;
                        self.coerce(v, kind)
                    }
                    None => self.literal(&ConstValue::Null, &e.data_type)?,
                };
                for (c, v) in branches.iter().rev() {
                    let c = self.expr(c)?;
                    let take = self.b.ins().band(c.val, c.valid);
                    let v = self.expr(v)?;
                    let v = self.coerce(v, kind);
                    out = self.choose(take, v, out);
                }
                Ok(out)
            }
            TypedExprKind::Cast { operand, to } => {
                let v = self.expr(operand)?;
                match (v.kind, to) {
                    (Kind::Float, DataType::Int64) => {
                        // In range of int64 (NaN is not): truncated toward zero.
                        let lo = self.b.ins().f64const(-9_223_372_036_854_775_808.0);
                        let hi = self.b.ins().f64const(9_223_372_036_854_775_808.0);
                        let ge = self.b.ins().fcmp(FloatCC::GreaterThanOrEqual, v.val, lo);
                        let lt = self.b.ins().fcmp(FloatCC::LessThan, v.val, hi);
                        let in_range = self.b.ins().band(ge, lt);
                        let valid = self.b.ins().band(v.valid, in_range);
                        let val = self.b.ins().fcvt_to_sint_sat(types::I64, v.val);
                        Ok(V {
                            val,
                            valid,
                            kind: Kind::Int,
                        })
                    }
                    _ => Ok(self.coerce(v, kind_of(to))),
                }
            }
            TypedExprKind::InList {
                operand,
                list,
                negated,
            } => {
                let mut any = self.no();
                let valid;
                if operand.data_type == DataType::String {
                    let TypedExprKind::Column(name) = &operand.kind else {
                        return Err("`in` on a computed string".into());
                    };
                    valid = self.column_validity(name)?;
                    for item in list {
                        let TypedExprKind::Literal(ConstValue::String(s)) = &item.kind else {
                            return Err("`in` with a non-literal string".into());
                        };
                        let eq = self.string_test(name, s.as_bytes(), false)?;
                        any = self.b.ins().bor(any, eq);
                    }
                } else {
                    let v = self.expr(operand)?;
                    valid = v.valid;
                    for item in list {
                        let w = self.expr(item)?;
                        let eq = self.compare(BinaryOp::Eq, v, w)?;
                        any = self.b.ins().bor(any, eq);
                    }
                }
                let val = if *negated {
                    self.b.ins().bxor_imm_u(any, 1)
                } else {
                    any
                };
                Ok(V {
                    val,
                    valid,
                    kind: Kind::Bool,
                })
            }
            TypedExprKind::List(_) => Err("lists have no compiled form".into()),
        }
    }

    /// `take ? a : b`, value and validity.
    fn choose(&mut self, take: Value, a: V, b: V) -> V {
        let val = self.b.ins().select(take, a.val, b.val);
        let valid = self.b.ins().select(take, a.valid, b.valid);
        V {
            val,
            valid,
            kind: a.kind,
        }
    }

    fn both_valid(&mut self, a: V, b: V) -> Value {
        self.b.ins().band(a.valid, b.valid)
    }

    /// A float's bits mapped so that signed integer order is the total order, after
    /// making every NaN the one positive NaN and `-0.0` the zero (`x + 0.0`), as
    /// `sluice_stdlib::nan` does: NaN sorts above all and `-0.0 == 0.0`.
    fn total_order_key(&mut self, x: Value) -> Value {
        let nan = self.b.ins().f64const(f64::NAN);
        let zero = self.b.ins().f64const(0.0);
        let is_nan = self.b.ins().fcmp(FloatCC::Unordered, x, x);
        let plus_zero = self.b.ins().fadd(x, zero);
        let x = self.b.ins().select(is_nan, nan, plus_zero);
        let bits = self.b.ins().bitcast(types::I64, MemFlagsData::new(), x);
        let sign = self.b.ins().sshr_imm_u(bits, 63);
        let mask = self.b.ins().ushr_imm_u(sign, 1);
        self.b.ins().bxor(bits, mask)
    }

    /// The i8 result of comparing two values (validity is the caller's).
    fn compare(&mut self, op: BinaryOp, a: V, b: V) -> Result<Value, String> {
        let cc = match op {
            BinaryOp::Eq => IntCC::Equal,
            BinaryOp::NotEq => IntCC::NotEqual,
            BinaryOp::Lt => IntCC::SignedLessThan,
            BinaryOp::LtEq => IntCC::SignedLessThanOrEqual,
            BinaryOp::Gt => IntCC::SignedGreaterThan,
            BinaryOp::GtEq => IntCC::SignedGreaterThanOrEqual,
            other => return Err(format!("`{}` is not a comparison", other.symbol())),
        };
        let (x, y) = if a.kind == Kind::Float || b.kind == Kind::Float {
            let a = self.coerce(a, Kind::Float);
            let b = self.coerce(b, Kind::Float);
            (self.total_order_key(a.val), self.total_order_key(b.val))
        } else if a.kind == Kind::Bool && b.kind == Kind::Bool {
            (a.val, b.val)
        } else {
            let a = self.coerce(a, Kind::Int);
            let b = self.coerce(b, Kind::Int);
            (a.val, b.val)
        };
        Ok(self.b.ins().icmp(cc, x, y))
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        left: &TypedExpr,
        right: &TypedExpr,
        e: &TypedExpr,
    ) -> Result<V, String> {
        // A string column against a string literal.
        if matches!(op, BinaryOp::Eq | BinaryOp::NotEq)
            && (left.data_type == DataType::String || right.data_type == DataType::String)
        {
            let (col, lit) = match (&left.kind, &right.kind) {
                (TypedExprKind::Column(c), TypedExprKind::Literal(ConstValue::String(s)))
                | (TypedExprKind::Literal(ConstValue::String(s)), TypedExprKind::Column(c)) => {
                    (c, s)
                }
                _ => return Err("string comparison of two computed values".into()),
            };
            let valid = self.column_validity(col)?;
            let eq = self.string_test(col, lit.as_bytes(), false)?;
            let val = if op == BinaryOp::NotEq {
                self.b.ins().bxor_imm_u(eq, 1)
            } else {
                eq
            };
            return Ok(V {
                val,
                valid,
                kind: Kind::Bool,
            });
        }
        let a = self.expr(left)?;
        let b = self.expr(right)?;
        if matches!(op, BinaryOp::Add | BinaryOp::Sub)
            && (temporal(&left.data_type) || temporal(&right.data_type))
        {
            return Ok(self.temporal_sum(op, (a, &left.data_type), (b, &right.data_type), e));
        }
        match op {
            BinaryOp::And | BinaryOp::Or => {
                let (a, b) = (self.coerce(a, Kind::Bool), self.coerce(b, Kind::Bool));
                let both = self.both_valid(a, b);
                // and: a valid false (or b) decides; or: a valid true decides.
                let (decides_a, decides_b, val) = if op == BinaryOp::And {
                    let na = self.b.ins().bxor_imm_u(a.val, 1);
                    let nb = self.b.ins().bxor_imm_u(b.val, 1);
                    (na, nb, self.b.ins().band(a.val, b.val))
                } else {
                    (a.val, b.val, self.b.ins().bor(a.val, b.val))
                };
                let da = self.b.ins().band(a.valid, decides_a);
                let db = self.b.ins().band(b.valid, decides_b);
                let valid = self.b.ins().bor(both, da);
                let valid = self.b.ins().bor(valid, db);
                Ok(V {
                    val,
                    valid,
                    kind: Kind::Bool,
                })
            }
            _ if op.is_comparison() => {
                let val = self.compare(op, a, b)?;
                let valid = self.both_valid(a, b);
                Ok(V {
                    val,
                    valid,
                    kind: Kind::Bool,
                })
            }
            BinaryOp::Div => {
                let (a, b) = (self.coerce(a, Kind::Float), self.coerce(b, Kind::Float));
                let zero = self.b.ins().f64const(0.0);
                let nonzero = self.b.ins().fcmp(FloatCC::NotEqual, b.val, zero);
                let valid = self.both_valid(a, b);
                let valid = self.b.ins().band(valid, nonzero);
                let val = self.b.ins().fdiv(a.val, b.val);
                Ok(V {
                    val,
                    valid,
                    kind: Kind::Float,
                })
            }
            _ if kind_of(&e.data_type) == Kind::Float => {
                let (a, b) = (self.coerce(a, Kind::Float), self.coerce(b, Kind::Float));
                let val = match op {
                    BinaryOp::Add => self.b.ins().fadd(a.val, b.val),
                    BinaryOp::Sub => self.b.ins().fsub(a.val, b.val),
                    BinaryOp::Mul => self.b.ins().fmul(a.val, b.val),
                    other => return Err(format!("float `{}` is not compiled", other.symbol())),
                };
                let valid = self.both_valid(a, b);
                Ok(V {
                    val,
                    valid,
                    kind: Kind::Float,
                })
            }
            _ => {
                let (a, b) = (self.coerce(a, Kind::Int), self.coerce(b, Kind::Int));
                let valid = self.both_valid(a, b);
                let (val, overflow) = match op {
                    BinaryOp::Add => self.b.ins().sadd_overflow(a.val, b.val),
                    BinaryOp::Sub => self.b.ins().ssub_overflow(a.val, b.val),
                    BinaryOp::Mul => self.b.ins().smul_overflow(a.val, b.val),
                    BinaryOp::Rem => {
                        // x % 0 and i64::MIN % -1 are null; never trap on them.
                        let zero = self.b.ins().icmp_imm_s(IntCC::Equal, b.val, 0);
                        let min = self.b.ins().icmp_imm_s(IntCC::Equal, a.val, i64::MIN);
                        let minus_one = self.b.ins().icmp_imm_s(IntCC::Equal, b.val, -1);
                        let both = self.b.ins().band(min, minus_one);
                        let bad = self.b.ins().bor(zero, both);
                        let one = self.iconst(types::I64, 1);
                        let safe = self.b.ins().select(bad, one, b.val);
                        (self.b.ins().srem(a.val, safe), bad)
                    }
                    other => return Err(format!("int `{}` is not compiled", other.symbol())),
                };
                Ok(self.checked_int(val, overflow, valid))
            }
        }
    }

    /// A temporal value in microseconds: a date's day number scaled (null beyond the
    /// timestamp range, as in the reference); timestamps and durations already are.
    fn micros(&mut self, v: V, t: &DataType) -> V {
        if *t != DataType::Date {
            return v;
        }
        let per_day = self.iconst(types::I64, MICROS_PER_DAY);
        let (val, overflow) = self.b.ins().smul_overflow(v.val, per_day);
        self.checked_int(val, overflow, v.valid)
    }

    /// `date|timestamp ± duration`, `date|timestamp − date|timestamp` and `duration ±
    /// duration`, in microseconds as the reference computes them (overflow → null); a
    /// date result is the day the sum falls on.
    fn temporal_sum(
        &mut self,
        op: BinaryOp,
        (a, a_type): (V, &DataType),
        (b, b_type): (V, &DataType),
        e: &TypedExpr,
    ) -> V {
        let a = self.micros(a, a_type);
        let b = self.micros(b, b_type);
        let (val, overflow) = if op == BinaryOp::Sub {
            self.b.ins().ssub_overflow(a.val, b.val)
        } else {
            self.b.ins().sadd_overflow(a.val, b.val)
        };
        let valid = self.both_valid(a, b);
        let sum = self.checked_int(val, overflow, valid);
        if e.data_type == DataType::Date {
            V {
                val: calendar::div_euclid(self.b, sum.val, MICROS_PER_DAY),
                ..sum
            }
        } else {
            sum
        }
    }

    /// The words and type of input column `name`.
    fn input(&self, name: &str) -> Result<(InputWords, DataType), String> {
        input_words(&self.inputs, name)
    }

    /// Whether input column `name` is valid at this row (read once a row).
    fn column_validity(&mut self, name: &str) -> Result<Value, String> {
        if let Some(valid) = self.valid_read.get(name) {
            return Ok(*valid);
        }
        let (w, _) = self.input(name)?;
        let valid = self.bit(w.validity, w.validity_offset);
        self.valid_read.insert(name.to_string(), valid);
        Ok(valid)
    }

    /// Whether the string in column `name` at this row equals `lit` (or, with
    /// `prefix`, starts with it), comparing bytes only when the lengths allow.
    fn string_test(&mut self, name: &str, lit: &[u8], prefix: bool) -> Result<Value, String> {
        let (w, _) = self.input(name)?;
        let flags = MemFlagsData::trusted();
        let at = self.b.ins().imul_imm_u(self.row, 4);
        let at = self.b.ins().iadd(w.values, at);
        let start = self.b.ins().sload32(flags, at, 0);
        let end = self.b.ins().sload32(flags, at, 4);
        let len = self.b.ins().isub(end, start);
        let n = lit.len() as i64;
        let fits = if prefix {
            self.b
                .ins()
                .icmp_imm_s(IntCC::SignedGreaterThanOrEqual, len, n)
        } else {
            self.b.ins().icmp_imm_s(IntCC::Equal, len, n)
        };
        let bytes_block: Block = self.b.create_block();
        let done: Block = self.b.create_block();
        self.b.append_block_param(done, types::I8);
        let no = self.no();
        self.b
            .ins()
            .brif(fits, bytes_block, &[], done, &[no.into()]);
        self.b.switch_to_block(bytes_block);
        self.b.seal_block(bytes_block);
        let base = self.b.ins().iadd(w.bytes, start);
        let mut all = self.yes();
        for (j, byte) in lit.iter().enumerate() {
            let c = self.b.ins().uload8(types::I32, flags, base, j as i32);
            let eq = self.b.ins().icmp_imm_s(IntCC::Equal, c, i64::from(*byte));
            all = self.b.ins().band(all, eq);
        }
        self.b.ins().jump(done, &[all.into()]);
        self.b.switch_to_block(done);
        self.b.seal_block(done);
        Ok(self.b.block_params(done)[0])
    }

    fn call(&mut self, function: &str, args: &[TypedExpr], e: &TypedExpr) -> Result<V, String> {
        let kind = kind_of(&e.data_type);
        match function {
            "is_null" | "is_not_null" => {
                let valid = match &args[0].kind {
                    TypedExprKind::Column(c) if args[0].data_type == DataType::String => {
                        self.column_validity(c)?
                    }
                    _ => self.expr(&args[0])?.valid,
                };
                let val = if function == "is_null" {
                    self.b.ins().bxor_imm_u(valid, 1)
                } else {
                    valid
                };
                let valid = self.yes();
                Ok(V {
                    val,
                    valid,
                    kind: Kind::Bool,
                })
            }
            "is_nan" => {
                let v = self.expr(&args[0])?;
                let val = if v.kind == Kind::Float {
                    self.b.ins().fcmp(FloatCC::Unordered, v.val, v.val)
                } else {
                    self.no()
                };
                Ok(V {
                    val,
                    valid: v.valid,
                    kind: Kind::Bool,
                })
            }
            "starts_with" => {
                let (TypedExprKind::Column(c), TypedExprKind::Literal(ConstValue::String(s))) =
                    (&args[0].kind, &args[1].kind)
                else {
                    return Err("starts_with needs a column and a literal".into());
                };
                let valid = self.column_validity(c)?;
                let val = self.string_test(c, s.as_bytes(), true)?;
                Ok(V {
                    val,
                    valid,
                    kind: Kind::Bool,
                })
            }
            "coalesce" => {
                let mut out: Option<V> = None;
                for a in args.iter().rev() {
                    let v = self.expr(a)?;
                    let v = self.coerce(v, kind);
                    out = Some(match out {
                        None => v,
                        Some(rest) => self.choose(v.valid, v, rest),
                    });
                }
                out.ok_or_else(|| "coalesce of nothing".into())
            }
            "if" => {
                let c = self.expr(&args[0])?;
                let take = self.b.ins().band(c.val, c.valid);
                let a = self.expr(&args[1])?;
                let a = self.coerce(a, kind);
                let b = self.expr(&args[2])?;
                let b = self.coerce(b, kind);
                Ok(self.choose(take, a, b))
            }
            "least" | "greatest" => {
                let first = self.expr(&args[0])?;
                let mut out = self.coerce(first, kind);
                for a in &args[1..] {
                    let v = self.expr(a)?;
                    let next = self.coerce(v, kind);
                    let op = if function == "least" {
                        BinaryOp::Lt
                    } else {
                        BinaryOp::Gt
                    };
                    let take = self.compare(op, next, out)?;
                    let valid = self.both_valid(next, out);
                    let chosen = self.choose(take, next, out);
                    out = V { valid, ..chosen };
                }
                Ok(out)
            }
            "abs" if kind == Kind::Int => {
                let v = self.expr(&args[0])?;
                let v = self.coerce(v, Kind::Int);
                let is_min = self.b.ins().icmp_imm_s(IntCC::Equal, v.val, i64::MIN);
                let ok = self.b.ins().bxor_imm_u(is_min, 1);
                let valid = self.b.ins().band(v.valid, ok);
                let val = self.b.ins().iabs(v.val);
                Ok(V {
                    val,
                    valid,
                    kind: Kind::Int,
                })
            }
            "year" | "month" | "day" => {
                let v = self.expr(&args[0])?;
                let days = if args[0].data_type == DataType::Date {
                    v.val
                } else {
                    calendar::div_euclid(self.b, v.val, MICROS_PER_DAY)
                };
                let (y, m, d) = calendar::civil_from_days(self.b, days);
                let val = match function {
                    "year" => y,
                    "month" => m,
                    _ => d,
                };
                Ok(V {
                    val,
                    valid: v.valid,
                    kind: Kind::Int,
                })
            }
            "hour" | "minute" | "second" => {
                let v = self.expr(&args[0])?;
                let val = if args[0].data_type == DataType::Date {
                    // A date is read at midnight.
                    self.iconst(types::I64, 0)
                } else {
                    let (unit, modulo) = match function {
                        "hour" => (3_600_000_000, 24),
                        "minute" => (60_000_000, 60),
                        _ => (1_000_000, 60),
                    };
                    let units = calendar::div_euclid(self.b, v.val, unit);
                    calendar::rem_euclid(self.b, units, modulo)
                };
                Ok(V {
                    val,
                    valid: v.valid,
                    kind: Kind::Int,
                })
            }
            "sign" if kind == Kind::Int => {
                let v = self.expr(&args[0])?;
                let v = self.coerce(v, Kind::Int);
                let positive = self.b.ins().icmp_imm_s(IntCC::SignedGreaterThan, v.val, 0);
                let negative = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, v.val, 0);
                let positive = self.b.ins().uextend(types::I64, positive);
                let negative = self.b.ins().uextend(types::I64, negative);
                Ok(V {
                    val: self.b.ins().isub(positive, negative),
                    valid: v.valid,
                    kind: Kind::Int,
                })
            }
            "sign" => {
                // NaN for NaN, 0 for either zero, else ±1.
                let v = self.expr(&args[0])?;
                let v = self.coerce(v, Kind::Float);
                let nan = self.b.ins().fcmp(FloatCC::Unordered, v.val, v.val);
                let zero = self.b.ins().f64const(0.0);
                let is_zero = self.b.ins().fcmp(FloatCC::Equal, v.val, zero);
                let one = self.b.ins().f64const(1.0);
                let unit = self.b.ins().fcopysign(one, v.val);
                let signed = self.b.ins().select(is_zero, zero, unit);
                let canonical_nan = self.b.ins().f64const(f64::NAN);
                Ok(V {
                    val: self.b.ins().select(nan, canonical_nan, signed),
                    valid: v.valid,
                    kind: Kind::Float,
                })
            }
            "floor" | "ceil" | "round" | "trunc" if kind == Kind::Int => {
                let v = self.expr(&args[0])?;
                Ok(self.coerce(v, Kind::Int))
            }
            "abs" | "floor" | "ceil" | "sqrt" | "round" | "trunc" => {
                let v = self.expr(&args[0])?;
                let v = self.coerce(v, Kind::Float);
                let val = match function {
                    "abs" => self.b.ins().fabs(v.val),
                    "trunc" => self.b.ins().trunc(v.val),
                    "floor" => self.b.ins().floor(v.val),
                    "ceil" => self.b.ins().ceil(v.val),
                    "sqrt" => self.b.ins().sqrt(v.val),
                    _ => {
                        // Half away from zero, as f64::round.
                        let t = self.b.ins().trunc(v.val);
                        let d = self.b.ins().fsub(v.val, t);
                        let ad = self.b.ins().fabs(d);
                        let half = self.b.ins().f64const(0.5);
                        let away = self.b.ins().fcmp(FloatCC::GreaterThanOrEqual, ad, half);
                        let one = self.b.ins().f64const(1.0);
                        let step = self.b.ins().fcopysign(one, v.val);
                        let up = self.b.ins().fadd(t, step);
                        self.b.ins().select(away, up, t)
                    }
                };
                Ok(V {
                    val,
                    valid: v.valid,
                    kind: Kind::Float,
                })
            }
            other => Err(format!("`{other}` has no compiled form")),
        }
    }
}

//! Calendar arithmetic in CLIF, for kernels that compute with dates and timestamps:
//! floor division by a constant and Hinnant's civil-from-days, the same algorithm (and
//! so the same results, over every date) as the reference implementation's
//! `sluice_stdlib::kernels::dates::civil_from_days`.

use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{InstBuilder, Value, types};
use cranelift_frontend::FunctionBuilder;

/// Microseconds in a day: a date's day number times this is its timestamp.
pub const MICROS_PER_DAY: i64 = 86_400_000_000;

/// `x.div_euclid(d)` for a constant `d > 1` (never traps).
pub fn div_euclid(b: &mut FunctionBuilder, x: Value, d: i64) -> Value {
    debug_assert!(d > 1);
    let q = b.ins().sdiv_imm_s(x, d);
    let back = b.ins().imul_imm_s(q, d);
    let r = b.ins().isub(x, back);
    let negative = b.ins().icmp_imm_s(IntCC::SignedLessThan, r, 0);
    let borrow = b.ins().uextend(types::I64, negative);
    b.ins().isub(q, borrow)
}

/// `x.rem_euclid(d)` for a constant `d > 1` (never traps).
pub fn rem_euclid(b: &mut FunctionBuilder, x: Value, d: i64) -> Value {
    debug_assert!(d > 1);
    let r = b.ins().srem_imm_s(x, d);
    let negative = b.ins().icmp_imm_s(IntCC::SignedLessThan, r, 0);
    let wrapped = b.ins().iadd_imm_s(r, d);
    b.ins().select(negative, wrapped, r)
}

/// (year, month, day) of a day number (days since 1970-01-01), as i64 values.
/// Exact for every day a date or a timestamp can hold (no intermediate overflows).
pub fn civil_from_days(b: &mut FunctionBuilder, days: Value) -> (Value, Value, Value) {
    let z = b.ins().iadd_imm_s(days, 719_468);
    let era = div_euclid(b, z, 146_097);
    let era_days = b.ins().imul_imm_s(era, 146_097);
    // The day of the 400-year era, 0..=146_096: plain division is floor division here.
    let doe = b.ins().isub(z, era_days);
    let a = b.ins().sdiv_imm_s(doe, 1460);
    let c = b.ins().sdiv_imm_s(doe, 36_524);
    let e = b.ins().sdiv_imm_s(doe, 146_096);
    let t = b.ins().isub(doe, a);
    let t = b.ins().iadd(t, c);
    let t = b.ins().isub(t, e);
    let yoe = b.ins().sdiv_imm_s(t, 365);
    let era_years = b.ins().imul_imm_s(era, 400);
    let y = b.ins().iadd(yoe, era_years);
    let leap4 = b.ins().sdiv_imm_s(yoe, 4);
    let leap100 = b.ins().sdiv_imm_s(yoe, 100);
    let year_days = b.ins().imul_imm_s(yoe, 365);
    let year_days = b.ins().iadd(year_days, leap4);
    let year_days = b.ins().isub(year_days, leap100);
    let doy = b.ins().isub(doe, year_days);
    let mp = b.ins().imul_imm_s(doy, 5);
    let mp = b.ins().iadd_imm_s(mp, 2);
    let mp = b.ins().sdiv_imm_s(mp, 153);
    let month_days = b.ins().imul_imm_s(mp, 153);
    let month_days = b.ins().iadd_imm_s(month_days, 2);
    let month_days = b.ins().sdiv_imm_s(month_days, 5);
    let d = b.ins().isub(doy, month_days);
    let d = b.ins().iadd_imm_s(d, 1);
    // March-based month to January-based: mp < 10 ? mp + 3 : mp - 9.
    let early = b.ins().icmp_imm_s(IntCC::SignedLessThan, mp, 10);
    let plus = b.ins().iadd_imm_s(mp, 3);
    let minus = b.ins().iadd_imm_s(mp, -9);
    let m = b.ins().select(early, plus, minus);
    let jan_feb = b.ins().icmp_imm_s(IntCC::SignedLessThanOrEqual, m, 2);
    let next_year = b.ins().iadd_imm_s(y, 1);
    let year = b.ins().select(jan_feb, next_year, y);
    (year, m, d)
}

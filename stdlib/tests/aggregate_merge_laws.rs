//! The laws two-phase and spilled aggregation rely on: for every aggregate, folding rows
//! into columnar states in pieces and merging the pieces' states (in input order; in any
//! order for the aggregates that do not depend on order), with a round trip through the
//! states' Arrow form on the way, gives what one pass over all rows gives. Exact for
//! counts, integer sums, min/max, first/last/collect, count_distinct, median and
//! quantiles, any_value, mode, collect_set; float sums, products, means, variances and
//! standard deviations agree within a
//! relative 1e-9 (their additions happen in another order).

use arrow::array::{Array, ArrayRef, Float64Array, Int64Array, StringArray};
use proptest::prelude::*;
use sluice_stdlib::DataType;
use sluice_stdlib::aggregates::AggregateKernel;
use sluice_stdlib::aggregates::states::GroupStates;
use std::sync::Arc;

const GROUPS: usize = 5;

/// (function, input type, depends on input order)
const AGGREGATES: &[(&str, Option<DataType>, bool)] = &[
    ("count", None, false),
    ("count", Some(DataType::Float64), false),
    ("count_distinct", Some(DataType::Int64), false),
    ("sum", Some(DataType::Int64), false),
    ("sum", Some(DataType::Float64), false),
    ("mean", Some(DataType::Float64), false),
    ("mean", Some(DataType::Int64), false),
    ("min", Some(DataType::Int64), false),
    ("max", Some(DataType::Float64), false),
    ("min", Some(DataType::String), false),
    ("max", Some(DataType::String), false),
    ("stddev", Some(DataType::Float64), false),
    ("variance", Some(DataType::Int64), false),
    ("median", Some(DataType::Float64), false),
    ("quantile", Some(DataType::Float64), false),
    ("first", Some(DataType::Int64), true),
    ("last", Some(DataType::String), true),
    ("collect", Some(DataType::Int64), true),
    ("product", Some(DataType::Int64), false),
    ("percentile_disc", Some(DataType::Float64), false),
    ("approx_quantile", Some(DataType::Float64), false),
    ("any_value", Some(DataType::Int64), true),
    ("mode", Some(DataType::String), true),
    ("collect_set", Some(DataType::Int64), true),
    ("string_agg", Some(DataType::String), true),
    ("corr", Some(DataType::Float64), false),
    ("covar_pop", Some(DataType::Int64), false),
    ("covar_samp", Some(DataType::Float64), false),
    ("arg_min", Some(DataType::String), true),
    ("arg_max", Some(DataType::Int64), true),
    ("approx_count_distinct", Some(DataType::Int64), false),
];

fn column(t: &Option<DataType>, values: &[Option<i64>]) -> Option<ArrayRef> {
    Some(match t.as_ref()? {
        DataType::Int64 => Arc::new(Int64Array::from(values.to_vec())) as ArrayRef,
        DataType::Float64 => Arc::new(Float64Array::from(
            values
                .iter()
                .map(|v| v.map(|x| x as f64 / 8.0 + 0.1))
                .collect::<Vec<_>>(),
        )),
        _ => Arc::new(StringArray::from(
            values
                .iter()
                .map(|v| v.map(|x| format!("s{x}")))
                .collect::<Vec<_>>(),
        )),
    })
}

fn out_type(f: &str, t: &Option<DataType>) -> arrow::datatypes::DataType {
    use arrow::datatypes::DataType as A;
    match (f, t) {
        ("count" | "count_distinct" | "approx_count_distinct", _) => A::Int64,
        (
            "sum" | "min" | "max" | "first" | "last" | "any_value" | "mode" | "percentile_disc"
            | "arg_min" | "arg_max",
            Some(t),
        ) => t.to_arrow(),
        ("collect" | "collect_set", Some(t)) => A::new_list(t.to_arrow(), true),
        ("string_agg", _) => A::Utf8,
        _ => A::Float64,
    }
}

fn kernel(f: &str, t: &Option<DataType>) -> Arc<AggregateKernel> {
    let q = matches!(f, "quantile" | "percentile_disc" | "approx_quantile").then_some(0.3);
    Arc::new(
        AggregateKernel::new(f, t.as_ref(), q)
            .expect("kernel")
            .with_separator(", ")
            .with_second_column(&DataType::Int64)
            .expect("second column"),
    )
}

/// States of `rows` (values and groups).
fn fold(
    k: &Arc<AggregateKernel>,
    t: &Option<DataType>,
    values: &[Option<i64>],
    groups: &[u32],
) -> GroupStates {
    let mut s = GroupStates::new(k.clone());
    s.resize(GROUPS);
    let input = column(t, values).map(|x| {
        if k.takes_two_columns() {
            // The second column: another function of the value, with ties and its own nulls.
            let y: ArrayRef = Arc::new(Int64Array::from(
                values
                    .iter()
                    .map(|v| v.filter(|x| x % 5 != 0).map(|x| (x * 7).rem_euclid(11)))
                    .collect::<Vec<_>>(),
            ));
            sluice_stdlib::aggregates::pairs::pack(x, y).expect("pack")
        } else {
            x
        }
    });
    s.update(groups, input.as_ref()).expect("update");
    s
}

fn same(a: &ArrayRef, b: &ArrayRef, f: &str) -> Result<(), String> {
    if let (Some(x), Some(y)) = (
        a.as_any().downcast_ref::<Float64Array>(),
        b.as_any().downcast_ref::<Float64Array>(),
    ) {
        for i in 0..x.len() {
            let (p, q) = (x.is_valid(i), y.is_valid(i));
            if p != q {
                return Err(format!("{f}: group {i} null in one only"));
            }
            if p {
                let (u, v) = (x.value(i), y.value(i));
                let tolerance = 1e-9 * u.abs().max(v.abs()).max(1.0);
                if !((u - v).abs() <= tolerance || (u.is_nan() && v.is_nan())) {
                    return Err(format!("{f}: group {i}: {u} vs {v}"));
                }
            }
        }
        return Ok(());
    }
    if a.to_data() == b.to_data() {
        Ok(())
    } else {
        Err(format!("{f}: {a:?} vs {b:?}"))
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn merged_pieces_equal_one_pass(
        rows in proptest::collection::vec((proptest::option::weighted(0.8, -40i64..40), 0u32..GROUPS as u32), 0..60),
        cuts in proptest::collection::vec(0usize..60, 0..4),
        reversed in any::<bool>(),
    ) {
        let (values, groups): (Vec<Option<i64>>, Vec<u32>) = rows.iter().copied().unzip();
        let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (rows.len() + 1)).collect();
        bounds.push(0);
        bounds.push(rows.len());
        bounds.sort_unstable();
        let ids: Vec<u32> = (0..GROUPS as u32).collect();
        for (f, t, ordered) in AGGREGATES {
            let k = kernel(f, t);
            let whole = fold(&k, t, &values, &groups).finish(&out_type(f, t)).expect("finish");
            let mut pieces: Vec<GroupStates> = bounds
                .windows(2)
                .map(|w| fold(&k, t, &values[w[0]..w[1]], &groups[w[0]..w[1]]))
                .collect();
            if reversed && !ordered {
                pieces.reverse();
            }
            let mut merged = GroupStates::new(k.clone());
            merged.resize(GROUPS);
            for (i, piece) in pieces.into_iter().enumerate() {
                // Every other piece goes through its Arrow form, as spilled states do.
                let piece = if i % 2 == 1 {
                    GroupStates::from_columns(k.clone(), &piece.to_columns().expect("to columns"))
                        .expect("from columns")
                } else {
                    piece
                };
                merged.merge_from(&piece, &ids, &ids);
            }
            let merged = merged.finish(&out_type(f, t)).expect("finish");
            prop_assert!(same(&whole, &merged, f).is_ok(), "{}", same(&whole, &merged, f).unwrap_err());
        }
    }
}

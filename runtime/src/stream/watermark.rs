//! Event time on a stream: each `watermark COL delay D` step keeps the latest time it
//! has seen; the stream's watermark is the smallest of theirs less their delays, as of
//! the end of the batch before (Spark's rule for several watermarks: the slowest wins).
//! A row whose time is behind the watermark is late: it is dropped and counted.

use arrow::array::{Array, BooleanArray, RecordBatch, TimestampMicrosecondArray};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// No time seen yet.
pub const NONE: i64 = i64::MIN;

/// One `watermark` step's clock.
#[derive(Debug)]
pub struct WatermarkClock {
    pub delay: i64,
    /// The watermark rows are checked against in this batch ([`NONE`]: no watermark).
    pub current: AtomicI64,
    /// The latest event time seen, over all batches.
    pub max_seen: AtomicI64,
    /// Late rows dropped in this batch.
    pub late: AtomicU64,
    /// The late rows themselves, kept when a `late` relation reads them.
    pub keep_late: bool,
    kept: std::sync::Mutex<Vec<RecordBatch>>,
}

impl WatermarkClock {
    pub fn new(delay: i64) -> WatermarkClock {
        WatermarkClock {
            delay,
            current: AtomicI64::new(NONE),
            max_seen: AtomicI64::new(NONE),
            late: AtomicU64::new(0),
            keep_late: false,
            kept: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// A clock that keeps its late rows (for a `late` relation).
    pub fn keeping_late(delay: i64) -> WatermarkClock {
        WatermarkClock {
            keep_late: true,
            ..WatermarkClock::new(delay)
        }
    }

    /// Starts a batch: rows behind `watermark` are late; nothing is counted yet.
    pub fn start(&self, watermark: Option<i64>) {
        self.current
            .store(watermark.unwrap_or(NONE), Ordering::SeqCst);
        self.late.store(0, Ordering::SeqCst);
        if let Ok(mut kept) = self.kept.lock() {
            kept.clear();
        }
    }

    /// The late rows of this batch (when kept).
    pub fn late_rows(&self) -> Vec<RecordBatch> {
        self.kept.lock().map(|k| k.clone()).unwrap_or_default()
    }

    /// The watermark this clock gives once the batch is done.
    pub fn next(&self) -> Option<i64> {
        let max = self.max_seen.load(Ordering::SeqCst);
        (max != NONE).then(|| max.saturating_sub(self.delay))
    }

    /// Drops the late rows of a batch (their times behind the watermark) and notes the
    /// latest time of the others.
    pub fn apply(&self, batch: RecordBatch, column: usize) -> crate::error::RunResult<RecordBatch> {
        let times = batch
            .column(column)
            .as_any()
            .downcast_ref::<TimestampMicrosecondArray>()
            .ok_or_else(|| {
                crate::error::RunError::new("internal error: a watermark on a non-timestamp")
            })?;
        let current = self.current.load(Ordering::SeqCst);
        let mut late = 0u64;
        let mut max = NONE;
        let keep: BooleanArray = (0..times.len())
            .map(|i| {
                if times.is_null(i) {
                    return Some(true);
                }
                let t = times.value(i);
                if current != NONE && t < current {
                    late += 1;
                    return Some(false);
                }
                max = max.max(t);
                Some(true)
            })
            .collect();
        self.max_seen.fetch_max(max, Ordering::SeqCst);
        if late == 0 {
            return Ok(batch);
        }
        self.late.fetch_add(late, Ordering::SeqCst);
        if self.keep_late {
            let dropped = arrow::compute::not(&keep)?;
            let rows = arrow::compute::filter_record_batch(&batch, &dropped)?;
            if let Ok(mut kept) = self.kept.lock() {
                kept.push(rows);
            }
        }
        Ok(arrow::compute::filter_record_batch(&batch, &keep)?)
    }
}

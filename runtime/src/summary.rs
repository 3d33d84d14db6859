//! What a run reports at the end: rows per sink, bad rows per source, cache hits, time.

use std::time::Duration;

/// A byte count for people: B, KiB, MiB or GiB.
pub fn bytes(n: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", units[unit])
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SinkReport {
    pub description: String,
    pub rows: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceReport {
    pub name: String,
    pub rows: u64,
    pub bad_rows: u64,
    /// Bytes of the file read (for Parquet, of the column chunks read).
    pub bytes_read: u64,
    /// Bytes of CSV fields converted to values (0 for binary formats).
    pub bytes_converted: u64,
}

#[derive(Clone, Debug, Default)]
pub struct RunSummary {
    pub sinks: Vec<SinkReport>,
    pub sources: Vec<SourceReport>,
    /// Reads of a relation that was already computed.
    pub cache_hits: u64,
    pub wall_time: Duration,
    pub threads: usize,
    /// The physical plan with rows and time per node, when profiling.
    pub profile: Option<String>,
}

impl RunSummary {
    /// A small table for the terminal.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let width = self
            .sinks
            .iter()
            .map(|s| s.description.len())
            .chain(self.sources.iter().map(|s| s.name.len() + 7))
            .max()
            .unwrap_or(10)
            .max(10);
        for s in &self.sinks {
            out.push_str(&format!(
                "  {:<width$}  {:>10} rows written\n",
                s.description, s.rows
            ));
        }
        for s in &self.sources {
            out.push_str(&format!(
                "  {:<width$}  {:>10} rows read, {} bad, {} read{}\n",
                format!("source {}", s.name),
                s.rows,
                s.bad_rows,
                bytes(s.bytes_read),
                if s.bytes_converted > 0 {
                    format!(", {} of fields converted", bytes(s.bytes_converted))
                } else {
                    String::new()
                }
            ));
        }
        out.push_str(&format!(
            "  {} cache hit{}, {:.3} s on {} thread{}\n",
            self.cache_hits,
            if self.cache_hits == 1 { "" } else { "s" },
            self.wall_time.as_secs_f64(),
            self.threads,
            if self.threads == 1 { "" } else { "s" }
        ));
        out
    }
}

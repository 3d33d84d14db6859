//! What a run reports at the end: rows per sink, bad rows per source, the models
//! fitted (rows, training metrics, what int8 quantization saved and cost), cache hits,
//! time.

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

/// A model fitted during the run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ModelReport {
    pub name: String,
    pub estimator: String,
    pub rows: u64,
    /// Training metrics as the artifact holds them (with quantization's before/after).
    pub metrics: Vec<(String, f64)>,
    /// With `cross_validate`: the metric, the chosen candidate's mean score, how many
    /// candidates there were, and the chosen one as written (`logistic_regression(l2 = ...)`).
    pub cross_validation: Option<(String, f64, usize, String)>,
    /// The training report's warnings.
    pub warnings: Vec<String>,
}

impl ModelReport {
    fn line(&self) -> String {
        let get = |k: &str| self.metrics.iter().find(|m| m.0 == k).map(|m| m.1);
        let mut out = format!(
            "model {}: {} on {} rows",
            self.name, self.estimator, self.rows
        );
        let shown: Vec<String> = self
            .metrics
            .iter()
            .filter(|(k, _)| !k.contains("before_quantization") && !k.starts_with("weights_bytes"))
            .map(|(k, v)| format!("{k} {v:.4}"))
            .collect();
        if !shown.is_empty() {
            out.push_str(&format!(" (training {})", shown.join(", ")));
        }
        if let Some((metric, mean, candidates, chosen)) = &self.cross_validation {
            out.push_str(&format!(
                "; chosen {chosen} among {candidates} by cross-validated {metric} {mean:.4}"
            ));
        }
        if let (Some(f), Some(q)) = (get("weights_bytes_float64"), get("weights_bytes_int8")) {
            let changes: Vec<String> = self
                .metrics
                .iter()
                .filter_map(|(k, before)| {
                    let name = k.strip_suffix("_before_quantization")?;
                    let after = get(name)?;
                    Some(format!("{name} {before:.4} → {after:.4}"))
                })
                .collect();
            out.push_str(&format!(
                "; int8 weights {q} bytes instead of {f} ({})",
                changes.join(", ")
            ));
        }
        out
    }
}

#[derive(Clone, Debug, Default)]
pub struct RunSummary {
    pub sinks: Vec<SinkReport>,
    pub models: Vec<ModelReport>,
    pub sources: Vec<SourceReport>,
    /// Reads of a relation that was already computed.
    pub cache_hits: u64,
    pub wall_time: Duration,
    pub threads: usize,
    /// The physical plan with rows and time per node, when profiling.
    pub profile: Option<String>,
    /// Per operator that reserved memory: its peak and what it spilled to disk.
    pub memory: Vec<crate::memory::OperatorMemory>,
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
        for m in &self.models {
            out.push_str(&format!("  {}\n", m.line()));
            for w in &m.warnings {
                out.push_str(&format!("  warning: model {}: {w}\n", m.name));
            }
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
        for m in &self.memory {
            out.push_str(&format!(
                "  {:<width$}  peak {}{}\n",
                format!("operator {}", m.operator),
                bytes(m.peak_bytes),
                if m.spilled_bytes > 0 {
                    format!(", {} spilled to disk", bytes(m.spilled_bytes))
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

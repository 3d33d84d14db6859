//! The run's memory budget. Until operators spill to disk, the memory-hungry ones (sort,
//! distinct, group, join, repartition, top-k) check before and while they build that
//! the process stays inside the budget, and stop with an error that names the operator,
//! the budget and the fix, instead of dying when an allocation fails.
//!
//! The budget is `--memory-limit`, or by default 80 % of the machine's memory; under an
//! address-space limit (`ulimit -v`), the process's address space is also kept under
//! 80 % of that limit (thread stacks and mappings count there, not only data).
//! Usage is read from `/proc/self/statm` (Linux); elsewhere only the estimate is
//! checked.

use crate::error::{RunError, RunResult};

const PAGE: u64 = 4096;

/// The memory a run may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    /// Resident bytes (`u64::MAX`: none).
    pub limit: u64,
    /// Address-space bytes: 80 % of `ulimit -v` (`u64::MAX`: none).
    pub address_limit: u64,
}

impl Budget {
    /// The budget of a run: `explicit`, or 80 % of the machine's memory.
    pub fn for_run(explicit: Option<u64>) -> Budget {
        Budget {
            limit: explicit
                .or_else(|| machine_memory().map(|m| m / 10 * 8))
                .unwrap_or(u64::MAX),
            address_limit: address_space_limit().map_or(u64::MAX, |l| l / 10 * 8),
        }
    }

    /// Checks that `operator`, about to hold `extra` more bytes, stays inside the budget.
    pub fn check(&self, operator: &str, extra: u64) -> RunResult<()> {
        let (resident, address) = usage().unwrap_or((0, 0));
        if resident.saturating_add(extra) > self.limit {
            return Err(over(
                operator,
                resident,
                extra,
                self.limit,
                "--memory-limit",
            ));
        }
        if address.saturating_add(extra) > self.address_limit {
            return Err(over(
                operator,
                address,
                extra,
                self.address_limit,
                "the address-space limit (ulimit -v)",
            ));
        }
        Ok(())
    }
}

fn over(operator: &str, used: u64, extra: u64, limit: u64, what: &str) -> RunError {
    let mib = |b: u64| b / (1 << 20);
    let need = if extra == 0 {
        format!(
            "`{operator}` went over the memory budget: {} MiB in use",
            mib(used)
        )
    } else {
        format!(
            "`{operator}` needs about {} MiB more, with {} MiB in use: over the memory budget",
            mib(extra),
            mib(used)
        )
    };
    RunError::new(format!("{need}; the budget is {} MiB ({what})", mib(limit))).with_help(format!(
        "raise the budget (`--memory-limit 8GiB`), or give `{operator}` fewer rows or columns: filter and select before it; operators that spill to disk are planned"
    ))
}

/// Resident and address-space bytes of this process.
fn usage() -> Option<(u64, u64)> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let mut fields = statm.split_whitespace().map(|f| f.parse::<u64>().ok());
    let size = fields.next()??;
    let resident = fields.next()??;
    Some((resident * PAGE, size * PAGE))
}

fn machine_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn address_space_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max address space"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// The bytes a set of partitions holds.
pub fn size_of(data: &crate::partitions::Partitions) -> u64 {
    data.batches()
        .map(|b| b.get_array_memory_size() as u64)
        .sum()
}

/// A size such as `512MiB`, `8GiB`, `2G` or `1000000` (bytes).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size; write it as 512MiB or 8GiB"))?;
    let scale: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" | "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        other => {
            return Err(format!(
                "unknown size unit `{other}`; use KiB, MiB, GiB or TiB"
            ));
        }
    };
    Ok((number * scale) as u64)
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("8g"), Ok(8 << 30));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("lots").is_err());
    }
}

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
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

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

    /// The size of the operators' memory pool: the limit, and under an address-space
    /// limit no more than the address space this process has left.
    pub fn pool_size(&self) -> u64 {
        let address_left = match usage() {
            Some((_, address)) if self.address_limit != u64::MAX => {
                self.address_limit.saturating_sub(address)
            }
            _ => u64::MAX,
        };
        self.limit.min(address_left)
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
        address_fits(operator, address, extra, self.address_limit)
    }
}

/// An error when `address` bytes of address space and `extra` more pass `limit`.
fn address_fits(operator: &str, address: u64, extra: u64, limit: u64) -> RunResult<()> {
    if address.saturating_add(extra) > limit {
        return Err(over(
            operator,
            address,
            extra,
            limit,
            "the address-space limit (ulimit -v)",
        ));
    }
    Ok(())
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
        "raise the budget (`--memory-limit 8GiB`, or `ulimit -v`), or give `{operator}` fewer rows or columns: filter and select before it"
    ))
}

/// The memory the operators build in (sort buffers, hash tables, aggregation states):
/// each reserves what it holds, and a refused reservation makes it spill to disk. The
/// pool's size is the budget's limit; it records each operator's peak and spill.
pub struct MemoryPool {
    limit: u64,
    /// Past the pool (relations kept between operators, read buffers), the process's
    /// address space is still checked against `ulimit -v`.
    address_limit: u64,
    reserved: AtomicU64,
    peak: AtomicU64,
    /// Per operator: what its reservations hold now, and its record.
    operators: Mutex<Vec<(u64, OperatorMemory)>>,
}

/// What one operator (all its reservations together) held at most and spilled, for
/// the run summary.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OperatorMemory {
    pub operator: String,
    pub peak_bytes: u64,
    pub spilled_bytes: u64,
}

impl MemoryPool {
    /// The pool of a run with `budget`.
    pub fn new(budget: &Budget) -> MemoryPool {
        MemoryPool {
            limit: budget.pool_size(),
            address_limit: budget.address_limit,
            reserved: AtomicU64::new(0),
            peak: AtomicU64::new(0),
            operators: Mutex::new(Vec::new()),
        }
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Checks that the process's address space stays inside `ulimit -v` (with `extra`
    /// bytes more), so a run stops with an error naming `operator` instead of aborting
    /// when an allocation fails.
    pub fn check_address(&self, operator: &str, extra: u64) -> RunResult<()> {
        if self.address_limit == u64::MAX {
            return Ok(());
        }
        let (_, address) = usage().unwrap_or((0, 0));
        address_fits(operator, address, extra, self.address_limit)
    }

    /// Bytes reserved now.
    pub fn reserved(&self) -> u64 {
        self.reserved.load(Ordering::Relaxed)
    }

    /// The most the operators held at once.
    pub fn peak(&self) -> u64 {
        self.peak.load(Ordering::Relaxed)
    }

    /// An empty reservation for `operator`.
    pub fn reservation(&self, operator: &str) -> Reservation<'_> {
        Reservation {
            pool: self,
            operator: operator.to_string(),
            bytes: 0,
        }
    }

    /// Per operator, its peak and bytes spilled, in the order they started.
    pub fn operators(&self) -> Vec<OperatorMemory> {
        self.operators
            .lock()
            .map(|o| o.iter().map(|(_, m)| m.clone()).collect())
            .unwrap_or_default()
    }

    /// Records `operator` holding `grown` more (or `freed` less) and spilling `spilled`.
    fn record(&self, operator: &str, grown: u64, freed: u64, spilled: u64) {
        let Ok(mut all) = self.operators.lock() else {
            return;
        };
        let at = match all.iter().position(|(_, m)| m.operator == operator) {
            Some(i) => i,
            None => {
                all.push((
                    0,
                    OperatorMemory {
                        operator: operator.to_string(),
                        ..Default::default()
                    },
                ));
                all.len() - 1
            }
        };
        let (now, m) = &mut all[at];
        *now = (*now + grown).saturating_sub(freed);
        m.peak_bytes = m.peak_bytes.max(*now);
        m.spilled_bytes += spilled;
    }

    fn try_add(&self, bytes: u64) -> bool {
        let mut now = self.reserved.load(Ordering::Relaxed);
        loop {
            let next = now.saturating_add(bytes);
            if next > self.limit {
                return false;
            }
            match self.reserved.compare_exchange_weak(
                now,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => {
                    self.peak.fetch_max(next, Ordering::Relaxed);
                    return true;
                }
                Err(seen) => now = seen,
            }
        }
    }
}

/// Bytes an operator holds from the pool; given back when dropped.
pub struct Reservation<'p> {
    pool: &'p MemoryPool,
    operator: String,
    bytes: u64,
}

impl Reservation<'_> {
    /// Takes `bytes` more if the pool has them.
    pub fn try_grow(&mut self, bytes: u64) -> bool {
        if !self.pool.try_add(bytes) {
            return false;
        }
        self.bytes += bytes;
        self.pool.record(&self.operator, bytes, 0, 0);
        true
    }

    /// Takes `bytes` more whether or not the pool has them (what cannot be spilled,
    /// such as the one batch being worked on).
    pub fn grow(&mut self, bytes: u64) {
        let now = self.pool.reserved.fetch_add(bytes, Ordering::Relaxed) + bytes;
        self.pool.peak.fetch_max(now, Ordering::Relaxed);
        self.bytes += bytes;
        self.pool.record(&self.operator, bytes, 0, 0);
    }

    /// Gives back everything held (after spilling it).
    pub fn free(&mut self) {
        if self.bytes > 0 {
            self.pool.reserved.fetch_sub(self.bytes, Ordering::Relaxed);
            self.pool.record(&self.operator, 0, self.bytes, 0);
        }
        self.bytes = 0;
    }

    pub fn size(&self) -> u64 {
        self.bytes
    }

    /// Notes `bytes` written to spill files.
    pub fn spilled(&mut self, bytes: u64) {
        self.pool.record(&self.operator, 0, 0, bytes);
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        self.free();
    }
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

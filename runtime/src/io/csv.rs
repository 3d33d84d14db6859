//! The CSV/TSV reader: RFC 4180 quoting (delimiters, newlines and doubled quotes inside
//! quoted fields), CRLF, LF or CR-only line endings (see [`line_terminator`]), a UTF-8
//! byte-order mark skipped, configurable null markers, and a parse mode for bad rows.
//!
//! The file is cut into *morsels*: byte ranges of about [`MORSEL_BYTES`] that end on a
//! record boundary (found by one quick pass that tracks quote parity). Morsels do not
//! depend on the thread count, so row order and everything computed from it are the same
//! with `--threads 1` or `--threads 16`; rayon parses morsels in parallel.
//!
//! A row is *bad* when it has the wrong number of fields, or a field that does not parse
//! as its column's type (or is null in a non-nullable column). The mode decides:
//! `permissive` keeps the row with nulls there, `drop_malformed` drops it, `fail_fast`
//! stops with the file, line and column. Bad rows are counted either way, and kept (as
//! their raw text) for a `bad_rows` file.
//!
//! A scan converts only the columns of its *projection* (the optimizer's projection
//! pushdown): the other fields are split but never parsed. With a pushed-down *filter*
//! it converts the filter's columns first, evaluates the filter on them, and converts
//! the other projected fields only for the rows that pass. In `permissive` mode a field
//! that is never converted is never checked (so its problems are not counted); the
//! other modes check every field of every row, as they must to drop or fail the same
//! rows whatever the plan.

use super::parse_text::ColumnBuilder;
use crate::error::{DataLocation, RunError, RunResult};
use arrow::array::RecordBatch;
use sluice_compiler::plan::TypedExpr;
use sluice_stdlib::Schema;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// About how many bytes one morsel holds.
pub const MORSEL_BYTES: u64 = 4 * 1024 * 1024;

/// The largest morsel the reader accepts (one record can make a morsel this large).
const MAX_MORSEL_BYTES: u64 = 1 << 30;

/// What to do with a bad row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseMode {
    Permissive,
    DropMalformed,
    FailFast,
}

impl ParseMode {
    pub fn from_name(name: &str) -> Option<ParseMode> {
        Some(match name {
            "permissive" => ParseMode::Permissive,
            "drop_malformed" => ParseMode::DropMalformed,
            "fail_fast" => ParseMode::FailFast,
            _ => return None,
        })
    }
}

/// How to read one delimited text file.
#[derive(Clone, Debug)]
pub struct CsvScan {
    pub path: PathBuf,
    pub header: bool,
    /// The delimiter's first byte; `delimiter_tail` holds the rest of a longer one
    /// (`::`), and is empty for the usual one-byte delimiters.
    pub delimiter: u8,
    pub delimiter_tail: Vec<u8>,
    pub quote: Option<u8>,
    /// Lines starting with this byte are skipped.
    pub comment: Option<u8>,
    /// Lines skipped at the start of the file, before the header.
    pub skip_lines: u64,
    pub nulls: Vec<Vec<u8>>,
    pub mode: ParseMode,
    /// The file's columns, in order, with the types to convert them to.
    pub schema: Schema,
    /// The columns the scan outputs, as indices into `schema`, in file order.
    pub projection: Vec<usize>,
    /// Rows for which this is not true are dropped before the other fields are converted.
    pub filter: Option<TypedExpr>,
    /// The byte that ends a record: `\n` (LF and CRLF files) or `\r` (CR-only files).
    pub terminator: u8,
}

/// The UTF-8 byte-order mark some editors write at the start of a file.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The byte that ends a record in the file at `path`: `\n` when its first 64 KiB hold a
/// line feed (LF and CRLF files; a CR before the LF is dropped), else `\r` when they
/// hold a carriage return (classic Mac OS files), else `\n`. Inference (the `csv`
/// crate) accepts all three, so the reader must too.
pub fn line_terminator(path: &std::path::Path) -> RunResult<u8> {
    let mut head = Vec::with_capacity(1 << 16);
    std::fs::File::open(path)
        .and_then(|f| f.take(1 << 16).read_to_end(&mut head))
        .map_err(|e| RunError::new(format!("cannot read `{}`: {e}", path.display())))?;
    Ok(if memchr::memchr(b'\n', &head).is_some() {
        b'\n'
    } else if memchr::memchr(b'\r', &head).is_some() {
        b'\r'
    } else {
        b'\n'
    })
}

/// A byte range of the file that starts and ends on record boundaries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Morsel {
    pub start: u64,
    pub end: u64,
    /// The 1-based line number of the first byte.
    pub first_line: u64,
}

/// Counters a scan updates while it runs.
#[derive(Debug, Default)]
pub struct ScanStats {
    /// Rows read (before a pushed-down filter).
    pub rows: AtomicU64,
    pub bad_rows: AtomicU64,
    /// Bytes of the file read.
    pub bytes: AtomicU64,
    /// Bytes of fields converted to their column's type.
    pub converted_bytes: AtomicU64,
}

/// A bad row: where, and its raw text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadRow {
    pub line: u64,
    pub text: String,
    pub reason: String,
}

/// One parsed morsel.
#[derive(Debug)]
pub struct MorselOutput {
    pub batch: RecordBatch,
    pub bad_rows: Vec<BadRow>,
}

impl CsvScan {
    fn display(&self) -> String {
        self.path.display().to_string()
    }

    fn open(&self) -> RunResult<std::fs::File> {
        if let Some((message, help)) = sluice_stdlib::io::not_a_regular_file(&self.path) {
            return Err(RunError::new(message).with_help(help));
        }
        std::fs::File::open(&self.path).map_err(|e| {
            RunError::new(format!("cannot open `{}`: {e}", self.display()))
                .with_help("check the path; relative paths start from the working directory")
        })
    }

    /// Cuts the file into morsels of about `size` bytes.
    pub fn morsels(&self, size: u64) -> RunResult<Vec<Morsel>> {
        let mut file = self.open()?;
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let mut out = Vec::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut offset: u64 = 0;
        let mut start: u64 = 0;
        let mut start_line: u64 = 1;
        let mut line: u64 = 1;
        let mut in_quote = false;
        let mut target = size;
        // One quoting rule with the record splitter: a quote opens a field only at its
        // start, `""` inside one is a quote, and any other quote is a plain character.
        let mut data_start = 0u64;
        let mut last_close: Option<u64> = None;
        let mut previous: Option<u8> = None;
        // Skipped lines and comment lines hold no record, so their quotes do not count.
        let skipped = self.skipped_bytes()?;
        if skipped > 0 {
            start = skipped;
            data_start = skipped;
            start_line = 1 + self.skip_lines;
            line = start_line;
        }
        let mut in_comment = false;
        let mut line_start_pending = true;
        // A quote opens a field after the delimiter's last byte.
        let d = self
            .delimiter_tail
            .last()
            .copied()
            .unwrap_or(self.delimiter);
        loop {
            let n = file
                .read(&mut buf)
                .map_err(|e| RunError::new(format!("cannot read `{}`: {e}", self.display())))?;
            if n == 0 {
                break;
            }
            let block = &buf[..n];
            if offset == 0 && block.starts_with(BOM) && skipped == 0 {
                start = BOM.len() as u64; // a byte-order mark is not data
                data_start = start;
            }
            let t = self.terminator;
            let comment = self.comment;
            // Whether the line starting at block byte `i` is a comment.
            let comment_at = |i: usize| comment.is_some() && block.get(i).copied() == comment;
            if line_start_pending && offset + (n as u64) > data_start {
                let first = (data_start.saturating_sub(offset)) as usize;
                in_comment = comment_at(first);
                line_start_pending = false;
            }
            let mut visit = |i: usize, byte: u8| {
                let pos = offset + i as u64;
                if pos < data_start {
                    return;
                }
                if in_comment && byte != t {
                    return;
                }
                if Some(byte) == self.quote {
                    let before = if i > 0 { Some(block[i - 1]) } else { previous };
                    if in_quote {
                        in_quote = false;
                        last_close = Some(pos);
                    } else if last_close == Some(pos.wrapping_sub(1))
                        || pos == data_start
                        || before == Some(d)
                        || before == Some(t)
                    {
                        in_quote = true;
                    }
                } else {
                    line += 1;
                    let next = pos + 1;
                    if !in_quote && comment.is_some() {
                        in_comment = comment_at(i + 1);
                        line_start_pending = i + 1 == block.len();
                    }
                    if !in_quote && next >= target {
                        out.push(Morsel {
                            start,
                            end: next,
                            first_line: start_line,
                        });
                        start = next;
                        start_line = line;
                        target = next + size;
                    }
                }
            };
            match self.quote {
                Some(q) => memchr::memchr2_iter(q, t, block).for_each(|i| visit(i, block[i])),
                None => memchr::memchr_iter(t, block).for_each(|i| visit(i, t)),
            }
            previous = block.last().copied();
            offset += n as u64;
        }
        if start < len || out.is_empty() {
            out.push(Morsel {
                start,
                end: len,
                first_line: start_line,
            });
        }
        Ok(out)
    }

    /// The bytes of the first `skip_lines` lines (with a byte-order mark before them).
    fn skipped_bytes(&self) -> RunResult<u64> {
        if self.skip_lines == 0 {
            return Ok(0);
        }
        let file = self.open()?;
        let mut reader = std::io::BufReader::new(file);
        let mut skipped = 0u64;
        let mut line = Vec::new();
        for _ in 0..self.skip_lines {
            line.clear();
            let n = std::io::BufRead::read_until(&mut reader, self.terminator, &mut line)
                .map_err(|e| RunError::new(format!("cannot read `{}`: {e}", self.display())))?;
            if n == 0 {
                break;
            }
            skipped += n as u64;
        }
        Ok(skipped)
    }

    /// Parses one morsel into a batch of the scan's schema.
    pub fn read(&self, morsel: &Morsel, stats: &ScanStats) -> RunResult<MorselOutput> {
        // A morsel only grows past its size to finish a record; past 1 GiB the record
        // could not be held in a string column (32-bit offsets).
        if morsel.end - morsel.start > MAX_MORSEL_BYTES {
            return Err(RunError::new("a record is longer than 1 GiB")
                .at(DataLocation { file: self.display(), line: morsel.first_line, column: None })
                .with_help("check the delimiter and quote options: an unclosed quote makes the rest of the file one field"));
        }
        let mut file = self.open()?;
        let mut buf = vec![0u8; (morsel.end - morsel.start) as usize];
        file.seek(SeekFrom::Start(morsel.start))
            .and_then(|_| file.read_exact(&mut buf))
            .map_err(|e| RunError::new(format!("cannot read `{}`: {e}", self.display())))?;
        stats.bytes.fetch_add(buf.len() as u64, Ordering::Relaxed);
        let columns = self.schema.len();
        let estimate = buf.len() / 64 + 1;
        // Early columns are converted as records are split: the filter's when there is
        // one, else every projected column. Late ones wait for the filter's verdict.
        let early: Vec<usize> = match &self.filter {
            Some(f) => {
                let mut names = Vec::new();
                f.columns(&mut names);
                (0..columns)
                    .filter(|i| names.contains(&self.schema.fields[*i].name))
                    .collect()
            }
            None => self.projection.clone(),
        };
        let late: Vec<usize> = self
            .projection
            .iter()
            .copied()
            .filter(|i| !early.contains(i))
            .collect();
        let mut early_builders: Vec<ColumnBuilder> = early
            .iter()
            .map(|&i| ColumnBuilder::new(&self.schema.fields[i].data_type, estimate))
            .collect();
        let mut late_fields: Vec<Field> = Vec::new();
        // Per row, for the late pass: its line, its bytes, and whether it was found bad.
        let mut records: Vec<(u64, usize, usize, bool)> = Vec::new();
        let mut bad_rows = Vec::new();
        let mut fields: Vec<Field> = Vec::with_capacity(columns);
        let mut scratch = Vec::new();
        let mut pos = 0usize;
        let mut line = morsel.first_line;
        let mut rows = 0u64;
        let mut converted = 0u64;
        // Only the first morsel starts on line 1 (the others start after a terminator).
        let mut skip_header = self.header && morsel.first_line == 1 + self.skip_lines;
        // A morsel without a quote character takes the simpler splitter.
        let mut plain = match self.quote {
            Some(q) if memchr::memchr(q, &buf).is_some() => None,
            _ => Some(PlainSplitter::new(
                self.delimiter,
                &self.delimiter_tail,
                self.terminator,
            )),
        };
        while pos < buf.len() {
            let record_line = line;
            let record_start = pos;
            if self.comment.is_some() && buf.get(pos).copied() == self.comment {
                pos =
                    memchr::memchr(self.terminator, &buf[pos..]).map_or(buf.len(), |k| pos + k + 1);
                line += 1;
                continue;
            }
            let (next, newlines) = self.split_record(&buf, pos, &mut fields, &mut plain);
            pos = next;
            line += newlines;
            if skip_header {
                skip_header = false;
                continue;
            }
            // A blank line is no row, except in a one-column file, where it is an empty
            // field (null), as Polars and DuckDB read it.
            if columns > 1
                && fields.len() == 1
                && fields[0].end == fields[0].start
                && !fields[0].quoted
            {
                continue;
            }
            let raw_text = || raw(&buf, record_start, pos);
            // Check the row first so a bad one can be dropped before anything is appended.
            // The problem, and the byte of the morsel where it is.
            let mut problem: Option<(usize, String)> = None;
            if fields.len() != columns {
                let at = match fields.get(columns) {
                    Some(extra) => extra.opening(),
                    None => fields.last().map_or(record_start, |f| f.end),
                };
                problem = Some((
                    at,
                    format!("expected {columns} fields, found {}", fields.len()),
                ));
            }
            if self.mode != ParseMode::Permissive && problem.is_none() {
                problem = self.check_fields(&buf, &fields, &mut scratch);
            }
            if let Some((at, reason)) = &problem {
                stats.bad_rows.fetch_add(1, Ordering::Relaxed);
                match self.mode {
                    ParseMode::FailFast => {
                        let (line, column) =
                            line_and_column(&buf, record_start, record_line, *at, self.terminator);
                        return Err(RunError::new(format!("bad row: {reason}"))
                            .at(DataLocation { file: self.display(), line, column: Some(column) })
                            .with_help("fix the row, or read the file with mode = \"permissive\" (bad fields become null) or \"drop_malformed\" (bad rows are dropped)"));
                    }
                    ParseMode::DropMalformed => {
                        bad_rows.push(BadRow {
                            line: record_line,
                            text: raw_text(),
                            reason: reason.clone(),
                        });
                        continue;
                    }
                    ParseMode::Permissive => {}
                }
            }
            // Counted once, whichever check finds it.
            let counted = problem.is_some();
            let mut reason = problem.map(|(_, r)| r);
            for (builder, &i) in early_builders.iter_mut().zip(&early) {
                converted +=
                    self.convert(&buf, fields.get(i), i, builder, &mut scratch, &mut reason);
            }
            if !late.is_empty() {
                late_fields.extend(
                    late.iter()
                        .map(|&i| fields.get(i).copied().unwrap_or(Field::MISSING)),
                );
            }
            let bad = reason.is_some();
            if let Some(reason) = reason {
                if !counted {
                    stats.bad_rows.fetch_add(1, Ordering::Relaxed);
                }
                bad_rows.push(BadRow {
                    line: record_line,
                    text: raw_text(),
                    reason,
                });
            }
            if !late.is_empty() {
                records.push((record_line, record_start, pos, bad));
            }
            rows += 1;
        }
        stats.rows.fetch_add(rows, Ordering::Relaxed);
        let early_arrays: Vec<arrow::array::ArrayRef> = early_builders
            .iter_mut()
            .map(ColumnBuilder::finish)
            .collect();
        let keep = match &self.filter {
            Some(filter) => Some(self.evaluate_filter(filter, &early, &early_arrays, rows)?),
            None => None,
        };
        // The late pass: the other projected fields of the rows the filter kept.
        let mut late_builders: Vec<ColumnBuilder> = late
            .iter()
            .map(|&i| ColumnBuilder::new(&self.schema.fields[i].data_type, estimate))
            .collect();
        for (row, &(record_line, start, end, already_bad)) in records.iter().enumerate() {
            if keep.as_ref().is_some_and(|k| !k.value(row)) {
                continue;
            }
            let mut reason = None;
            for (j, (builder, &i)) in late_builders.iter_mut().zip(&late).enumerate() {
                let f = late_fields[row * late.len() + j];
                let f = (!f.is_missing()).then_some(f);
                converted += self.convert(&buf, f.as_ref(), i, builder, &mut scratch, &mut reason);
            }
            if let (Some(reason), false) = (reason, already_bad) {
                stats.bad_rows.fetch_add(1, Ordering::Relaxed);
                bad_rows.push(BadRow {
                    line: record_line,
                    text: raw(&buf, start, end),
                    reason,
                });
            }
        }
        stats
            .converted_bytes
            .fetch_add(converted, Ordering::Relaxed);
        let mut late_arrays = late_builders.iter_mut().map(ColumnBuilder::finish);
        let mut arrays = Vec::with_capacity(self.projection.len());
        for i in &self.projection {
            match early.iter().position(|e| e == i) {
                Some(k) => arrays.push(match &keep {
                    Some(mask) => arrow::compute::filter(&early_arrays[k], mask)?,
                    None => early_arrays[k].clone(),
                }),
                None => arrays.push(
                    late_arrays
                        .next()
                        .ok_or_else(|| RunError::new("internal error: a late column is missing"))?,
                ),
            }
        }
        let fields = self
            .projection
            .iter()
            .map(|&i| self.schema.fields[i].clone())
            .collect();
        let schema = Arc::new(crate::arrow_schema(&Schema::new(fields)));
        let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(
            keep.as_ref().map_or(rows as usize, |k| k.true_count()),
        ));
        let batch = RecordBatch::try_new_with_options(schema, arrays, &options)?;
        Ok(MorselOutput { batch, bad_rows })
    }

    /// Converts one field into `builder` (null for a missing field, a null marker or text
    /// that does not parse, noting the first problem in `reason`); returns the bytes
    /// converted.
    fn convert(
        &self,
        buf: &[u8],
        field: Option<&Field>,
        i: usize,
        builder: &mut ColumnBuilder,
        scratch: &mut Vec<u8>,
        reason: &mut Option<String>,
    ) -> u64 {
        let Some(f) = field else {
            builder.append_null();
            return 0;
        };
        if let Some(flaw) = f.flaw.describe() {
            builder.append_null();
            reason.get_or_insert_with(|| format!("`{}` has {flaw}", self.schema.fields[i].name));
            return 0;
        }
        let text = f.text(buf, scratch);
        if self.nulls.iter().any(|n| n.as_slice() == text) {
            builder.append_null();
            if !self.schema.fields[i].nullable {
                reason.get_or_insert_with(|| {
                    format!("`{}` is empty but not nullable", self.schema.fields[i].name)
                });
            }
        } else if !builder.append_text(text) {
            builder.append_null();
            reason.get_or_insert_with(|| self.describe_bad(i, text));
        }
        text.len() as u64
    }

    /// Which rows of a morsel pass the pushed-down filter (null counts as false).
    fn evaluate_filter(
        &self,
        filter: &TypedExpr,
        columns: &[usize],
        arrays: &[arrow::array::ArrayRef],
        rows: u64,
    ) -> RunResult<arrow::array::BooleanArray> {
        let fields: Vec<_> = columns
            .iter()
            .map(|&i| self.schema.fields[i].clone())
            .collect();
        let schema = Arc::new(crate::arrow_schema(&Schema::new(fields)));
        let options = arrow::array::RecordBatchOptions::new().with_row_count(Some(rows as usize));
        let batch = RecordBatch::try_new_with_options(schema, arrays.to_vec(), &options)?;
        let result = crate::expr::evaluate(filter, &batch)?;
        let mask = result
            .as_any()
            .downcast_ref::<arrow::array::BooleanArray>()
            .ok_or_else(|| RunError::new("internal error: a filter is not bool"))?;
        Ok(match arrow::array::Array::nulls(mask) {
            Some(_) => mask.iter().map(|v| Some(v == Some(true))).collect(),
            None => mask.clone(),
        })
    }

    fn describe_bad(&self, i: usize, text: &[u8]) -> String {
        let f = &self.schema.fields[i];
        if let Err(e) = std::str::from_utf8(text) {
            return format!(
                "`{}` is not valid UTF-8 (at byte {} of the field)",
                f.name,
                e.valid_up_to() + 1
            );
        }
        format!(
            "`{}` = {:?} is not a valid {}",
            f.name,
            String::from_utf8_lossy(text),
            f.data_type
        )
    }

    /// The first field that would not convert, as (the byte where it starts, reason).
    fn check_fields(
        &self,
        buf: &[u8],
        fields: &[Field],
        scratch: &mut Vec<u8>,
    ) -> Option<(usize, String)> {
        for (i, f) in fields.iter().enumerate() {
            let field = &self.schema.fields[i];
            if let Some(flaw) = f.flaw.describe() {
                return Some((f.opening(), format!("`{}` has {flaw}", field.name)));
            }
            let text = f.text(buf, scratch);
            if self.nulls.iter().any(|n| n.as_slice() == text) {
                if !field.nullable {
                    return Some((
                        f.opening(),
                        format!("`{}` is empty but not nullable", field.name),
                    ));
                }
                continue;
            }
            let mut probe = ColumnBuilder::new(&field.data_type, 1);
            if !probe.append_text(text) {
                return Some((f.opening(), self.describe_bad(i, text)));
            }
        }
        None
    }

    /// Splits the record starting at `pos` into fields; returns where the next record
    /// starts and how many newlines the record spans.
    fn split_record(
        &self,
        buf: &[u8],
        pos: usize,
        fields: &mut Vec<Field>,
        plain: &mut Option<PlainSplitter>,
    ) -> (usize, u64) {
        match plain {
            Some(p) => p.next_record(buf, pos, fields),
            None => self.split_quoted_record(buf, pos, fields),
        }
    }

    fn split_quoted_record(
        &self,
        buf: &[u8],
        mut pos: usize,
        fields: &mut Vec<Field>,
    ) -> (usize, u64) {
        fields.clear();
        let mut newlines = 0u64;
        let d = self.delimiter;
        let t = self.terminator;
        loop {
            if let Some(q) = self.quote
                && buf.get(pos) == Some(&q)
            {
                let start = pos + 1;
                let mut i = start;
                let mut escaped = false;
                let mut flaw = Flaw::None;
                let end;
                loop {
                    match memchr::memchr(q, &buf[i..]) {
                        Some(k) if buf.get(i + k + 1) == Some(&q) => {
                            escaped = true;
                            i += k + 2;
                        }
                        Some(k) => {
                            end = i + k;
                            break;
                        }
                        None => {
                            end = buf.len();
                            flaw = Flaw::Unclosed;
                            break;
                        }
                    }
                }
                newlines += memchr::memchr_iter(t, &buf[start..end]).count() as u64;
                pos = (end + 1).min(buf.len());
                // What follows the closing quote up to the field's end: nothing, or a CR
                // before the line feed; anything else makes the row bad.
                let rest = self.field_end(buf, pos);
                let after = &buf[pos..rest];
                if flaw == Flaw::None && !after.is_empty() && after != b"\r" {
                    flaw = Flaw::TextAfterQuote;
                }
                fields.push(Field {
                    start,
                    end,
                    quoted: true,
                    escaped,
                    quote: q,
                    flaw,
                });
                pos = rest;
            } else {
                let end = self.field_end(buf, pos);
                fields.push(Field::plain(
                    buf,
                    pos,
                    end,
                    end == buf.len() || buf[end] == t,
                ));
                pos = end;
            }
            match buf.get(pos) {
                Some(&c) if c == d => pos += 1 + self.delimiter_tail.len(),
                Some(&c) if c == t => return (pos + 1, newlines + 1),
                _ => return (buf.len(), newlines + 1),
            }
        }
    }

    /// Where an unquoted field starting at `pos` ends: at the next delimiter (all of its
    /// bytes) or terminator.
    fn field_end(&self, buf: &[u8], mut pos: usize) -> usize {
        let (d, t) = (self.delimiter, self.terminator);
        loop {
            match memchr::memchr2(d, t, &buf[pos..]) {
                None => return buf.len(),
                Some(k) => {
                    let at = pos + k;
                    if buf[at] == t || buf[at + 1..].starts_with(&self.delimiter_tail) {
                        return at;
                    }
                    pos = at + 1;
                }
            }
        }
    }
}

/// Splits records of a morsel that holds no quote character. Delimiters come every few
/// bytes, so a plain byte loop beats a SIMD search that would stop at each of them.
struct PlainSplitter<'t> {
    delimiter: u8,
    /// The bytes after the first of a longer delimiter (empty for one byte).
    tail: &'t [u8],
    terminator: u8,
}

impl<'t> PlainSplitter<'t> {
    fn new(delimiter: u8, tail: &'t [u8], terminator: u8) -> PlainSplitter<'t> {
        PlainSplitter {
            delimiter,
            tail,
            terminator,
        }
    }

    fn next_record(&mut self, buf: &[u8], mut pos: usize, fields: &mut Vec<Field>) -> (usize, u64) {
        fields.clear();
        let d = self.delimiter;
        let mut start = pos;
        while pos < buf.len() {
            let b = buf[pos];
            if b == d && (self.tail.is_empty() || buf[pos + 1..].starts_with(self.tail)) {
                fields.push(Field::plain(buf, start, pos, false));
                pos += self.tail.len();
                start = pos + 1;
            } else if b == self.terminator {
                fields.push(Field::plain(buf, start, pos, true));
                return (pos + 1, 1);
            }
            pos += 1;
        }
        fields.push(Field::plain(buf, start, buf.len(), true));
        (buf.len(), 1)
    }
}

/// The 1-based line and character column of byte `at` of a record that starts at byte
/// `record_start` on line `record_line` (a quoted field can move it to a later line).
fn line_and_column(
    buf: &[u8],
    record_start: usize,
    record_line: u64,
    at: usize,
    terminator: u8,
) -> (u64, u64) {
    let at = at.clamp(record_start, buf.len());
    let before = &buf[record_start..at];
    let line_start = memchr::memrchr(terminator, before).map_or(0, |i| i + 1);
    let line = record_line + memchr::memchr_iter(terminator, before).count() as u64;
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count() as u64
        + 1;
    (line, column)
}

/// A record's raw text, without its line ending.
fn raw(buf: &[u8], start: usize, end: usize) -> String {
    String::from_utf8_lossy(&buf[start..end])
        .trim_end_matches(['\n', '\r'])
        .to_string()
}

/// One field of a record, as a byte range of the morsel.
#[derive(Clone, Copy, Debug)]
struct Field {
    start: usize,
    end: usize,
    quoted: bool,
    escaped: bool,
    quote: u8,
    flaw: Flaw,
}

/// What is wrong with a quoted field's syntax, making its row bad in every mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flaw {
    None,
    /// `"abc"def`: text between the closing quote and the next delimiter.
    TextAfterQuote,
    /// A quote opened and never closed before the end of the file.
    Unclosed,
}

impl Flaw {
    fn describe(self) -> Option<&'static str> {
        match self {
            Flaw::None => None,
            Flaw::TextAfterQuote => Some("text after a closing quote"),
            Flaw::Unclosed => Some("a quote that is never closed"),
        }
    }
}

impl Field {
    /// Stands for a field a short row does not have.
    const MISSING: Field = Field {
        start: usize::MAX,
        end: usize::MAX,
        quoted: false,
        escaped: false,
        quote: 0,
        flaw: Flaw::None,
    };

    fn is_missing(&self) -> bool {
        self.start == usize::MAX
    }

    /// Where the field begins in the morsel: its opening quote when quoted.
    fn opening(&self) -> usize {
        if self.quoted {
            self.start.saturating_sub(1)
        } else {
            self.start
        }
    }

    /// An unquoted field `buf[start..end]`; a field that ends its line drops a CR before
    /// the line feed (CRLF files).
    fn plain(buf: &[u8], start: usize, end: usize, ends_line: bool) -> Field {
        let end = if ends_line && end > start && buf[end - 1] == b'\r' {
            end - 1
        } else {
            end
        };
        Field {
            start,
            end,
            quoted: false,
            escaped: false,
            quote: 0,
            flaw: Flaw::None,
        }
    }

    /// The field's text, with doubled quotes undone.
    fn text<'a>(&self, buf: &'a [u8], scratch: &'a mut Vec<u8>) -> &'a [u8] {
        let raw = &buf[self.start..self.end];
        if !self.escaped {
            return raw;
        }
        scratch.clear();
        let mut i = 0;
        while i < raw.len() {
            scratch.push(raw[i]);
            i += if raw[i] == self.quote && raw.get(i + 1) == Some(&self.quote) {
                2
            } else {
                1
            };
        }
        scratch
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::Int64Type;
    use sluice_stdlib::{DataType, Field as SField};

    fn scan(
        text: &str,
        schema: Vec<SField>,
        mode: ParseMode,
    ) -> (CsvScan, tempfile::NamedTempFile) {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        let s = CsvScan {
            path: file.path().to_path_buf(),
            header: true,
            delimiter: b',',
            delimiter_tail: Vec::new(),
            quote: Some(b'"'),
            comment: None,
            skip_lines: 0,
            nulls: vec![b"".to_vec(), b"NA".to_vec()],
            mode,
            projection: (0..schema.len()).collect(),
            schema: Schema::new(schema),
            filter: None,
            terminator: line_terminator(file.path()).unwrap(),
        };
        (s, file)
    }

    fn read_all(s: &CsvScan, size: u64) -> RunResult<(Vec<RecordBatch>, u64)> {
        let stats = ScanStats::default();
        let mut out = Vec::new();
        for m in s.morsels(size)? {
            out.push(s.read(&m, &stats)?.batch);
        }
        Ok((out, stats.bad_rows.load(Ordering::Relaxed)))
    }

    fn schema() -> Vec<SField> {
        vec![
            SField::new("id", DataType::Int64, false),
            SField::new("text", DataType::String, true),
            SField::new("x", DataType::Float64, true),
        ]
    }

    #[test]
    fn quotes_crlf_and_nulls() {
        let (s, _f) = scan(
            "id,text,x\r\n1,\"a,\"\"b\"\"\nc\",1.5\r\n2,,NA\r\n",
            schema(),
            ParseMode::FailFast,
        );
        let (batches, bad) = read_all(&s, MORSEL_BYTES).unwrap();
        assert_eq!(bad, 0);
        let b = &batches[0];
        assert_eq!(b.num_rows(), 2);
        assert_eq!(b.column(1).as_string::<i32>().value(0), "a,\"b\"\nc");
        assert!(b.column(1).is_null(1) && b.column(2).is_null(1));
    }

    #[test]
    fn morsels_split_on_record_boundaries_only() {
        let mut text = String::from("id,text,x\n");
        for i in 0..500 {
            text.push_str(&format!("{i},\"multi\nline {i}\",{i}.5\n"));
        }
        let (s, _f) = scan(&text, schema(), ParseMode::FailFast);
        let morsels = s.morsels(64).unwrap();
        assert!(morsels.len() > 100);
        let (batches, _) = read_all(&s, 64).unwrap();
        let ids: Vec<i64> = batches
            .iter()
            .flat_map(|b| b.column(0).as_primitive::<Int64Type>().values().to_vec())
            .collect();
        assert_eq!(ids, (0..500).collect::<Vec<_>>());
        // Every record spans two lines after the one-line header.
        assert!(
            morsels
                .iter()
                .skip(1)
                .all(|m| m.first_line % 2 == 0 && m.first_line > 2)
        );
    }

    #[test]
    fn bad_rows_follow_the_mode() {
        let text = "id,text,x\n1,a,1.0\n2,b,oops\n3,c\n4,d,4.0\n";
        let (s, _f) = scan(text, schema(), ParseMode::Permissive);
        let (b, bad) = read_all(&s, MORSEL_BYTES).unwrap();
        assert_eq!((b[0].num_rows(), bad), (4, 2));
        assert!(b[0].column(2).is_null(1));

        let (s, _f) = scan(text, schema(), ParseMode::DropMalformed);
        let (b, bad) = read_all(&s, MORSEL_BYTES).unwrap();
        assert_eq!((b[0].num_rows(), bad), (2, 2));

        let (s, _f) = scan(text, schema(), ParseMode::FailFast);
        let err = read_all(&s, MORSEL_BYTES).unwrap_err();
        let at = err.location.unwrap();
        assert_eq!((at.line, at.column), (3, Some(5))); // `oops` starts at character 5
        assert!(
            err.message.contains("\"oops\" is not a valid float64"),
            "{}",
            err.message
        );
    }
}

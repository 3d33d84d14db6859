//! A pipeline file's text and name, byte offset ↔ line/column conversion, and the
//! windowed view of it that rich diagnostics render from.
//!
//! Lines end at `\n`, `\r\n` or a lone `\r` (old Mac files), as LSP and most editors count
//! them. Rendering a diagnostic reads only the lines around its labels, found through the
//! line index, so reporting many diagnostics of a large file stays linear.

use crate::syntax::ast::Span;

/// One source file as the compiler sees it.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The path as the user gave it; diagnostics print it.
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
    /// The text with each lone `\r` as `\n` (same offsets), for the renderer, which only
    /// knows `\n`; `None` when the file has no lone `\r`.
    rendered: Option<String>,
}

/// Which front end reads a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    Dsl,
    Yaml,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceFile {
        let text = text.into();
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        let mut lone_cr = false;
        for (i, &b) in bytes.iter().enumerate() {
            match b {
                b'\n' => line_starts.push(i + 1),
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => {
                    lone_cr = true;
                    line_starts.push(i + 1);
                }
                _ => {}
            }
        }
        let rendered = lone_cr.then(|| {
            let mut fixed = text.clone().into_bytes();
            for i in 0..fixed.len() {
                if fixed[i] == b'\r' && fixed.get(i + 1) != Some(&b'\n') {
                    fixed[i] = b'\n';
                }
            }
            String::from_utf8(fixed).unwrap_or_default()
        });
        SourceFile {
            name: name.into(),
            text,
            line_starts,
            rendered,
        }
    }

    /// Reads a file from disk.
    /// Reads a pipeline file: a regular file of at most
    /// [`MAX_SOURCE_BYTES`](crate::limits::MAX_SOURCE_BYTES) bytes (one byte more is
    /// read, so the parser reports the limit; a FIFO or device is refused).
    pub fn read(path: &std::path::Path) -> std::io::Result<SourceFile> {
        use std::io::Read;
        let meta = std::fs::metadata(path)?;
        if !meta.is_file() {
            return Err(std::io::Error::other(
                "not a regular file (a folder, FIFO or device)",
            ));
        }
        let mut text = String::new();
        std::fs::File::open(path)?
            .take(crate::limits::MAX_SOURCE_BYTES as u64 + 1)
            .read_to_string(&mut text)?;
        Ok(SourceFile::new(path.display().to_string(), text))
    }

    /// The front end for this file, by its extension (`.yaml`/`.yml` are YAML).
    pub fn syntax(&self) -> Syntax {
        let lower = self.name.to_ascii_lowercase();
        if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            Syntax::Yaml
        } else {
            Syntax::Dsl
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let col = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line + 1, col + 1)
    }

    /// The byte offset of a 1-based line and column (in characters).
    pub fn offset(&self, line: usize, col: usize) -> usize {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        let rest = &self.text[start..];
        rest.char_indices()
            .nth(col.saturating_sub(1))
            .map_or(self.text.len(), |(i, _)| start + i)
    }

    /// The text of a span.
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.start..span.end).unwrap_or("")
    }
}

/// Rich diagnostics read the lines around a span through the line index: the window of
/// lines is cut first, and only it is scanned.
impl miette::SourceCode for SourceFile {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let text = self.rendered.as_deref().unwrap_or(&self.text);
        let start = span.offset().min(text.len());
        let end = (span.offset() + span.len()).min(text.len());
        let line_of = |offset: usize| self.line_starts.partition_point(|&s| s <= offset) - 1;
        let first = line_of(start).saturating_sub(context_lines_before);
        let last = (line_of(end.saturating_sub(1).max(start)) + context_lines_after)
            .min(self.line_starts.len() - 1);
        let window_start = self.line_starts[first];
        let window_end = self
            .line_starts
            .get(last + 1)
            .copied()
            .unwrap_or(text.len());
        let window = &text[window_start..window_end];
        let inner = miette::SourceCode::read_span(
            window,
            &miette::SourceSpan::new((start - window_start).into(), end - start),
            context_lines_before,
            context_lines_after,
        )?;
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            miette::SourceSpan::new(
                (inner.span().offset() + window_start).into(),
                inner.span().len(),
            ),
            inner.line() + first,
            inner.column(),
            inner.line_count(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_positions_agree() {
        let f = SourceFile::new("a.sluice", "ab\ncdé\nf");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        assert_eq!(f.line_col(7), (2, 4));
        assert_eq!(f.offset(2, 4), 7);
        assert_eq!(f.line_col(f.offset(3, 1)), (3, 1));
    }

    #[test]
    fn every_line_ending_starts_a_line() {
        let f = SourceFile::new("a.sluice", "a\rbc\r\nd\ne");
        assert_eq!(f.line_col(2), (2, 1));
        assert_eq!(f.line_col(6), (3, 1));
        assert_eq!(f.line_col(8), (4, 1));
    }
}

//! Diagnostics: what the compiler says about a pipeline file.
//!
//! Each [`Diagnostic`] has a stable [`Code`], a message, a primary labelled span, maybe
//! more labels and a help line. The compiler collects all of a file's diagnostics and
//! returns them together; only the CLI (and the language server) turn them into
//! reports, through [`render`], so the terminal and the editor say the same thing.

use crate::source::SourceFile;
use crate::syntax::ast::Span;
use serde::Serialize;
use std::fmt;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Warning,
    Error,
}

macro_rules! codes {
    ($($variant:ident = $code:literal : $title:literal,)*) => {
        /// A diagnostic's stable code. Codes are never reused for another meaning;
        /// `docs/diagnostics.md` explains each.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
        pub enum Code { $($variant,)* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];
            /// `E0200`
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code,)* }
            }
            /// A short name of the problem.
            pub fn title(self) -> &'static str {
                match self { $(Code::$variant => $title,)* }
            }
        }
    };
}

codes! {
    SyntaxError = "E0100": "syntax error",
    UnknownOperator = "E0101": "unknown operator",
    InvalidLiteral = "E0102": "invalid literal",
    UnknownType = "E0103": "unknown type",
    UnknownDeclaration = "E0104": "unknown declaration",
    LimitExceeded = "E0105": "pipeline exceeds a limit",
    YamlSyntax = "E0110": "invalid YAML",
    YamlUnknownKey = "E0111": "unknown YAML key",
    YamlShape = "E0112": "unexpected YAML shape",
    UnknownColumn = "E0200": "unknown column",
    UnknownRelation = "E0201": "unknown relation",
    UnknownFunction = "E0202": "unknown function",
    DuplicateName = "E0203": "duplicate name",
    DuplicateColumn = "E0204": "duplicate column",
    UnknownParam = "E0205": "unknown param",
    UnknownOption = "E0206": "unknown option",
    UnknownFormat = "E0207": "unknown format",
    InvalidHint = "E0208": "invalid hint",
    UnknownArgument = "E0209": "unknown argument",
    UsedBeforeDeclared = "E0210": "relation used before it is declared",
    TypeMismatch = "E0300": "type mismatch",
    ArgumentType = "E0301": "wrong argument type",
    ArgumentCount = "E0302": "wrong number of arguments",
    NotBoolean = "E0303": "condition is not a bool",
    AggregateMisuse = "E0304": "aggregate used in the wrong place",
    NotConstant = "E0305": "value must be a constant",
    InvalidConstant = "E0306": "invalid constant",
    InvalidParamValue = "E0307": "invalid param value",
    InvalidSplit = "E0308": "invalid split",
    JoinKeyType = "E0309": "join keys of different types",
    UnionMismatch = "E0310": "union of different schemas",
    InvalidCast = "E0311": "invalid cast",
    NotAList = "E0312": "column is not a list",
    InvalidModel = "E0313": "invalid model",
    ModelMismatch = "E0314": "model does not fit the relation",
    UnwritableColumn = "E0315": "the sink cannot write this column's type",
    PathClash = "E0316": "files of the run clash",
    InvalidJoin = "E0317": "invalid join",
    StreamUnsupported = "E0318": "not possible on a stream",
    InvalidWatermark = "E0319": "invalid watermark",
    InvalidOutputMode = "E0320": "output mode cannot hold",
    InvalidStream = "E0321": "invalid stream source",
    SourceUnreadable = "E0400": "cannot infer the source's schema",
    SchemaMismatch = "E0401": "declared schema does not match the file",
    ModelUnreadable = "E0402": "cannot read the model",
    MissingParam = "E0500": "param has no value",
    UnusedRelation = "W0001": "unused relation",
    ColumnShadowsParam = "W0002": "column shadows a param",
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A labelled span.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

/// One thing the compiler says about a file.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub primary: Label,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(
        code: Code,
        message: impl Into<String>,
        span: Span,
        label: impl Into<String>,
    ) -> Self {
        Diagnostic {
            code,
            severity: if code.as_str().starts_with('W') {
                Severity::Warning
            } else {
                Severity::Error
            },
            message: message.into(),
            primary: Label {
                span,
                message: label.into(),
            },
            secondary: Vec::new(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The diagnostics of one file, in source order.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }
    pub fn extend(&mut self, ds: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(ds);
    }
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
    /// Sorts by position, then code, and drops exact repeats.
    pub fn sorted(mut self) -> Vec<Diagnostic> {
        self.items.sort_by(|a, b| {
            (a.primary.span.start, a.code.as_str()).cmp(&(b.primary.span.start, b.code.as_str()))
        });
        self.items.dedup_by(|a, b| {
            a.code == b.code
                && a.message == b.message
                && a.primary.span.start == b.primary.span.start
        });
        self.items
    }
}

/// "did you mean `Magnitude`?" — the closest candidate within a small edit distance.
pub fn suggest<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    // Edit distance is quadratic in the lengths; no name this long is a near miss.
    const LONGEST: usize = 256;
    if wanted.len() > LONGEST {
        return None;
    }
    let wanted_lower = wanted.to_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        if c == wanted {
            continue;
        }
        if c.len() > LONGEST || c.len().abs_diff(wanted.len()) > wanted.len().max(3) / 3 + 1 {
            continue;
        }
        let c_lower = c.to_lowercase();
        if c_lower == wanted_lower {
            return Some(c);
        }
        let distance = strsim::damerau_levenshtein(&wanted_lower, &c_lower);
        let limit = (wanted.chars().count().max(3) / 3).max(1);
        if distance <= limit {
            let score = distance as f64 - strsim::jaro_winkler(&wanted_lower, &c_lower);
            if best.is_none_or(|(s, _)| score < s) {
                best = Some((score, c));
            }
        }
    }
    best.map(|(_, c)| c)
}

/// A help line with a suggestion, when there is one.
pub fn did_you_mean<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    suggest(wanted, candidates).map(|s| format!("did you mean `{s}`?"))
}

struct Report<'a> {
    diagnostic: &'a Diagnostic,
    source: &'a SourceFile,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}
impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}
impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(format!("sluice::{}", self.diagnostic.code)))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diagnostic
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let d = self.diagnostic;
        let to_miette = |l: &Label, primary: bool| {
            let span = miette::SourceSpan::new(l.span.start.into(), l.span.len());
            let text = (!l.message.is_empty()).then(|| l.message.clone());
            if primary {
                miette::LabeledSpan::new_primary_with_span(text, span)
            } else {
                miette::LabeledSpan::new_with_span(text, span)
            }
        };
        Some(Box::new(
            std::iter::once(to_miette(&d.primary, true))
                .chain(d.secondary.iter().map(move |l| to_miette(l, false))),
        ))
    }
}

/// How [`render`] draws.
#[derive(Clone, Copy, Debug)]
pub struct RenderStyle {
    pub color: bool,
    pub unicode: bool,
    pub width: usize,
}

impl RenderStyle {
    /// No colour, ASCII-safe unicode, 100 columns: the form snapshots use.
    pub fn plain() -> Self {
        RenderStyle {
            color: false,
            unicode: true,
            width: 100,
        }
    }
}

/// Renders one diagnostic as a report: the message with its code, then
/// `╭─[file:line:col]` and the source lines with labels, then the help line.
pub fn render(diagnostic: &Diagnostic, file: &SourceFile, style: RenderStyle) -> String {
    let theme = match (style.color, style.unicode) {
        (true, true) => miette::GraphicalTheme::unicode(),
        (true, false) => miette::GraphicalTheme::ascii(),
        (false, true) => miette::GraphicalTheme::unicode_nocolor(),
        (false, false) => miette::GraphicalTheme::none(),
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false);
    let report = Report {
        diagnostic,
        source: file,
    };
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        let (line, col) = file.line_col(diagnostic.primary.span.start);
        out = format!(
            "{}[{}]: {}\n  at {}:{line}:{col}\n",
            if diagnostic.is_error() {
                "error"
            } else {
                "warning"
            },
            diagnostic.code,
            diagnostic.message,
            file.name
        );
    }
    out
}

/// `file:line:col: error[E0200]: message` — one line, for `--format short` and tools.
pub fn render_short(diagnostic: &Diagnostic, file: &SourceFile) -> String {
    let (line, col) = file.line_col(diagnostic.primary.span.start);
    let kind = if diagnostic.is_error() {
        "error"
    } else {
        "warning"
    };
    let mut s = format!(
        "{}:{line}:{col}: {kind}[{}]: {}",
        file.name, diagnostic.code, diagnostic.message
    );
    if let Some(help) = &diagnostic.help {
        s.push_str(&format!(" (help: {help})"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_find_close_names_only() {
        let columns = ["Magnitude", "Magnitude Type", "Depth", "Type"];
        assert_eq!(suggest("Magnitdue", columns), Some("Magnitude"));
        assert_eq!(suggest("magnitude", columns), Some("Magnitude"));
        assert_eq!(suggest("Dept", columns), Some("Depth"));
        assert_eq!(suggest("Latitude", columns), None);
    }

    #[test]
    fn codes_are_unique() {
        let mut codes: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        codes.sort_unstable();
        let n = codes.len();
        codes.dedup();
        assert_eq!(n, codes.len());
    }
}

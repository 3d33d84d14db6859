//! The function reference, rendered from the catalogue: `docs/functions.md` (written by
//! `sluice functions`, checked for staleness by the CLI's tests) and the LSP's hover
//! text are both made here, so neither can drift from what the resolver checks.

use super::{AGGREGATES, FunctionSig, NullRule, Returns, SCALARS, WINDOWS};

impl NullRule {
    /// When a result is null, in words.
    pub fn describe(self) -> &'static str {
        match self {
            NullRule::Propagate => "null when an argument is null",
            NullRule::Never => "never null",
            NullRule::Always => "may be null for any input",
            NullRule::AllNull => "null only when every argument is null",
        }
    }
}

impl Returns {
    /// The result type, in words.
    pub fn describe(self, sig: &FunctionSig) -> String {
        let param = |i: usize| sig.params.get(i).map_or("?", |p| p.name);
        match self {
            Returns::Fixed(t) => t.to_string(),
            Returns::SameAs(i) => format!("the type of `{}`", param(i)),
            Returns::CommonOf { from } => format!("the common type of `{}`, ...", param(from)),
            Returns::IntOrFloat(i) => format!("int64 when `{}` is int64, else float64", param(i)),
            Returns::ListOf(i) => format!("a list of the type of `{}`", param(i)),
            Returns::ListOfFixed(t) => format!("list<{t}>"),
            Returns::ItemOf(i) => format!("the item type of `{}`", param(i)),
        }
    }
}

impl FunctionSig {
    /// The hover text an editor shows for a call.
    pub fn hover_markdown(&self) -> String {
        format!(
            "```\n{} -> {}\n```\n{}\n\nNulls: {}.\n\nExample: `{}`",
            self.display_signature(),
            self.returns.describe(self),
            self.doc,
            self.nulls.describe(),
            self.example
        )
    }
}

/// `|` would end a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

fn table(out: &mut String, functions: &[FunctionSig]) {
    out.push_str("| function | returns | what it does | nulls | example |\n");
    out.push_str("| --- | --- | --- | --- | --- |\n");
    let mut sorted: Vec<&FunctionSig> = functions.iter().collect();
    sorted.sort_by_key(|f| f.name);
    for f in sorted {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | `{}` |\n",
            cell(&f.display_signature()),
            cell(&f.returns.describe(f)),
            cell(f.doc),
            f.nulls.describe(),
            cell(f.example)
        ));
    }
}

/// The whole of `docs/functions.md`.
pub fn reference_markdown() -> String {
    let mut out = String::from(
        "# Functions\n\n\
         Generated from the catalogue in `stdlib/src/functions/` (the signatures the resolver \
         checks) by `sluice functions > docs/functions.md`; a test fails when this file is \
         stale. Editors show the same text on hover.\n\n\
         NaN: every float column holds one NaN, which equals itself and sorts above every \
         number (see [semantics.md](semantics.md)); arithmetic and math functions pass NaN \
         through as IEEE 754 says (`sqrt(-1)` is NaN), comparisons follow that order, and \
         `/`, `%` by zero give null, not NaN or an infinity.\n\n\
         ## Scalar functions\n\n",
    );
    table(&mut out, SCALARS);
    out.push_str(
        "\n## Aggregate functions\n\n\
         Used in `group KEYS { name = agg(...) }`; they skip nulls (except `count()`, `first`, \
         `last`).\n\n",
    );
    table(&mut out, AGGREGATES);
    out.push_str(
        "\n## Window functions\n\n\
         Used in `window [by KEYS] [order by KEYS] { name = f(...) [rows|range between ...] }` \
         beside any aggregate above, one value per row from the row's partition; see \
         [language.md](language.md) for frames.\n\n",
    );
    table(&mut out, WINDOWS);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_is_in_the_reference() {
        let text = reference_markdown();
        for f in SCALARS.iter().chain(AGGREGATES).chain(WINDOWS) {
            assert!(text.contains(&format!("| `{}(", f.name)), "{}", f.name);
        }
    }
}

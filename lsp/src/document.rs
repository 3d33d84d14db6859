//! An open document and its analysis: parsed, resolved, and its diagnostics. The
//! last plan that compiled is kept, so hover and completion keep working while the
//! text is mid-edit and does not compile.

use lsp_types::Url;
use sluice_compiler::plan::LogicalPlan;
use sluice_compiler::syntax::ast::Pipeline;
use sluice_compiler::{Diagnostic, ResolveOptions, SourceFile};
use std::path::Path;

pub struct Document {
    pub file: SourceFile,
    pub version: i32,
    pub ast: Option<Pipeline>,
    pub diagnostics: Vec<Diagnostic>,
    /// This text's plan, when it compiles.
    pub plan: Option<LogicalPlan>,
    /// The latest plan that compiled, and the text it came from.
    pub last_good: Option<(LogicalPlan, String)>,
}

impl Document {
    pub fn new(uri: &Url, text: String, version: i32, root: Option<&Path>) -> Document {
        let name = uri
            .to_file_path()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| uri.path().to_string());
        let mut d = Document {
            file: SourceFile::new(name, String::new()),
            version,
            ast: None,
            diagnostics: Vec::new(),
            plan: None,
            last_good: None,
        };
        d.update(text, version, root);
        d
    }

    /// Replaces the text and analyses it again.
    pub fn update(&mut self, text: String, version: i32, root: Option<&Path>) {
        self.file = SourceFile::new(self.file.name.clone(), text);
        self.version = version;
        let (ast, mut diagnostics) = sluice_compiler::syntax::parse(&self.file);
        self.plan = None;
        if let Some(ast) = &ast
            && !diagnostics.iter().any(Diagnostic::is_error)
        {
            // Relative paths start at the workspace root, else beside the file.
            let base_dir = root
                .map(Path::to_path_buf)
                .or_else(|| Path::new(&self.file.name).parent().map(Path::to_path_buf));
            let options = ResolveOptions {
                params: Vec::new(),
                base_dir,
            };
            let (plan, resolved) = sluice_compiler::resolve::resolve(ast, &options);
            diagnostics.extend(resolved);
            self.plan = plan;
        }
        if let Some(plan) = &self.plan {
            self.last_good = Some((plan.clone(), self.file.text.clone()));
        }
        self.ast = ast;
        self.diagnostics = diagnostics;
    }

    pub fn text(&self) -> &str {
        &self.file.text
    }

    /// The plan to answer questions with: this text's, or the last that compiled.
    pub fn best_plan(&self) -> Option<&LogicalPlan> {
        self.plan
            .as_ref()
            .or(self.last_good.as_ref().map(|(p, _)| p))
    }
}

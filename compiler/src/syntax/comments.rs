//! `#` comments of a DSL file, found outside strings and quoted names, so the formatter
//! can put every one of them back.

/// One comment: its byte range (from `#` to the end of the line, newline excluded) and
/// whether code precedes it on its line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub trailing: bool,
}

/// Every comment of `text`, in order.
pub fn extract(text: &str) -> Vec<Comment> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line_has_code = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                line_has_code = false;
                i += 1;
            }
            q @ (b'"' | b'\'' | b'`') => {
                line_has_code = true;
                i += 1;
                while i < bytes.len() && bytes[i] != q && bytes[i] != b'\n' {
                    if bytes[i] == b'\\' && q != b'`' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'#' => {
                let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                out.push(Comment {
                    start: i,
                    end,
                    text: text[i..end].trim_end().to_string(),
                    trailing: line_has_code,
                });
                i = end;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            _ => {
                line_has_code = true;
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_hashes_in_strings_and_names() {
        let text = "# lead\nlet a = b # trail\n| filter x == \"#no\" and `#no` > 1\n";
        let comments = extract(text);
        assert_eq!(comments.len(), 2);
        assert_eq!(comments[0].text, "# lead");
        assert!(!comments[0].trailing);
        assert_eq!(comments[1].text, "# trail");
        assert!(comments[1].trailing);
    }
}

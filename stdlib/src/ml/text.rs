//! Text to tokens to term counts: `tokenize`, `remove_stopwords`, `ngrams` and
//! `hashing_tf`, all stateless (nothing is fitted).
//!
//! - `tokenize` lowercases (unless `lowercase = false`) and keeps runs of two or more
//!   word characters (Unicode letters, digits, `_`), as scikit-learn's default
//!   `token_pattern` `(?u)\b\w\w+\b` does; punctuation and single characters go.
//! - `remove_stopwords` drops the English words in [`STOPWORDS`] (compared lowercased).
//! - `ngrams` (n) keeps the tokens and adds every run of 2..=n consecutive tokens,
//!   joined by a space: scikit-learn's `ngram_range = (1, n)`.
//! - `hashing_tf` counts each token at `fnv1a(token) mod num_features` (64-bit FNV-1a on
//!   the UTF-8 bytes: stable across versions and platforms, so saved models keep
//!   working).

/// English stopwords: articles, pronouns, auxiliaries, prepositions and conjunctions.
/// Negations (`not`, `no`, `nor`) are kept out of the list on purpose: they carry the
/// sentiment of a sentence.
pub const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "me",
    "more",
    "most",
    "my",
    "myself",
    "now",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
];

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The tokens of a text (see the module header).
pub fn tokenize(text: &str, lowercase: bool) -> Vec<String> {
    let mut out = Vec::new();
    for word in text.split(|c: char| !is_word_char(c)) {
        if word.chars().nth(1).is_some() {
            out.push(if lowercase {
                word.to_lowercase()
            } else {
                word.to_string()
            });
        }
    }
    out
}

/// The tokens without the English stopwords.
pub fn remove_stopwords(tokens: &[String]) -> Vec<String> {
    tokens
        .iter()
        .filter(|t| STOPWORDS.binary_search(&t.to_lowercase().as_str()).is_err())
        .cloned()
        .collect()
}

/// The tokens followed by their 2..=n-grams.
pub fn ngrams(tokens: &[String], n: usize) -> Vec<String> {
    let mut out = tokens.to_vec();
    for size in 2..=n {
        for window in tokens.windows(size) {
            out.push(window.join(" "));
        }
    }
    out
}

/// 64-bit FNV-1a.
pub fn fnv1a(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Term counts by hashed index, sorted by index.
pub fn hashing_tf(tokens: &[String], num_features: usize) -> Vec<(u32, f64)> {
    let mut counts: std::collections::BTreeMap<u32, f64> = Default::default();
    for t in tokens {
        *counts
            .entry((fnv1a(t) % num_features.max(1) as u64) as u32)
            .or_default() += 1.0;
    }
    counts.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stopwords_are_sorted_for_binary_search() {
        assert!(STOPWORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn tokens_like_scikit_learn() {
        assert_eq!(
            tokenize(
                "Not sure who was MORE lost - the flat characters, or a café_owner's 2nd?",
                true
            ),
            [
                "not",
                "sure",
                "who",
                "was",
                "more",
                "lost",
                "the",
                "flat",
                "characters",
                "or",
                "café_owner",
                "2nd"
            ]
        );
        let t = tokenize("The film was not good", true);
        assert_eq!(remove_stopwords(&t), ["film", "not", "good"]);
        assert_eq!(
            ngrams(&remove_stopwords(&t), 2),
            ["film", "not", "good", "film not", "not good"]
        );
    }

    #[test]
    fn hashing_counts_repeats() {
        let t: Vec<String> = ["a", "b", "a"].iter().map(|s| s.to_string()).collect();
        let v = hashing_tf(&t, 1 << 20);
        assert_eq!(v.len(), 2);
        assert_eq!(v.iter().map(|p| p.1).sum::<f64>(), 3.0);
        assert_eq!(
            fnv1a("a"),
            0xaf63_dc4c_8601_ec8c,
            "the published FNV-1a of \"a\""
        );
    }
}

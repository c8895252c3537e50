//! The variable engine shared by lint and build. (Being written: API fixed, body pending.)

use std::collections::{BTreeMap, HashMap};

/// Where variable values come from.
pub trait Env {
    /// The value of `name`, or `None` when unset. (Set-but-empty is `Some("")`.)
    fn lookup(&self, name: &str) -> Option<&str>;
}

impl Env for HashMap<String, String> {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

impl Env for BTreeMap<String, String> {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.get(name).map(String::as_str)
    }
}

impl Env for [(String, String)] {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// The result of expanding one word.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expansion {
    pub value: String,
    /// Variables that were referenced and set.
    pub matched: Vec<String>,
    /// Variables that were referenced and unset.
    pub unmatched: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ExpandError {
    pub message: String,
    /// Byte offset in the word where the problem is.
    pub offset: usize,
}

/// BuildKit's shell lexer: quoting, escapes and `$` expansion for one escape character.
#[derive(Clone, Debug)]
pub struct Lexer {
    pub escape: char,
    /// Keep quote characters in the output (used for ENV/LABEL/ARG values in some contexts).
    pub raw_quotes: bool,
    /// Keep escape characters in the output.
    pub raw_escapes: bool,
}

impl Lexer {
    pub fn new(escape: char) -> Self {
        Lexer {
            escape,
            raw_quotes: false,
            raw_escapes: false,
        }
    }

    /// Expands one word (no word splitting).
    pub fn process_word(&self, word: &str, env: &dyn Env) -> Result<Expansion, ExpandError> {
        let _ = env;
        Ok(Expansion {
            value: word.to_string(),
            ..Default::default()
        })
    }

    /// Expands and splits into words, as BuildKit does for exec-less lists.
    pub fn process_words(&self, word: &str, env: &dyn Env) -> Result<Vec<String>, ExpandError> {
        let _ = env;
        Ok(word.split_whitespace().map(str::to_string).collect())
    }
}

//! Lexer and parser. (Being written.)

use super::ast::Dockerfile;

/// Parses Dockerfile source text. Never fails: errors are recorded in [`Dockerfile::errors`] and
/// the parser recovers at the next instruction. A leading UTF-8 BOM is skipped; CRLF is accepted.
/// Offsets in spans refer to `src` as given (BOM included).
pub fn parse(src: &str) -> Dockerfile {
    let _ = src;
    Dockerfile {
        escape: '\\',
        ..Default::default()
    }
}

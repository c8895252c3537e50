//! The Dockerfile front end shared by `hoist lint` and `hoist build`: a BuildKit-faithful lexer
//! and parser ([`parse`]), the typed AST ([`ast`]), typed flags ([`flags`]), the variable engine
//! ([`expand`], its syntax check [`expand_check`]), ARG/ENV scoping ([`scope`]) and the model of a file's meaning ([`model`]: stages,
//! their edges, scopes and shells per instruction) that lint reads and the builder plans from.
//!
//! The parser is written by hand: the only crate for this (`dockerfile-parser`) is deprecated and
//! does not handle heredocs, `# escape=`, flags such as `--mount`, or BuildKit's JSON fallback, and
//! we need spans on every node plus error recovery, which no crate offers.

pub mod ast;
pub mod dockerignore;
pub mod dump;
pub mod expand;
pub mod expand_check;
pub mod flags;
pub mod model;
mod parser;
pub mod scope;
pub mod source;
pub mod span;

pub use ast::*;
pub use parser::parse;
pub use source::{is_git, is_http_url, is_url, url_scheme};
pub use span::{LineIndex, Pos, Span};

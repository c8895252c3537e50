//! Output formats of `hoist parse`: BuildKit's AST dump and JSON. (Being written.)

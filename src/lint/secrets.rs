//! Secret detection patterns, loaded from `rules/secrets.toml`. (Being written.)

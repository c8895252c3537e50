//! Placeholder being filled in.

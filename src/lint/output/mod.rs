//! Output formats of `hoist lint`. (Being written.)

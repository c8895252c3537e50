//! Applying safe fixes (`hoist lint --fix`). (Being written.)

//! One execution per step key at a time: builds that share a [`crate::build::BuildOptions`]
//! (the platforms of one `--platform a,b` build) claim a step's cache key before they look it
//! up and run it, so a step that is the same for every platform (a `FROM
//! --platform=$BUILDPLATFORM` stage that uses no TARGET* ARG) runs once and the other platforms
//! find it in the cache when the claim is released. Keys recorded by this build are
//! remembered, so under `--no-cache` (which ignores what earlier builds recorded) the other
//! platforms still reuse the step this build just ran instead of running it again.

use std::collections::HashSet;
use std::sync::{Condvar, Mutex, PoisonError};

/// Step keys being looked up or run right now.
#[derive(Debug, Default)]
pub struct InFlight {
    keys: Mutex<HashSet<String>>,
    released: Condvar,
    /// Keys this build recorded (ran), for `--no-cache`.
    built: Mutex<HashSet<String>>,
}

/// A claimed key; released (and waiters woken) when dropped.
pub struct Claim<'a> {
    owner: &'a InFlight,
    key: String,
}

impl InFlight {
    /// This build ran and recorded the step `key`.
    pub fn mark_built(&self, key: &str) {
        self.built
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key.to_string());
    }

    /// Whether this build ran the step `key` (so its record is this build's own).
    pub fn built_here(&self, key: &str) -> bool {
        self.built
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(key)
    }

    /// Wait until no one holds `key`, then hold it.
    pub fn claim(&self, key: &str) -> Claim<'_> {
        // A holder that panicked left the set as it was: go on with it.
        let mut keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        while keys.contains(key) {
            keys = self
                .released
                .wait(keys)
                .unwrap_or_else(PoisonError::into_inner);
        }
        keys.insert(key.to_string());
        drop(keys);
        Claim {
            owner: self,
            key: key.to_string(),
        }
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        let mut keys = self
            .owner
            .keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        keys.remove(&self.key);
        drop(keys);
        self.owner.released.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn a_key_is_held_by_one_claim_at_a_time() {
        let f = InFlight::default();
        let inside = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for i in 0..8 {
                let (f, inside, most) = (&f, &inside, &most);
                s.spawn(move || {
                    // Two keys: claims of different keys do not wait for each other.
                    let _c = f.claim(if i % 2 == 0 { "a" } else { "b" });
                    let _same = (i % 2 == 0).then(|| inside.fetch_add(1, Ordering::SeqCst) + 1);
                    if let Some(n) = _same {
                        most.fetch_max(n, Ordering::SeqCst);
                        std::thread::yield_now();
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                });
            }
        });
        assert_eq!(most.load(Ordering::SeqCst), 1);
        assert!(f.keys.lock().unwrap().is_empty());
    }
}

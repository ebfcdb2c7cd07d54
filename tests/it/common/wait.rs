//! Waiting for events instead of the clock: a poll with a deadline.

use std::time::{Duration, Instant};

/// How often a condition is looked at again.
const POLL: Duration = Duration::from_millis(20);

/// Polls `done` until it holds or `limit` has passed; whether it held. Callers assert on the
/// answer (or on what they waited for), so a wait that runs out fails the test.
pub fn wait_for(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(POLL);
    }
}

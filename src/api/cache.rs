//! Answer reuse: a short-lived cache of successful answers, and request sharing.
//!
//! Keyed by path and query string, which carry everything that shapes an answer (tool, resolved
//! window, time zone, parameters). Concurrent identical requests share one upstream call
//! whether or not caching is on; a finished success is kept for its TTL. Failures are never
//! cached. The cache holds at most [`MAX_ENTRIES`] answers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jiff::Timestamp;
use serde_json::Value;
use tokio::sync::OnceCell;

use super::{ApiClient, ApiError, Query};
use crate::clock;

/// Answers kept at most; past it, expired ones go first, then everything.
pub const MAX_ENTRIES: usize = 256;

/// An answer and how fresh it is.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub data: Value,
    /// When the upstream produced it.
    pub as_of: Timestamp,
    /// True when it came from the cache rather than a request made for this call.
    pub cached: bool,
}

type Shared = Arc<OnceCell<Result<(Value, Timestamp), ApiError>>>;

/// The cache and the table of requests in flight.
#[derive(Debug, Default)]
pub struct Cache {
    entries: Mutex<HashMap<String, (Instant, Timestamp, Value)>>,
    in_flight: Mutex<HashMap<String, Shared>>,
}

fn key(path: &str, query: &Query) -> String {
    let mut key = path.to_string();
    for (k, v) in query {
        key.push('\u{1f}');
        key.push_str(k);
        key.push('=');
        key.push_str(v);
    }
    key
}

impl Cache {
    /// A fresh cached answer, if any.
    fn lookup(&self, key: &str, ttl: Duration) -> Option<Fetched> {
        let entries = self.entries.lock().ok()?;
        let (stored, as_of, data) = entries.get(key)?;
        (stored.elapsed() < ttl).then(|| Fetched {
            data: data.clone(),
            as_of: *as_of,
            cached: true,
        })
    }

    fn store(&self, key: String, as_of: Timestamp, data: Value, ttl: Duration) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, (stored, _, _)| stored.elapsed() < ttl);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key, (Instant::now(), as_of, data));
    }
}

impl ApiClient {
    /// Like [`ApiClient::get`], but shares a request already in flight for the same key and
    /// reuses an answer younger than `ttl` (zero: no reuse).
    pub async fn get_shared(
        &self,
        cache: &Cache,
        path: &str,
        query: &Query,
        ttl: Duration,
    ) -> Result<Fetched, ApiError> {
        let key = key(path, query);
        if !ttl.is_zero()
            && let Some(hit) = cache.lookup(&key, ttl)
        {
            return Ok(hit);
        }
        let cell = {
            let mut in_flight = cache
                .in_flight
                .lock()
                .map_err(|_| ApiError::Other("the request table is unusable".into()))?;
            // Looked up again under the lock: a request may have finished since the first look.
            if !ttl.is_zero()
                && let Some(hit) = cache.lookup(&key, ttl)
            {
                return Ok(hit);
            }
            in_flight.entry(key.clone()).or_default().clone()
        };
        cell.get_or_init(|| async { self.get(path, query).await.map(|v| (v, clock::now())) })
            .await;
        // Cache first, then clear the in-flight entry: the other order leaves a moment in
        // which a new caller finds neither and sends the request again. Whoever finishes
        // clears the entry (the caller that started it may have been cancelled), unless a
        // newer request for the key has replaced it already.
        if let Some(Ok((data, as_of))) = cell.get()
            && !ttl.is_zero()
        {
            cache.store(key.clone(), *as_of, data.clone(), ttl);
        }
        if let Ok(mut in_flight) = cache.in_flight.lock()
            && in_flight.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell))
        {
            in_flight.remove(&key);
        }
        // The answer is taken, not copied, when no other caller shares the request (the
        // common case; a copy of a long answer is a tree of allocations).
        let outcome = match Arc::try_unwrap(cell) {
            Ok(only) => only.into_inner(),
            Err(shared) => shared.get().cloned(),
        };
        let (data, as_of) = outcome
            .ok_or_else(|| ApiError::Other("a shared request ended without an answer".into()))??;
        Ok(Fetched {
            data,
            as_of,
            cached: false,
        })
    }
}

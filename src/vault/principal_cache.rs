//! A per-instance cache of verified principals: a warm request skips the key lookup. An
//! entry lives `ttl` (the revocation delay, `PRINCIPAL_CACHE_SECONDS`), and the cache holds
//! at most `CAPACITY` keys, forgetting the oldest first. Only keys that verified (MAC, not
//! revoked) are kept; an unknown key is looked up every time.

use crate::auth::{KeyHash, Principal};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const CAPACITY: usize = 1024;

pub struct PrincipalCache {
    ttl: Duration,
    entries: Mutex<HashMap<KeyHash, (Principal, Instant)>>,
}

impl PrincipalCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn get(&self, key: &KeyHash) -> Option<Principal> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(key)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(principal, _)| principal.clone())
    }

    pub fn put(&self, key: KeyHash, principal: Principal) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.retain(|_, (_, at)| at.elapsed() < self.ttl);
        if entries.len() >= CAPACITY
            && let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, (_, at))| *at)
                .map(|(k, _)| k.clone())
        {
            entries.remove(&oldest);
        }
        entries.insert(key, (principal, Instant::now()));
    }
}

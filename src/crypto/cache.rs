//! A per-instance cache of unwrapped data keys, on the model of the AWS Encryption SDK's
//! caching materials manager: an agent that polls the same credential skips KMS. An entry is
//! keyed by the wrapped key and its encryption context (so it only ever opens what KMS
//! would have opened for that context), lives at most `max_age`, serves at most `max_uses`
//! decryptions, and its plaintext is wiped when it is dropped (evicted, expired, replaced).
//! Fresh data keys for writes are never cached: every write still gets its own.

use super::{DataKey, KeyProvider, OpenError, PlainDataKey};
use crate::dependency::DependencyError;
use aws_lc_rs::digest::{SHA256, digest};
use secrecy::{ExposeSecret, SecretBox};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const CAPACITY: usize = 256;

struct Entry {
    key: PlainDataKey,
    made: Instant,
    uses: u32,
}

pub struct CachingKeyProvider<K> {
    inner: K,
    max_age: Duration,
    max_uses: u32,
    entries: Mutex<HashMap<[u8; 32], Entry>>,
}

impl<K> CachingKeyProvider<K> {
    pub fn new(inner: K, max_age: Duration, max_uses: u32) -> Self {
        Self {
            inner,
            max_age,
            max_uses,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// SHA-256 of the wrapped key and the context, in a form no two inputs share.
    fn slot(encrypted: &[u8], context: &HashMap<String, String>) -> [u8; 32] {
        let sorted: BTreeMap<&String, &String> = context.iter().collect();
        let mut bytes = (encrypted.len() as u64).to_be_bytes().to_vec();
        bytes.extend_from_slice(encrypted);
        for (k, v) in sorted {
            for part in [k, v] {
                bytes.extend_from_slice(&(part.len() as u64).to_be_bytes());
                bytes.extend_from_slice(part.as_bytes());
            }
        }
        let mut slot = [0u8; 32];
        slot.copy_from_slice(digest(&SHA256, &bytes).as_ref());
        slot
    }

    /// Whether the cache is on at all: with no age, or no use beyond the first (the unwrap
    /// that fills it), no key is kept.
    fn enabled(&self) -> bool {
        !self.max_age.is_zero() && self.max_uses > 1
    }

    fn cached(&self, slot: &[u8; 32]) -> Option<PlainDataKey> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        // Every look sweeps: a key past its age is wiped at the next request, not only when
        // another key is kept.
        entries.retain(|_, e| e.made.elapsed() < self.max_age && e.uses < self.max_uses);
        let entry = entries.get_mut(slot)?;
        entry.uses += 1;
        Some(SecretBox::new(Box::new(*entry.key.expose_secret())))
    }

    fn keep(&self, slot: [u8; 32], key: &PlainDataKey) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.retain(|_, e| e.made.elapsed() < self.max_age && e.uses < self.max_uses);
        if entries.len() >= CAPACITY
            && let Some(oldest) = entries.iter().min_by_key(|(_, e)| e.made).map(|(s, _)| *s)
        {
            entries.remove(&oldest);
        }
        let copy = SecretBox::new(Box::new(*key.expose_secret()));
        entries.insert(
            slot,
            Entry {
                key: copy,
                made: Instant::now(),
                uses: 1,
            },
        );
    }
}

impl<K: KeyProvider> KeyProvider for CachingKeyProvider<K> {
    async fn generate_data_key(
        &self,
        context: &HashMap<String, String>,
    ) -> Result<DataKey, DependencyError> {
        self.inner.generate_data_key(context).await
    }

    async fn decrypt_data_key(
        &self,
        encrypted: &[u8],
        key_id: &str,
        context: &HashMap<String, String>,
    ) -> Result<PlainDataKey, OpenError> {
        if !self.enabled() {
            return self
                .inner
                .decrypt_data_key(encrypted, key_id, context)
                .await;
        }
        let slot = Self::slot(encrypted, context);
        if let Some(key) = self.cached(&slot) {
            return Ok(key);
        }
        let key = self
            .inner
            .decrypt_data_key(encrypted, key_id, context)
            .await?;
        self.keep(slot, &key);
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::LocalKeyProvider;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// Counts the unwraps that reach the provider.
    struct Counting(LocalKeyProvider, AtomicU32);

    impl KeyProvider for Counting {
        async fn generate_data_key(
            &self,
            c: &HashMap<String, String>,
        ) -> Result<DataKey, DependencyError> {
            self.0.generate_data_key(c).await
        }
        async fn decrypt_data_key(
            &self,
            e: &[u8],
            id: &str,
            c: &HashMap<String, String>,
        ) -> Result<PlainDataKey, OpenError> {
            self.1.fetch_add(1, Ordering::Relaxed);
            self.0.decrypt_data_key(e, id, c).await
        }
    }

    fn context(name: &str) -> HashMap<String, String> {
        HashMap::from([("credvault:credential".to_owned(), name.to_owned())])
    }

    #[tokio::test]
    async fn a_cached_key_is_bounded_in_uses_and_bound_to_its_context() {
        let cache = CachingKeyProvider::new(
            Counting(LocalKeyProvider::new(), AtomicU32::new(0)),
            Duration::from_secs(60),
            3,
        );
        let made = cache.generate_data_key(&context("a")).await.unwrap();
        for _ in 0..5 {
            let key = cache
                .decrypt_data_key(&made.encrypted, &made.key_id, &context("a"))
                .await
                .unwrap();
            assert_eq!(key.expose_secret(), made.plaintext.expose_secret());
        }
        // Five reads, three uses per unwrap: two trips to the provider.
        assert_eq!(cache.inner.1.load(Ordering::Relaxed), 2);
        // Another context never gets the cached key: it goes to the provider, which refuses.
        assert!(
            cache
                .decrypt_data_key(&made.encrypted, &made.key_id, &context("b"))
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn an_entry_expires_with_age() {
        let cache = CachingKeyProvider::new(
            Counting(LocalKeyProvider::new(), AtomicU32::new(0)),
            Duration::ZERO,
            100,
        );
        let made = cache.generate_data_key(&context("a")).await.unwrap();
        for _ in 0..3 {
            cache
                .decrypt_data_key(&made.encrypted, &made.key_id, &context("a"))
                .await
                .unwrap();
        }
        assert_eq!(cache.inner.1.load(Ordering::Relaxed), 3);
    }

    #[tokio::test]
    async fn a_cache_turned_off_keeps_no_key_and_one_past_its_age_is_swept() {
        let off = CachingKeyProvider::new(
            Counting(LocalKeyProvider::new(), AtomicU32::new(0)),
            Duration::ZERO,
            100,
        );
        let made = off.generate_data_key(&context("a")).await.unwrap();
        off.decrypt_data_key(&made.encrypted, &made.key_id, &context("a"))
            .await
            .unwrap();
        assert!(off.entries.lock().unwrap().is_empty(), "no copy kept");
        let single_use = CachingKeyProvider::new(
            Counting(LocalKeyProvider::new(), AtomicU32::new(0)),
            Duration::from_secs(60),
            1,
        );
        let made = single_use.generate_data_key(&context("a")).await.unwrap();
        single_use
            .decrypt_data_key(&made.encrypted, &made.key_id, &context("a"))
            .await
            .unwrap();
        assert!(
            single_use.entries.lock().unwrap().is_empty(),
            "a key that may serve no second use is not kept"
        );

        let brief = CachingKeyProvider::new(
            Counting(LocalKeyProvider::new(), AtomicU32::new(0)),
            Duration::from_millis(20),
            100,
        );
        let (a, b) = (
            brief.generate_data_key(&context("a")).await.unwrap(),
            brief.generate_data_key(&context("b")).await.unwrap(),
        );
        brief
            .decrypt_data_key(&a.encrypted, &a.key_id, &context("a"))
            .await
            .unwrap();
        std::thread::sleep(Duration::from_millis(30));
        // A look for another key sweeps the expired one.
        assert!(
            brief
                .cached(&CachingKeyProvider::<Counting>::slot(
                    &b.encrypted,
                    &context("b")
                ))
                .is_none()
        );
        assert!(
            brief.entries.lock().unwrap().is_empty(),
            "the expired key is wiped"
        );
    }
}

//! A request that would outlive its Lambda invocation answers the contract's 503 in time.

use credvault::crypto::{DataKey, KeyProvider, LocalKeyProvider, OpenError, PlainDataKey};
use credvault::dependency::DependencyError;
use credvault::testing::*;
use credvault::vault::Vault;
use lambda_http::Context;
use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// KMS on a very bad day: every call hangs for a minute.
struct Hanging(LocalKeyProvider);

impl KeyProvider for Hanging {
    async fn generate_data_key(
        &self,
        context: &HashMap<String, String>,
    ) -> Result<DataKey, DependencyError> {
        tokio::time::sleep(Duration::from_secs(60)).await;
        self.0.generate_data_key(context).await
    }

    async fn decrypt_data_key(
        &self,
        encrypted: &[u8],
        key_id: &str,
        context: &HashMap<String, String>,
    ) -> Result<PlainDataKey, OpenError> {
        self.0.decrypt_data_key(encrypted, key_id, context).await
    }
}

#[tokio::test]
async fn a_request_past_its_deadline_answers_503_before_lambda_would_kill_it() {
    // GIVEN an invocation with 1.5 s left and a KMS that hangs
    let vault = Vault::new(fixture_store(), Hanging(LocalKeyProvider::new()));
    let mut context = Context::default();
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    context.deadline = (now + Duration::from_millis(1500)).as_millis() as u64;
    let mut request = event("put-seed-api-key");
    request.extensions_mut().insert(context);

    // WHEN a credential is stored
    let started = Instant::now();
    let answer = TestClient::new(&vault).send(request).await;

    // THEN the contract's 503 comes back before the deadline, telling the caller to retry
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    assert_envelope(&answer, 503, "service_unavailable");
    assert_eq!(answer.headers["retry-after"], "1");
    assert!(
        answer.json["message"]
            .as_str()
            .unwrap()
            .contains("ran out of time")
    );
}

//! A panic below the handler answers the contract's 500 and logs no panic payload. In a test
//! binary of its own: the panic hook is process-wide.

use credvault::auth::{KeyHash, Principal};
use credvault::crypto::{LocalKeyProvider, NONCE_LEN};
use credvault::dependency::DependencyError;
use credvault::domain::{
    ActivityEntry, ActivityStats, CredentialName, CredentialRequestRecord, IdentityId,
    IdentityProfile, LogCursor, LogFilter, LogPage, OrgId, RateWindow, RequestId, Subject,
    Timestamp,
};
use credvault::store::{
    ActivityLog, CredentialInfo, CredentialRecord, CredentialStore, IdentityChange,
    IdentityDirectory, IdentityRecord, IdentitySlice, IdentitySummary, KeyRecord, KeySummary,
    PendingRequests, RegisterError, RequestStore,
};
use credvault::testing::*;
use credvault::vault::Vault;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// A table whose every call panics, with a would-be secret in the message.
struct Exploding;

const BOOM: &str = "boom while holding sk_live_PANIC_SECRET";

impl IdentityDirectory for Exploding {
    async fn principal_for(&self, _: &KeyHash) -> Result<Option<Principal>, DependencyError> {
        panic!("{BOOM}")
    }
    async fn count_request(&self, _: &Subject, _: RateWindow) -> Result<u64, DependencyError> {
        panic!("{BOOM}")
    }
    async fn spend_use(&self, _: &KeyHash, _: u64) -> Result<Option<u64>, DependencyError> {
        panic!("{BOOM}")
    }
    async fn profile(&self, _: &IdentityId) -> Result<Option<IdentityProfile>, DependencyError> {
        panic!("{BOOM}")
    }
    async fn register(&self, _: &IdentityRecord, _: &KeyRecord) -> Result<(), RegisterError> {
        panic!("{BOOM}")
    }
    async fn add_key(&self, _: &KeyRecord) -> Result<bool, DependencyError> {
        panic!("{BOOM}")
    }
    async fn keys_of(&self, _: &Subject) -> Result<Vec<KeySummary>, DependencyError> {
        panic!("{BOOM}")
    }
    async fn revoke_key(
        &self,
        _: &Subject,
        _: &str,
        _: Timestamp,
    ) -> Result<bool, DependencyError> {
        panic!("{BOOM}")
    }
    async fn revoke_identity(&self, _: &IdentityId, _: Timestamp) -> Result<bool, DependencyError> {
        panic!("{BOOM}")
    }
    async fn identities(&self) -> Result<Vec<IdentitySummary>, DependencyError> {
        panic!("{BOOM}")
    }
    async fn register_platform_key(&self, _: &KeyRecord) -> Result<(), RegisterError> {
        panic!("{BOOM}")
    }
    async fn live_keys(&self, _: &IdentityId) -> Result<Vec<KeyRecord>, DependencyError> {
        panic!("{BOOM}")
    }
    async fn identity_in(
        &self,
        _: &OrgId,
        _: &IdentityId,
    ) -> Result<Option<IdentityRecord>, DependencyError> {
        panic!("{BOOM}")
    }
    async fn identities_of(
        &self,
        _: &OrgId,
        _: Option<&IdentityId>,
        _: usize,
    ) -> Result<IdentitySlice, DependencyError> {
        panic!("{BOOM}")
    }
    async fn change_identity(
        &self,
        _: &IdentityRecord,
        _: &IdentityChange,
    ) -> Result<bool, DependencyError> {
        panic!("{BOOM}")
    }
    async fn purge_identity(&self, _: &IdentityId) -> Result<usize, DependencyError> {
        panic!("{BOOM}")
    }
    async fn delete_identity(
        &self,
        _: &IdentityRecord,
        _: Timestamp,
    ) -> Result<bool, DependencyError> {
        panic!("{BOOM}")
    }
}

impl CredentialStore for Exploding {
    async fn put(&self, _: &CredentialRecord, _: &ActivityEntry) -> Result<(), DependencyError> {
        panic!("{BOOM}")
    }
    async fn put_if_unchanged(
        &self,
        _: &CredentialRecord,
        _: &[u8; NONCE_LEN],
        _: &ActivityEntry,
    ) -> Result<bool, DependencyError> {
        panic!("{BOOM}")
    }
    async fn get(
        &self,
        _: &IdentityId,
        _: &CredentialName,
    ) -> Result<Option<CredentialRecord>, DependencyError> {
        panic!("{BOOM}")
    }
    async fn list(
        &self,
        _: &IdentityId,
        _: Option<&CredentialName>,
        _: credvault::store::ListBound,
    ) -> Result<Vec<CredentialInfo>, DependencyError> {
        panic!("{BOOM}")
    }
    async fn delete(
        &self,
        _: &IdentityId,
        _: &CredentialName,
        _: &str,
        _: &ActivityEntry,
    ) -> Result<bool, DependencyError> {
        panic!("{BOOM}")
    }
    async fn touch(
        &self,
        _: &IdentityId,
        _: &CredentialName,
        _: &str,
        _: Timestamp,
        _: &ActivityEntry,
    ) -> Result<(), DependencyError> {
        panic!("{BOOM}")
    }
}

impl RequestStore for Exploding {
    async fn pending_requests(&self, _: &IdentityId) -> Result<PendingRequests, DependencyError> {
        panic!("{BOOM}")
    }
    async fn create_request(
        &self,
        _: &CredentialRequestRecord,
        _: &PendingRequests,
        _: &[(RequestId, u64)],
        _: &ActivityEntry,
    ) -> Result<bool, DependencyError> {
        panic!("{BOOM}")
    }
    async fn request(
        &self,
        _: &IdentityId,
        _: &RequestId,
    ) -> Result<Option<CredentialRequestRecord>, DependencyError> {
        panic!("{BOOM}")
    }
    async fn fulfil_request(
        &self,
        _: &CredentialRequestRecord,
        _: &CredentialRecord,
        _: Timestamp,
        _: &ActivityEntry,
    ) -> Result<bool, DependencyError> {
        panic!("{BOOM}")
    }
    async fn cancel_request(
        &self,
        _: &IdentityId,
        _: &RequestId,
        _: Timestamp,
        _: &ActivityEntry,
    ) -> Result<bool, DependencyError> {
        panic!("{BOOM}")
    }
}

impl ActivityLog for Exploding {
    async fn append(&self, _: &ActivityEntry) -> Result<(), DependencyError> {
        panic!("{BOOM}")
    }
    async fn entries(
        &self,
        _: &Subject,
        _: &LogFilter,
        _: usize,
        _: Option<&LogCursor>,
        _: (Timestamp, Timestamp),
    ) -> Result<LogPage, DependencyError> {
        panic!("{BOOM}")
    }
    async fn stats(
        &self,
        _: &Subject,
        _: Timestamp,
        _: Timestamp,
    ) -> Result<ActivityStats, DependencyError> {
        panic!("{BOOM}")
    }
    async fn last_activity(&self, _: &Subject) -> Result<Option<Timestamp>, DependencyError> {
        panic!("{BOOM}")
    }
}

/// Everything the subscriber writes, for inspection.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn given_a_panicking_dependency_then_500_in_the_envelope_and_no_payload_in_the_logs() {
    // GIVEN the production panic hook and a subscriber we can read
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    credvault::telemetry::install_panic_hook();
    let vault = Vault::new(Exploding, LocalKeyProvider::new());
    let service: &'static _ = Box::leak(Box::new(credvault::http::Service::new(vault)));

    // WHEN a request reaches the table
    let request = api_event("GET", "/v0/vault", Some(WRITE_KEY), None);
    let response = credvault::http::handle_isolated(service, request).await;

    // THEN the caller gets the contract's 500, and the logs say where but not what
    let (parts, body) = response.into_parts();
    let text = String::from_utf8_lossy(body.as_ref()).into_owned();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(parts.status, 500);
    assert_eq!(
        json,
        serde_json::json!({"error": "internal_error", "message": "Internal error", "status": 500})
    );
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("payload withheld") && logs.contains("tests/handler_panic.rs"),
        "{logs}"
    );
    assert!(logs.contains("the handler panicked"), "{logs}");
    assert!(
        !logs.contains("PANIC_SECRET") && !text.contains("PANIC_SECRET"),
        "{logs}"
    );
}

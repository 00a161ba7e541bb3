//! How each request reaches the activity log without a round trip of its own: a write
//! carries its entry in the same transaction; a failure writes the entry alone where the
//! request had no write left to make.

use super::entry::RECORD_MARGIN;
use super::{Call, Vault, VaultError};
use crate::auth::AuthError;
use crate::crypto::KeyProvider;
use crate::domain::{Action, ActivityEntry, CredentialName, Target, random_id};
use crate::store::VaultStore;

impl<S: VaultStore, K: KeyProvider> Vault<S, K> {
    /// An entry of `action` on the credential `name`.
    pub(super) fn credential_entry(
        &self,
        call: &Call,
        action: Action,
        name: &CredentialName,
        status: u16,
    ) -> ActivityEntry {
        let target = Target::Credential(name.clone());
        self.entry(call, action, Some(&target), status, None)
    }

    /// The entry for `action` ending with `status` (and the caller-facing `message`).
    pub(super) fn entry(
        &self,
        call: &Call,
        action: Action,
        target: Option<&Target>,
        status: u16,
        message: Option<&str>,
    ) -> ActivityEntry {
        // The id only has to be unique; a failed CSPRNG read still gives a usable one.
        let id = random_id("log_").unwrap_or_else(|_| format!("log_{:032x}", 0));
        let entry = ActivityEntry::new(
            id,
            call.principal.subject.clone(),
            action,
            target.cloned(),
            status,
            message,
            call.caller.clone(),
            u64::try_from(call.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            self.clock.now_precise(),
        )
        .kept_for(self.log_retention_days);
        match call.last_use.load(std::sync::atomic::Ordering::Acquire) {
            true => entry.noting("the key's last allowed use"),
            false => entry,
        }
    }

    /// The entry of a success, when the use case writes nothing else.
    pub(super) async fn record_success(
        &self,
        call: &Call,
        action: Action,
        target: Option<&Target>,
    ) {
        let entry = self.entry(call, action, target, 200, None);
        self.append(entry).await;
    }

    /// Passes a use case's result through, recording a failure in the log. A refusal that
    /// came before the request was counted (scope, malformed input) is counted now, beside
    /// the entry. Past the call's deadline the entry gets [`RECORD_MARGIN`], then is given up.
    pub(super) async fn settle<T>(
        &self,
        call: &Call,
        action: Action,
        target: Option<&Target>,
        result: Result<T, VaultError>,
    ) -> Result<T, VaultError> {
        let Err(err) = result else {
            return result;
        };
        // A refusal by the key's own limits says what refused it (a pattern, never a value)
        // and is a denial whatever status the caller got (a hidden name is its 404).
        let limit = err.limit_refusal();
        let message = limit.clone().unwrap_or_else(|| err.public_message());
        let mut entry = self.entry(call, action, target, err.status(), Some(&message));
        if limit.is_some() {
            entry = entry.denied();
        }
        // A refusal that came before the count (the key's kind or scope, malformed input, a
        // scope beyond a platform key's) is counted now; one of a subject already known over
        // the limit is not counted again.
        // A key that no longer works (expired, spent) spends none of its identity's rate limit.
        let uncounted = !call.was_counted()
            && !matches!(
                err,
                VaultError::RateLimited { .. }
                    | VaultError::Auth(AuthError::ExpiredKey | AuthError::UsesSpent)
            );
        let record = async {
            if uncounted {
                // The refusal stands whatever the count says.
                let _ = tokio::join!(self.count(call), self.append(entry));
            } else {
                self.append(entry).await;
            }
        };
        // From here the outcome counts as recorded: a session that gives up on this call must
        // not record it a second time.
        call.mark_recorded();
        match call.deadline {
            Some(deadline) => {
                let _ = tokio::time::timeout_at(deadline + RECORD_MARGIN, record).await;
            }
            None => record.await,
        }
        Err(err)
    }

    /// Writes an entry on its own. A lost entry of a request that changed nothing is
    /// logged, not fatal: the answer stands.
    pub(super) async fn append(&self, entry: ActivityEntry) {
        if let Err(err) = self.store.append(&entry).await {
            tracing::warn!(action = entry.action.as_str(), error = %err, "activity entry not recorded");
        }
    }
}

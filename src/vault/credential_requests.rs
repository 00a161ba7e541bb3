//! Asking a person for a credential (request links): an agent's key makes a request and
//! gets its one-time link; the request's status never shows a value. The link's own side
//! (its page and its submit) is in `links`.

use super::{Call, Vault, VaultError, rng_failed};
use crate::crypto::KeyProvider;
use crate::domain::{
    Action, Capability, CredentialName, CredentialRequestRecord, CredentialRequestSpec,
    CredentialType, Decision, LinkToken, MAX_PENDING_REQUESTS, RequestId, RequestState,
    RequestStatus, Target, Timestamp,
};
use crate::store::VaultStore;
use std::fmt;
use zeroize::Zeroizing;

/// How often a new request is planned again when the pending index moved meanwhile.
const MAX_CREATE_ATTEMPTS: usize = 3;

/// The path under which a link's page is served; its token follows.
pub const LINK_PATH: &str = "/v0/links/";

/// Where the edge is reached from outside (scheme and authority, perhaps a path): what a
/// link starts with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkBase(String);

impl LinkBase {
    pub fn new(base: &str) -> Self {
        Self(base.trim_end_matches('/').to_owned())
    }
}

/// A link to a request's page: it holds the token, so it is shown once, to the agent that
/// asked, and printed nowhere else.
pub struct LinkUrl(Zeroizing<String>);

impl LinkUrl {
    fn new(base: &LinkBase, token: &LinkToken) -> Self {
        Self(Zeroizing::new(format!(
            "{}{LINK_PATH}{}",
            base.0,
            token.expose().as_str()
        )))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for LinkUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LinkUrl([REDACTED])")
    }
}

/// What a status answer shows of a request: never a value, never its link.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestView {
    pub id: RequestId,
    pub name: CredentialName,
    pub kind: CredentialType,
    pub status: RequestStatus,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub fulfilled_at: Option<Timestamp>,
    pub credential_id: Option<String>,
}

impl RequestView {
    pub fn of(request: &CredentialRequestRecord, now: Timestamp) -> Self {
        let (fulfilled_at, credential_id) = match &request.state {
            RequestState::Fulfilled { credential_id, at } => {
                (Some(*at), Some(credential_id.clone()))
            }
            _ => (None, None),
        };
        Self {
            id: request.id.clone(),
            name: request.spec.name.clone(),
            kind: request.spec.kind,
            status: request.status(now),
            created_at: request.created_at,
            expires_at: request.expires_at,
            fulfilled_at,
            credential_id,
        }
    }
}

/// A new request and the link to hand to the person.
#[derive(Debug)]
pub struct RequestedLink {
    pub view: RequestView,
    pub url: LinkUrl,
}

impl<S: VaultStore, K: KeyProvider> Vault<S, K> {
    /// Makes a pending request and its link. The identity's pending index is read while the
    /// request is counted; the request is written with the index over the version read, so
    /// two requests made at once never pass the bound together (the later one reads again).
    pub(super) async fn request_credential(
        &self,
        call: &Call,
        spec: CredentialRequestSpec,
        base: &LinkBase,
    ) -> Result<RequestedLink, VaultError> {
        let identity = call.identity()?;
        let read = async { Ok(self.store.pending_requests(identity).await?) };
        let mut seen = self.admit(call, read).await?;
        let id = RequestId::generate().map_err(rng_failed)?;
        let token = LinkToken::generate(identity.clone(), id.clone()).map_err(rng_failed)?;
        let now = self.clock.now();
        let asked = i64::try_from(now.unix_seconds().saturating_add(spec.expires_in))
            .ok()
            .and_then(Timestamp::from_unix_seconds)
            .ok_or_else(|| VaultError::Internal("an expiry past the calendar".into()))?;
        // A link ends with the key that asked for it, if that comes first (to the second, as
        // the write conditions compare).
        let expires_at = match call.principal.limits.not_after {
            Some(not_after) if not_after < asked => {
                Timestamp::from_unix_seconds(not_after.unix_seconds() as i64).unwrap_or(not_after)
            }
            _ => asked,
        };
        // A plain-text field lands in metadata, which any key that sees the name lists: only a
        // key that may read the credential may ask for one (a use-only key gets no value).
        if spec.fields.iter().any(|field| !field.secret)
            && call
                .principal
                .limits
                .decide(&spec.name, Some(Capability::Read))
                != Decision::Allowed
        {
            return Err(VaultError::Forbidden(
                "A key whose grants do not allow `read` on this credential may ask only for \
                 secret fields"
                    .into(),
            ));
        }
        let request = CredentialRequestRecord {
            identity: identity.clone(),
            id,
            spec,
            created_at: now,
            expires_at,
            state: RequestState::Pending,
            secret_hash: token.secret_hash(),
            asked_by: call.key.as_str().to_owned(),
        };
        for _ in 0..MAX_CREATE_ATTEMPTS {
            let mut pending = seen.live(now);
            if pending.len() >= MAX_PENDING_REQUESTS {
                return Err(VaultError::TooManyPending);
            }
            pending.push((request.id.clone(), expires_at.unix_seconds()));
            // A fresh entry per attempt: its id is the write's idempotency token, which must
            // not come back with another body.
            let entry = self.credential_entry(call, Action::VaultRequest, &request.spec.name, 201);
            if self
                .store
                .create_request(&request, &seen, &pending, &entry)
                .await?
            {
                return Ok(RequestedLink {
                    view: RequestView::of(&request, now),
                    url: LinkUrl::new(base, &token),
                });
            }
            seen = self.store.pending_requests(identity).await?;
        }
        Err(VaultError::Contended)
    }

    /// A request of the caller's identity, as it stands; recorded as a read.
    pub(super) async fn request_status(
        &self,
        call: &Call,
        id: &RequestId,
    ) -> Result<RequestView, VaultError> {
        let request = self.visible_request(call, id).await?;
        let view = RequestView::of(&request, self.clock.now());
        let target = Target::Credential(request.spec.name);
        self.record_success(call, Action::VaultRequestStatus, Some(&target))
            .await;
        Ok(view)
    }

    /// Cancels a pending request: its link opens nothing after. Cancelling it again is no
    /// error; a fulfilled or expired one cannot be cancelled.
    pub(super) async fn cancel_request(
        &self,
        call: &Call,
        id: &RequestId,
    ) -> Result<RequestView, VaultError> {
        let action = Action::VaultRequestCancel;
        let identity = call.identity()?;
        let request = self.visible_request(call, id).await?;
        // Cancelling takes what asking took: `write` on the name.
        if let Decision::Lacks(capability) = call
            .principal
            .limits
            .decide(&request.spec.name, Some(Capability::Write))
        {
            return Err(VaultError::Ungranted(capability));
        }
        let now = self.clock.now();
        let target = Target::Credential(request.spec.name.clone());
        match request.status(now) {
            RequestStatus::Cancelled => {
                self.record_success(call, action, Some(&target)).await;
                return Ok(RequestView::of(&request, now));
            }
            RequestStatus::Pending => {}
            settled => {
                return Err(VaultError::Unsuitable(
                    VaultError::RequestClosed(settled).to_string(),
                ));
            }
        }
        let entry = self.entry(call, action, Some(&target), 200, None);
        if self.store.cancel_request(identity, id, now, &entry).await? {
            let cancelled = CredentialRequestRecord {
                state: RequestState::Cancelled { at: now },
                ..request
            };
            return Ok(RequestView::of(&cancelled, now));
        }
        // Settled since the read: say how it stands now.
        let now = self.clock.now();
        match self
            .store
            .request(identity, id)
            .await?
            .map(|r| r.status(now))
        {
            Some(settled) => Err(VaultError::Unsuitable(
                VaultError::RequestClosed(settled).to_string(),
            )),
            None => Err(VaultError::RequestNotFound),
        }
    }

    /// The caller's request `id`, counted against the rate limit as it is read; not found
    /// when it is for a name the key's grants do not let it see.
    async fn visible_request(
        &self,
        call: &Call,
        id: &RequestId,
    ) -> Result<CredentialRequestRecord, VaultError> {
        let identity = call.identity()?;
        let read = async { Ok(self.store.request(identity, id).await?) };
        let request = self.admit(call, read).await?;
        request
            .filter(|r| &r.identity == identity && call.principal.limits.sees(&r.spec.name))
            .ok_or(VaultError::RequestNotFound)
    }
}

//! A request link's side: opening its page, which reads and changes nothing, and its
//! submit, which the link authenticates as its identity, for the one credential asked for,
//! and which then runs through the same entry as every request (so it is authorized,
//! counted and recorded there, its channel `link`).

use super::entry::by;
use super::{Answer, Call, Handled, Intent, Request, Vault, VaultError, rng_failed};
use crate::auth::{KeyHash, Principal};
use crate::crypto::KeyProvider;
use crate::domain::{
    Access, Action, Caller, Capability, CredentialRequestRecord, Decision, Grant, KeyKind,
    KeyLimits, LinkToken, NamePattern, RequestStatus, Scope, Subject,
};
use crate::store::VaultStore;
use tokio::time::Instant;
use zeroize::Zeroizing;

/// How often a submit is written again when another write to the identity's pending index
/// won the race (two links of one identity filled at once).
const MAX_FULFIL_ATTEMPTS: usize = 3;

/// What a link's page shows, with a proof for this one page.
#[derive(Debug)]
pub struct LinkPage {
    pub request: CredentialRequestRecord,
    /// The name of the identity that asks.
    pub identity_name: String,
    pub proof: String,
}

/// A filled-in form: the values of the request's fields, in order, and the page's proof.
pub struct LinkSubmission {
    pub proof: String,
    pub values: Vec<Zeroizing<String>>,
    /// Whether the browser said it was sent from another site (`Sec-Fetch-Site`).
    pub cross_site: bool,
}

/// A request link's submit, once the link authenticated it: the credential, parsed as a
/// `PUT`'s, and the request it fulfils.
#[derive(Debug)]
pub struct Fulfilment {
    pub request: CredentialRequestRecord,
    pub credential: crate::domain::NewCredential,
}

impl<S: VaultStore, K: KeyProvider> Vault<S, K> {
    /// The link's request while it is open: its identity live, its secret the token's, still
    /// pending, and the key that asked still able to write the name (a link does not outlive
    /// a revoked key, nor its grants); with the identity's name. The request and the
    /// identity are read at once, then the key (from the principal cache when warm).
    async fn open_request(
        &self,
        token: &LinkToken,
    ) -> Result<(CredentialRequestRecord, String), VaultError> {
        let (request, profile) = tokio::join!(
            self.store.request(&token.identity, &token.request),
            self.store.profile(&token.identity)
        );
        let request = request?
            .filter(|r| r.identity == token.identity && token.matches(&r.secret_hash))
            .ok_or(VaultError::RequestNotFound)?;
        let profile = profile?
            .filter(|p| p.live)
            .ok_or(VaultError::RequestNotFound)?;
        let now = self.clock.now();
        match request.status(now) {
            RequestStatus::Pending => {}
            closed => return Err(VaultError::RequestClosed(closed)),
        }
        let asker = KeyHash::from_stored(KeyKind::Identity, &request.asked_by);
        let may_still_write = self.principal_of(asker).await?.is_some_and(|principal| {
            principal.subject == Subject::Identity(request.identity.clone())
                && principal.scopes.contains(&Scope::VaultWrite)
                && principal.limits.not_after.is_none_or(|end| now < end)
                && principal
                    .limits
                    .decide(&request.spec.name, Some(Capability::Write))
                    == Decision::Allowed
        });
        if !may_still_write {
            return Err(VaultError::RequestNotFound);
        }
        Ok((request, profile.name))
    }

    /// The page of an open link. A `GET` of a link changes nothing: no write, no entry, no
    /// count (link previewers and scanners open links).
    pub async fn open_link(
        &self,
        token: &LinkToken,
        deadline: Option<Instant>,
    ) -> Result<LinkPage, VaultError> {
        let (request, identity_name) = by(deadline, self.open_request(token)).await?;
        let proof = token
            .proof(self.clock.now().unix_seconds())
            .map_err(rng_failed)?;
        Ok(LinkPage {
            request,
            identity_name,
            proof,
        })
    }

    /// A submit of the link's form. Refusals of the link itself (unknown, closed, forged)
    /// are not recorded, as an unknown API key is not; once the link authenticates, the
    /// store is the request's identity's, recorded in its log whatever its outcome.
    pub async fn submit_link(
        &self,
        token: &LinkToken,
        submission: LinkSubmission,
        caller: Caller,
        deadline: Option<Instant>,
    ) -> Handled<Answer> {
        let opened = by(deadline, self.open_request(token)).await;
        let request = match opened {
            Ok((request, _)) => request,
            Err(err) => return Handled::anonymous(err),
        };
        let now = self.clock.now().unix_seconds();
        if submission.cross_site || !token.verifies(&submission.proof, now) {
            return Handled::anonymous(VaultError::ForgedForm);
        }
        let name = request.spec.name.clone();
        let principal = match link_principal(&request) {
            Ok(principal) => principal,
            Err(err) => return Handled::anonymous(err),
        };
        // Named by the key that asked: the link acts for it, never with more than it may do.
        let asker = KeyHash::from_stored(KeyKind::Identity, &request.asked_by);
        let call = Call::authenticated_as(principal, caller, asker).until(deadline);
        let values = submission.values;
        let input = Box::new(move || {
            let credential = request.spec.credential_from(&values)?;
            Ok(Request::Fulfil(Box::new(Fulfilment {
                request,
                credential,
            })))
        });
        let intent = Intent::on_credential(Action::VaultStore, Some(name));
        Handled {
            subject: Some(call.principal.subject.clone()),
            result: self.run(&call, intent, input).await,
        }
    }

    /// Stores the credential as a `PUT` does, and spends the link in the same write.
    pub(super) async fn fulfil(
        &self,
        call: &Call,
        fulfilment: Fulfilment,
    ) -> Result<crate::store::CredentialInfo, VaultError> {
        let Fulfilment {
            request,
            credential,
        } = fulfilment;
        let name = request.spec.name.clone();
        let record = self.sealed(call, &name, credential).await?;
        for _ in 0..MAX_FULFIL_ATTEMPTS {
            // A fresh entry per attempt: its id is the write's idempotency token.
            let entry = self
                .credential_entry(call, Action::VaultStore, &name, 200)
                .with_credential_id(&record.info.credential_id);
            let now = self.clock.now();
            if self
                .store
                .fulfil_request(&request, &record, now, &entry)
                .await?
            {
                return Ok(record.info);
            }
            // Spent, cancelled or expired since it was opened (perhaps by a submit racing this
            // one), or a write to the identity's pending index that won a race: nothing was
            // written, and only the last is worth another try.
            let now = self.clock.now();
            match self.store.request(&request.identity, &request.id).await? {
                Some(current) if current.status(now) != RequestStatus::Pending => {
                    return Err(VaultError::RequestClosed(current.status(now)));
                }
                Some(_) => continue,
                None => return Err(VaultError::RequestNotFound),
            }
        }
        Err(VaultError::Contended)
    }
}

/// Who a link's submit acts as: its identity, allowed to write the one name asked for and
/// nothing else.
fn link_principal(request: &CredentialRequestRecord) -> Result<Principal, VaultError> {
    // Every credential name is a pattern that matches itself alone.
    let name = NamePattern::parse(request.spec.name.as_str())
        .ok_or_else(|| VaultError::Internal("a credential name is no pattern".into()))?;
    Ok(Principal {
        subject: Subject::Identity(request.identity.clone()),
        scopes: vec![Scope::VaultWrite],
        limits: KeyLimits {
            grants: vec![Grant {
                names: vec![name],
                access: Access::Allow(vec![Capability::Write]),
            }],
            not_after: None,
            max_uses: None,
        },
    })
}

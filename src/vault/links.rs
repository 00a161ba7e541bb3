//! A request link's side: opening its page, which reads and changes nothing, and its
//! submit, which the link authenticates as its identity, for the one credential asked for,
//! and which then runs through the same entry as every request (so it is authorized,
//! counted and recorded there, its channel `link`).

use super::{Answer, Call, Handled, Intent, Request, Vault, VaultError, rng_failed};
use crate::auth::{KeyHash, Principal};
use crate::crypto::KeyProvider;
use crate::domain::{
    Access, Action, Caller, Capability, CredentialRequestRecord, Grant, KeyKind, KeyLimits,
    LinkToken, NamePattern, RequestStatus, Scope, Subject,
};
use crate::store::VaultStore;
use tokio::time::Instant;
use zeroize::Zeroizing;

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

async fn by<T>(
    deadline: Option<Instant>,
    work: impl Future<Output = Result<T, VaultError>>,
) -> Result<T, VaultError> {
    match deadline {
        None => work.await,
        Some(deadline) => tokio::time::timeout_at(deadline, work)
            .await
            .unwrap_or(Err(VaultError::OutOfTime)),
    }
}

impl<S: VaultStore, K: KeyProvider> Vault<S, K> {
    /// The link's request while it is open: its identity live, its secret the token's, and
    /// still pending; with the identity's name. Two reads, at once; nothing written.
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
        match request.status(self.clock.now()) {
            RequestStatus::Pending => Ok((request, profile.name)),
            closed => Err(VaultError::RequestClosed(closed)),
        }
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
        let call = Call::authenticated_as(
            link_principal(&request),
            caller,
            KeyHash::from_stored(KeyKind::Identity, &request.secret_hash),
        )
        .until(deadline);
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
        // one): nothing was written.
        let now = self.clock.now();
        match self.store.request(&request.identity, &request.id).await? {
            Some(current) if current.status(now) != RequestStatus::Pending => {
                Err(VaultError::RequestClosed(current.status(now)))
            }
            Some(_) => Err(VaultError::Contended),
            None => Err(VaultError::RequestNotFound),
        }
    }
}

/// Who a link's submit acts as: its identity, allowed to write the one name asked for and
/// nothing else.
fn link_principal(request: &CredentialRequestRecord) -> Principal {
    // Every credential name is a pattern that matches itself alone; were one not, the
    // principal would see nothing rather than everything.
    let only_this = match NamePattern::parse(request.spec.name.as_str()) {
        Some(name) => Grant {
            names: vec![name],
            access: Access::Allow(vec![Capability::Write]),
        },
        None => Grant {
            names: NamePattern::parse("*").into_iter().collect(),
            access: Access::Deny,
        },
    };
    Principal {
        subject: Subject::Identity(request.identity.clone()),
        scopes: vec![Scope::VaultWrite],
        limits: KeyLimits {
            grants: vec![only_this],
            not_after: None,
            max_uses: None,
        },
    }
}

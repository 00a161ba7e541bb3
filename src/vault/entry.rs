//! The one way into the use cases. Every edge hands over the key it was given, who called,
//! when the request must be answered by, and an [`Intent`] with the input still unread; the
//! vault authenticates, authorizes (before any input is read), parses, runs, and records the
//! outcome in the activity log exactly once, whatever the edge and however it ended.

use super::admission::Call;
use super::{Answer, Input, Intent, Request, Vault, VaultError};
use crate::auth::Principal;
use crate::crypto::KeyProvider;
use crate::domain::{Action, Caller, Subject};
use crate::store::VaultStore;
use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

/// How long, past its deadline, a request may still take to record that it ran out of time.
pub const RECORD_MARGIN: Duration = Duration::from_millis(100);

/// What a look at a session's message tells: the intent it carries, or a refusal with the
/// intent to record it under.
pub type Peeked = Result<Intent, (Intent, VaultError)>;

/// An outcome, and whose it was when the key authenticated (for the access log).
#[derive(Debug)]
pub struct Handled<T> {
    /// The identity, or the organisation of a platform key.
    pub subject: Option<Subject>,
    pub result: Result<T, VaultError>,
}

impl<T> Handled<T> {
    pub(super) fn anonymous(err: VaultError) -> Self {
        Self {
            subject: None,
            result: Err(err),
        }
    }
}

/// How a session (an MCP message) ended: the edge's answer, with the HTTP status it was
/// given and, when it is a JSON-RPC error, its code.
pub struct SessionEnd<T> {
    pub answer: T,
    pub status: u16,
    pub rpc_error: Option<i64>,
}

/// An authenticated session, for an edge that runs zero or more use cases per message (MCP):
/// each through [`Session::run`], with the same authorization and record as a single request.
pub struct Session<S, K> {
    vault: Vault<S, K>,
    call: Call,
}

impl<S, K> Clone for Session<S, K> {
    fn clone(&self) -> Self {
        Self {
            vault: self.vault.clone(),
            call: self.call.clone(),
        }
    }
}

impl<S: VaultStore, K: KeyProvider> Session<S, K> {
    pub fn principal(&self) -> &Principal {
        &self.call.principal
    }

    /// Whether the key may ask for `action` at all (a `tools/list` shows only those).
    pub fn permits(&self, action: Action) -> bool {
        self.vault.permits(&self.call.principal, action)
    }

    pub async fn run(&self, intent: Intent, input: Input<'_>) -> Result<Answer, VaultError> {
        self.vault.run(&self.call, intent, input).await
    }
}

fn ran_out_of_time() -> VaultError {
    VaultError::OutOfTime
}

/// `work`, cut at `deadline` (if any) with the 503 of a request that ran out of time.
pub(super) async fn by<T>(
    deadline: Option<Instant>,
    work: impl Future<Output = Result<T, VaultError>>,
) -> Result<T, VaultError> {
    match deadline {
        None => work.await,
        Some(deadline) => tokio::time::timeout_at(deadline, work)
            .await
            .unwrap_or_else(|_| Err(ran_out_of_time())),
    }
}

impl<S: VaultStore, K: KeyProvider> Vault<S, K> {
    /// One request (REST, the HTML page): `authorization` is the header's value as sent.
    pub async fn handle(
        &self,
        authorization: Option<&str>,
        caller: Caller,
        deadline: Option<Instant>,
        intent: Intent,
        input: Input<'_>,
    ) -> Handled<Answer> {
        let call = match by(deadline, self.authenticate(authorization, caller)).await {
            // Failures here belong to no identity, so they are not recorded.
            Err(err) => return Handled::anonymous(err),
            Ok(call) => call.until(deadline),
        };
        Handled {
            subject: Some(call.principal.subject.clone()),
            result: self.run(&call, intent, input).await,
        }
    }

    /// One message of a session (MCP). `peek` looks at the message once the key is known
    /// (never before): its tool and target, or why it is refused unread (with the intent to
    /// record the refusal under); `serve` answers it, running any use cases through the
    /// [`Session`] it is given. A message no use case recorded (initialize, tools/list, an
    /// unknown tool...) is recorded once as `mcp_session`.
    pub async fn session<T, P, F, Fut>(
        &self,
        authorization: Option<&str>,
        caller: Caller,
        deadline: Option<Instant>,
        peek: P,
        serve: F,
    ) -> Handled<T>
    where
        P: FnOnce() -> Peeked,
        F: FnOnce(Session<S, K>) -> Fut,
        Fut: Future<Output = SessionEnd<T>>,
    {
        let call = match by(deadline, self.authenticate(authorization, caller)).await {
            Err(err) => return Handled::anonymous(err),
            Ok(call) => call.until(deadline),
        };
        let subject = Some(call.principal.subject.clone());
        let result = self.serve_session(call, peek(), serve).await;
        Handled { subject, result }
    }

    async fn serve_session<T, F, Fut>(
        &self,
        call: Call,
        peek: Peeked,
        serve: F,
    ) -> Result<T, VaultError>
    where
        F: FnOnce(Session<S, K>) -> Fut,
        Fut: Future<Output = SessionEnd<T>>,
    {
        let intent = match peek {
            Ok(intent) => intent,
            Err((intent, refused)) => return Err(self.refuse(&call, &intent, refused).await),
        };
        // A key past its notAfter opens no session; a client this instance already refused
        // this minute gets no more of the edge's work.
        if let Err(expired) = self.refuse_expired(&call) {
            return Err(self.refuse(&call, &intent, expired).await);
        }
        if let Some(limited) = self.known_over_limit(&call) {
            return Err(self.refuse(&call, &intent, limited).await);
        }
        let session = Session {
            vault: self.clone(),
            call: call.clone(),
        };
        // The use cases inside stop at the deadline and record themselves within the margin;
        // the session waits out that margin, and one more, before it gives up and records.
        let ended = match call.deadline {
            None => serve(session).await,
            Some(deadline) => {
                match tokio::time::timeout_at(deadline + 2 * RECORD_MARGIN, serve(session)).await {
                    Ok(ended) => ended,
                    Err(_) if call.was_recorded() => return Err(ran_out_of_time()),
                    Err(_) => return Err(self.refuse(&call, &intent, ran_out_of_time()).await),
                }
            }
        };
        if !call.was_recorded() {
            let record = self.protocol_message(&call, ended.status, ended.rpc_error);
            match call.deadline {
                None => record.await?,
                // Past it, the answer goes out unrecorded rather than late.
                Some(deadline) => tokio::time::timeout_at(deadline + 2 * RECORD_MARGIN, record)
                    .await
                    .unwrap_or(Ok(()))?,
            }
        }
        Ok(ended.answer)
    }

    /// Authorizes, parses, runs and records one use case for an authenticated call.
    pub(super) async fn run(
        &self,
        call: &Call,
        intent: Intent,
        input: Input<'_>,
    ) -> Result<Answer, VaultError> {
        let mut target = intent.target.clone();
        let work = async {
            self.authorize(call, intent.action)?;
            let request = input()?;
            if request.action() != intent.action {
                return Err(VaultError::Internal(format!(
                    "{} parsed as {}",
                    intent.action.as_str(),
                    request.action().as_str()
                )));
            }
            target = request.target();
            Self::within_grants(call, &request)?;
            self.perform(call, request).await
        };
        let result = by(call.deadline, work).await;
        let settled = self
            .settle(call, intent.action, target.as_ref(), result)
            .await;
        call.mark_recorded();
        settled
    }

    /// Records a refusal of `intent` made before any use case ran.
    async fn refuse(&self, call: &Call, intent: &Intent, err: VaultError) -> VaultError {
        let settled = self
            .settle::<()>(call, intent.action, intent.target.as_ref(), Err(err))
            .await;
        call.mark_recorded();
        settled
            .err()
            .unwrap_or_else(|| VaultError::Internal("a refusal settled".into()))
    }

    /// Runs the use case `request` names. Each records its own success with the write it
    /// makes anyway; failures are recorded by [`Vault::run`].
    async fn perform(&self, call: &Call, request: Request) -> Result<Answer, VaultError> {
        Ok(match request {
            Request::Store { name, credential } => {
                Answer::Stored(self.store(call, &name, credential).await?)
            }
            Request::Read(name) => Answer::Read(self.read(call, &name).await?),
            Request::List(query) => Answer::Listed(self.list(call, &query).await?),
            Request::Delete(name) => {
                self.delete(call, &name).await?;
                Answer::Deleted(name)
            }
            Request::Totp(name) => Answer::Totp(self.totp(call, &name).await?),
            Request::UseBackupCode(name) => {
                Answer::BackupCode(self.use_backup_code(call, &name).await?)
            }
            Request::Broker(name, request) => {
                Answer::Brokered(self.broker(call, &name, &request).await?)
            }
            Request::CreateLink(spec, base) => {
                Answer::LinkCreated(self.request_credential(call, spec, &base).await?)
            }
            Request::LinkStatus(id) => Answer::LinkStatus(self.request_status(call, &id).await?),
            Request::CancelLink(id) => Answer::LinkStatus(self.cancel_request(call, &id).await?),
            Request::Fulfil(fulfilment) => Answer::Stored(self.fulfil(call, *fulfilment).await?),
            Request::Whoami => Answer::Whoami(self.whoami(call).await?),
            Request::Logs(query) => Answer::Logs(self.activity(call, &query).await?),
            Request::Stats => Answer::Stats(self.activity_stats(call).await?),
            Request::CreateIdentity(spec) => {
                Answer::IdentityCreated(self.create_identity(call, spec).await?)
            }
            Request::ListIdentities(query) => {
                Answer::Identities(self.list_identities(call, &query).await?)
            }
            Request::GetIdentity(identity) => {
                Answer::Identity(self.get_identity(call, &identity).await?)
            }
            Request::UpdateIdentity(identity, update) => {
                Answer::IdentityUpdated(self.update_identity(call, &identity, update).await?)
            }
            Request::DeleteIdentity(identity) => {
                self.delete_identity(call, &identity).await?;
                Answer::IdentityDeleted(identity)
            }
            Request::AddKey(identity, spec) => {
                Answer::KeyAdded(self.add_key(call, &identity, spec).await?)
            }
            Request::ListKeys(identity) => Answer::Keys(self.list_keys(call, &identity).await?),
            Request::RevokeKey(identity, key_id) => {
                self.revoke_key(call, &identity, &key_id).await?;
                Answer::KeyRevoked
            }
            Request::RotateKey(identity) => {
                Answer::KeyRotated(self.rotate_key(call, &identity).await?)
            }
        })
    }
}

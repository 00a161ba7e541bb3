//! The REST edge: a routed request becomes one [`Intent`] and, once the vault has authorized
//! it, one parsed [`Request`]; the vault's [`Answer`] becomes the contract's JSON.

mod platform;
mod query;
mod route;

pub use route::Route;

use crate::crypto::KeyProvider;
use crate::domain::{
    Action, BrokerRequest, Channel, CredentialName, CredentialRequestSpec, InvalidName, KeyKind,
    NewCredential, RequestId, Target,
};
use crate::store::VaultStore;
use crate::vault::{Answer, Input, Intent, LinkBase, Request, Vault, VaultError};
use crate::wire::{self, Failure, Served};
use lambda_http::http::request::Parts;
use lambda_http::{Body, Response};

/// Bodies over this are refused before they are parsed.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Serves a request on `route` whose method the route takes.
pub async fn serve<S: VaultStore, K: KeyProvider>(
    vault: &Vault<S, K>,
    route: Route<'_>,
    links: &LinkBase,
    parts: &Parts,
    body: &[u8],
    deadline: Option<tokio::time::Instant>,
) -> Served {
    let action = route.action(&parts.method);
    let name = route.name_segment().map(CredentialName::from_path_segment);
    let identity = route.identity_segment().map(platform::identity_of);
    let target = match (&name, &identity) {
        (Some(Ok(name)), _) => Some(Target::Credential(name.clone())),
        (_, Some(Some(identity))) => Some(Target::Identity(identity.clone())),
        _ => None,
    };
    let input: Input<'_> = match action.key_kind() {
        Some(KeyKind::Platform) => {
            let key = route.key_segment();
            Box::new(move || platform::parse(action, identity, key, parts, body))
        }
        _ => {
            let request = route.request_segment();
            Box::new(move || match action {
                Action::VaultRequest => Ok(Request::CreateLink(
                    CredentialRequestSpec::from_json(body)?,
                    links.clone(),
                )),
                Action::VaultRequestStatus | Action::VaultRequestCancel => {
                    // An id this API never gives out names no request.
                    let id = request
                        .and_then(RequestId::parse)
                        .ok_or(VaultError::RequestNotFound)?;
                    Ok(match action {
                        Action::VaultRequestCancel => Request::CancelLink(id),
                        _ => Request::LinkStatus(id),
                    })
                }
                _ => parse(action, name, parts, body),
            })
        }
    };
    let caller = wire::caller(parts, Channel::Rest);
    let handled = vault
        .handle(
            wire::authorization(parts),
            caller,
            deadline,
            Intent::new(action, target),
            input,
        )
        .await;
    Served {
        subject: handled.subject.map(|id| id.to_string()),
        outcome: handled.result.map(render).map_err(Failure::from),
    }
}

/// The request `action` stands for, from the path's name, the query and the body.
fn parse(
    action: Action,
    name: Option<Result<CredentialName, InvalidName>>,
    parts: &Parts,
    body: &[u8],
) -> Result<Request, VaultError> {
    let name = || match name {
        Some(Ok(name)) => Ok(name),
        Some(Err(invalid)) => Err(VaultError::BadInput(invalid.to_string())),
        None => Err(VaultError::Internal(format!(
            "{} routed without a name",
            action.as_str()
        ))),
    };
    Ok(match action {
        Action::VaultStore => {
            let name = name()?;
            if body.len() > MAX_BODY_BYTES {
                return Err(VaultError::TooLarge(format!(
                    "Request body is over {MAX_BODY_BYTES} bytes"
                )));
            }
            let credential = NewCredential::from_json(body)?;
            Request::Store { name, credential }
        }
        Action::VaultHttp => {
            let name = name()?;
            if body.len() > MAX_BODY_BYTES {
                return Err(VaultError::TooLarge(format!(
                    "Request body is over {MAX_BODY_BYTES} bytes"
                )));
            }
            Request::Broker(name, BrokerRequest::from_json(body)?)
        }
        Action::VaultGet => Request::Read(name()?),
        Action::VaultDelete => Request::Delete(name()?),
        Action::VaultTotp => Request::Totp(name()?),
        Action::VaultTotpUseBackup => Request::UseBackupCode(name()?),
        Action::VaultList => Request::List(query::list_query(parts).map_err(VaultError::BadInput)?),
        Action::IdentityWhoami => Request::Whoami,
        Action::LogsList => Request::Logs(query::log_query(parts).map_err(VaultError::BadInput)?),
        Action::LogsStats => Request::Stats,
        other => {
            return Err(VaultError::Internal(format!(
                "{} routed as a vault call",
                other.as_str()
            )));
        }
    })
}

fn render(answer: Answer) -> Response<Body> {
    let status = wire::answer_status(&answer);
    match wire::answer_json(&answer) {
        Some(text) => wire::json_response(status, text),
        None => {
            let mut response = Response::new(Body::Empty);
            *response.status_mut() = status;
            response
        }
    }
}

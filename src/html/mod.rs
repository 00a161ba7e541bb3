//! The HTML edge: a request link's page. `GET` shows the form and changes nothing; `POST`
//! reads the form into one submission, which the link authenticates and the vault runs as a
//! store through its one entry. Every answer is a page, with its status code; no page ever
//! holds a submitted value.

mod form;
mod page;

use crate::crypto::KeyProvider;
use crate::domain::{Channel, LinkToken, RequestStatus};
use crate::store::VaultStore;
use crate::vault::{Answer, ErrorKind, LINK_PATH, Vault, VaultError};
use crate::wire::{self, Served};
use lambda_http::http::request::Parts;
use lambda_http::http::{HeaderValue, Method, StatusCode, header};
use lambda_http::{Body, Response};
use tokio::time::Instant;

/// Whether `path` is a link's page.
pub fn is_link(path: &str) -> bool {
    path.starts_with(LINK_PATH)
}

/// Serves a link's page: `path` is the request's, under [`LINK_PATH`].
pub async fn serve<S: VaultStore, K: KeyProvider>(
    vault: &Vault<S, K>,
    path: &str,
    parts: &Parts,
    body: &[u8],
    deadline: Option<Instant>,
) -> Served {
    let anonymous = |response| Served {
        subject: None,
        outcome: Ok(response),
    };
    if !matches!(parts.method, Method::GET | Method::HEAD | Method::POST) {
        let mut response = page::notice(
            StatusCode::METHOD_NOT_ALLOWED,
            "Not allowed",
            "This page is opened (GET) and its form sent (POST), nothing else.",
            false,
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD, POST"));
        return anonymous(response);
    }
    let Some(token) = path.strip_prefix(LINK_PATH).and_then(LinkToken::parse) else {
        return anonymous(refusal(&VaultError::RequestNotFound));
    };
    match parts.method {
        Method::POST => submit(vault, &token, parts, body, deadline).await,
        _ => anonymous(match vault.open_link(&token, deadline).await {
            Ok(page) => page::form(&page, None, StatusCode::OK),
            Err(err) => refusal(&err),
        }),
    }
}

async fn submit<S: VaultStore, K: KeyProvider>(
    vault: &Vault<S, K>,
    token: &LinkToken,
    parts: &Parts,
    body: &[u8],
    deadline: Option<Instant>,
) -> Served {
    let submission = match form::read_form(parts, body) {
        Ok(submission) => submission,
        Err(err) => return form_again(vault, token, &err, deadline, None).await,
    };
    let caller = wire::caller(parts, Channel::Link);
    let handled = vault.submit_link(token, submission, caller, deadline).await;
    let subject = handled.subject.map(|s| s.to_string());
    match handled.result {
        Ok(Answer::Stored(info)) => Served {
            subject,
            outcome: Ok(page::notice(
                StatusCode::OK,
                "Saved",
                &format!(
                    "The credential {} is now in the agent's vault, encrypted. You can close \
                     this page.",
                    info.name
                ),
                true,
            )),
        },
        Ok(_) => Served {
            subject,
            outcome: Ok(refusal(&VaultError::Internal(
                "a link's submit answered something other than a store".into(),
            ))),
        },
        Err(err) => form_again(vault, token, &err, deadline, subject).await,
    }
}

/// After a refused submit: the form again with what was wrong, when the link is still open
/// and the fault is in what was typed; otherwise the page that says why.
async fn form_again<S: VaultStore, K: KeyProvider>(
    vault: &Vault<S, K>,
    token: &LinkToken,
    err: &VaultError,
    deadline: Option<Instant>,
    subject: Option<String>,
) -> Served {
    let typed_wrong = matches!(err, VaultError::BadInput(_) | VaultError::TooLarge(_));
    let response = match typed_wrong {
        true => match vault.open_link(token, deadline).await {
            Ok(page) => page::form(&page, Some(&err.public_message()), status_of(err)),
            Err(closed) => refusal(&closed),
        },
        false => refusal(err),
    };
    Served {
        subject,
        outcome: Ok(response),
    }
}

/// Whether the browser says the form was sent from another site: `Sec-Fetch-Site`, which
/// browsers set and pages cannot (every current browser sends it). `Origin` cannot tell:
/// the page's `no-referrer` policy makes browsers send `null` for its own form, and another
/// site can make them send `null` too. Without Fetch Metadata, the proof still holds: only
/// a page served for this link carries one.
fn cross_site(parts: &Parts) -> bool {
    parts
        .headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|site| !matches!(site, "same-origin" | "none"))
}

fn status_of(err: &VaultError) -> StatusCode {
    StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// The page for a link that cannot be used, or a request that failed.
fn refusal(err: &VaultError) -> Response<Body> {
    let (title, message) = match err {
        VaultError::RequestNotFound => (
            "This link is not valid",
            "Check that you opened the whole link. If it is right, the request it was made \
             for no longer exists: ask the agent for a new link.",
        ),
        VaultError::RequestClosed(RequestStatus::Fulfilled) => (
            "This link was already used",
            "The credential was saved when this link was first used, and a link works once. \
             If you did not fill it in yourself, someone else had the link: tell whoever runs \
             the agent that this credential must be replaced.",
        ),
        VaultError::RequestClosed(RequestStatus::Cancelled) => (
            "This request was cancelled",
            "The agent cancelled this request: it no longer needs this credential. Nothing \
             was saved from this page.",
        ),
        VaultError::RequestClosed(_) => (
            "This link has expired",
            "Nothing was saved from this page. Ask the agent for a new link.",
        ),
        VaultError::ForgedForm => (
            "This form cannot be accepted",
            "It was not sent from this link's own page. Open the link again and fill in the \
             form there.",
        ),
        other => match other.kind() {
            ErrorKind::RateLimited => (
                "Too many requests",
                "The vault is busy with this agent's requests. Try again in a minute.",
            ),
            ErrorKind::Unavailable => (
                "Try again in a moment",
                "The vault could not be reached just now. Open the link again: it says whether \
                 the credential was saved, and if not, the form is there to send again.",
            ),
            ErrorKind::Internal => {
                tracing::error!(target: "credvault::link", error = %other, "a link's page failed");
                (
                    "Something went wrong",
                    "Nothing was saved. Try again later.",
                )
            }
            _ => ("This request was refused", "Nothing was saved."),
        },
    };
    let mut response = page::notice(status_of(err), title, message, false);
    if let Some(seconds) = err.retry_after() {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

//! The HTML edge: a request link's page. `GET` shows the form and changes nothing; `POST`
//! reads the form into one submission, which the link authenticates and the vault runs as a
//! store through its one entry. Every answer is a page, with its status code; no page ever
//! holds a submitted value.

mod page;

use crate::crypto::KeyProvider;
use crate::domain::{Channel, LinkToken, MAX_FIELDS, RequestStatus};
use crate::store::VaultStore;
use crate::vault::{Answer, ErrorKind, LINK_PATH, LinkSubmission, Vault, VaultError};
use crate::wire::{self, Served};
use lambda_http::http::request::Parts;
use lambda_http::http::{HeaderValue, Method, StatusCode, header};
use lambda_http::{Body, Response};
use tokio::time::Instant;
use zeroize::Zeroizing;

/// A form over this is refused unread: the most a credential holds, with its encoding.
const MAX_FORM_BYTES: usize = 2 * 1024 * 1024;
const FORM_TYPE: &str = "application/x-www-form-urlencoded";

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
    let Some(token) = path.strip_prefix(LINK_PATH).and_then(LinkToken::parse) else {
        return anonymous(refusal(&VaultError::RequestNotFound));
    };
    match parts.method {
        Method::GET | Method::HEAD => anonymous(match vault.open_link(&token, deadline).await {
            Ok(page) => page::form(&page, None, StatusCode::OK),
            Err(err) => refusal(&err),
        }),
        Method::POST => submit(vault, &token, parts, body, deadline).await,
        _ => {
            let mut response = page::notice(
                StatusCode::METHOD_NOT_ALLOWED,
                "Not allowed",
                "This page is opened (GET) and its form sent (POST), nothing else.",
                false,
            );
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET, POST"));
            anonymous(response)
        }
    }
}

async fn submit<S: VaultStore, K: KeyProvider>(
    vault: &Vault<S, K>,
    token: &LinkToken,
    parts: &Parts,
    body: &[u8],
    deadline: Option<Instant>,
) -> Served {
    let submission = match read_form(parts, body) {
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

/// The form's proof and values, `v0`..`v{n}` in order. Anything else in it, a value given
/// twice, or a body that is not a form, is refused; values are wiped on drop.
fn read_form(parts: &Parts, body: &[u8]) -> Result<LinkSubmission, VaultError> {
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case(FORM_TYPE) {
        return Err(VaultError::BadInput(
            "The form must be sent as the page sends it".into(),
        ));
    }
    if body.len() > MAX_FORM_BYTES {
        return Err(VaultError::TooLarge(format!(
            "What was typed is over {} MiB",
            MAX_FORM_BYTES / (1024 * 1024)
        )));
    }
    let mut proof = None;
    let mut values: Vec<Option<Zeroizing<String>>> = vec![None; MAX_FIELDS];
    let mismatch =
        || VaultError::BadInput("The form does not match this request; open the link again".into());
    for (key, value) in url::form_urlencoded::parse(body) {
        let value = Zeroizing::new(value.into_owned());
        if key == "proof" {
            if proof.replace(value).is_some() {
                return Err(mismatch());
            }
            continue;
        }
        let index = key
            .strip_prefix('v')
            .and_then(|i| i.parse::<usize>().ok())
            .filter(|i| *i < MAX_FIELDS && key.len() <= 3)
            .ok_or_else(mismatch)?;
        if values[index].replace(value).is_some() {
            return Err(mismatch());
        }
    }
    // Values come as v0, v1, ... with no gap; the request checks there are as many as it
    // asks for.
    let given = values.iter().take_while(|v| v.is_some()).count();
    if values[given..].iter().any(Option::is_some) {
        return Err(mismatch());
    }
    Ok(LinkSubmission {
        proof: proof.map(|p| p.to_string()).unwrap_or_default(),
        values: values.into_iter().flatten().collect(),
        cross_site: cross_site(parts),
    })
}

/// Whether the browser says the form was sent from another site: `Sec-Fetch-Site`, which
/// browsers set and pages cannot; and, for browsers without it, an `Origin` that is not this
/// host's. (The page's `no-referrer` policy makes browsers send `Origin: null` for its own
/// form, so `null` passes.)
fn cross_site(parts: &Parts) -> bool {
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let fetched_elsewhere =
        header("sec-fetch-site").is_some_and(|site| !matches!(site, "same-origin" | "none"));
    let foreign_origin = header("origin").is_some_and(|origin| {
        let authority = origin.split_once("://").map(|(_, rest)| rest);
        origin != "null" && authority != header("host")
    });
    fetched_elsewhere || foreign_origin
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
            "The credential was saved when this link was first used; nothing more is needed. \
             A link works once.",
        ),
        VaultError::RequestClosed(RequestStatus::Cancelled) => (
            "This request was cancelled",
            "The agent no longer needs this credential. Nothing was saved from this page.",
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
                "The vault could not be reached just now. Nothing was saved; send the form again.",
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

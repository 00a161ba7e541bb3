//! What the HTTP-facing edges (REST, MCP, and next the HTML page) share: the JSON views of
//! the vault's answers, the error envelope and its response, and who called as API Gateway
//! describes them. Nothing here decides anything; it only renders and reads.

mod failure;
pub mod key_views;
pub mod link_views;
pub mod platform_views;
pub mod views;

pub use failure::Failure;

use crate::domain::{Caller, Channel};
use crate::vault::Answer;
use lambda_http::http::request::Parts;
use lambda_http::http::{HeaderValue, Method, StatusCode, header};
use lambda_http::request::RequestContext;
use lambda_http::{Body, RequestExt, Response};
use platform_views::{
    CreatedIdentityView, IdentityPageView, IdentitySummaryView, RotatedKeyView, UpdatedIdentityView,
};
use serde::Serialize;
use views::{
    BackupView, BrokeredView, ListView, ListedView, LogPageView, ReadView, StatsView, TotpView,
    WhoamiView,
};

/// What an edge made of a request: the answer or the refusal, and whose it was (for the
/// access log).
pub struct Served {
    /// The identity, or the organisation of a platform key.
    pub subject: Option<String>,
    pub outcome: Result<Response<Body>, Failure>,
}

/// User agents are kept to this many characters in the log.
const MAX_USER_AGENT: usize = 256;

/// The status REST answers with: `201` for a new identity or key, `204` for a delete.
pub fn answer_status(answer: &Answer) -> StatusCode {
    match answer {
        Answer::IdentityCreated(_) | Answer::KeyAdded(_) | Answer::LinkCreated(_) => {
            StatusCode::CREATED
        }
        Answer::Deleted(_) | Answer::IdentityDeleted(_) | Answer::KeyRevoked => {
            StatusCode::NO_CONTENT
        }
        _ => StatusCode::OK,
    }
}

/// The JSON text of an answer; `None` for a delete, which each edge acknowledges its own way.
pub fn answer_json(answer: &Answer) -> Option<String> {
    fn text(view: impl Serialize) -> String {
        // Views are plain structs and maps with string keys: serialising them cannot fail.
        serde_json::to_string(&view).unwrap_or_default()
    }
    Some(match answer {
        // With `lastUsedAt` and `lastRotatedAt` (null on a new credential), as the hosted
        // product's Node SDK declares the answer.
        Answer::Stored(info) => text(ListedView::of(info)),
        Answer::Read(read) => text(ReadView::of(&read.info, &read.data, read.has_totp)),
        Answer::Listed(page) => text(ListView::of(page)),
        Answer::Deleted(_) => return None,
        Answer::Totp(totp) => text(TotpView::of(totp)),
        Answer::BackupCode(code) => text(BackupView::of(code)),
        Answer::Brokered(answer) => text(BrokeredView::of(answer)),
        Answer::LinkCreated(link) => text(link_views::RequestedLinkView::of(link)),
        Answer::LinkStatus(view) => text(link_views::RequestStatusView::of(view)),
        Answer::Whoami(who) => text(WhoamiView::of(who)),
        Answer::Logs(page) => text(LogPageView::of(page)),
        Answer::Stats(stats) => text(StatsView::of(stats)),
        Answer::IdentityCreated(minted) => text(CreatedIdentityView::of(minted)),
        Answer::Identities(page) => text(IdentityPageView::of(page)),
        Answer::Identity(view) => text(IdentitySummaryView::of(view, true)),
        Answer::IdentityUpdated(view) => text(UpdatedIdentityView::of(view)),
        Answer::IdentityDeleted(_) => return None,
        Answer::KeyRotated(rotated) => text(RotatedKeyView::of(rotated)),
        Answer::KeyAdded(added) => text(key_views::added_key(added)),
        Answer::Keys(keys) => text(key_views::key_list(keys)),
        Answer::KeyRevoked => return None,
    })
}

/// A JSON answer. Answers may carry secrets: no cache along the way may keep them.
pub fn json_response(status: StatusCode, text: String) -> Response<Body> {
    let mut response = Response::new(Body::Text(text));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A refusal in the contract's envelope, with the headers its kind calls for.
pub fn error_response(failure: &Failure) -> Response<Body> {
    let status =
        StatusCode::from_u16(failure.kind.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let text = serde_json::to_string(&failure.envelope()).unwrap_or_default();
    let mut response = json_response(status, text);
    let headers = response.headers_mut();
    if let Some(allowed) = failure.allow {
        let allow = allowed
            .iter()
            .map(Method::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        if let Ok(value) = HeaderValue::from_str(&allow) {
            headers.insert(header::ALLOW, value);
        }
    }
    if status == StatusCode::UNAUTHORIZED {
        // RFC 9110: a 401 names the scheme it wants; MCP clients read it too.
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"credvault\""),
        );
    }
    if let Some(seconds) = failure.retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// Who sent the request, as API Gateway's request context (or the headers) say.
pub fn caller(parts: &Parts, channel: Channel) -> Caller {
    let (request_id, source_ip) = match parts.extensions.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => {
            (context.request_id.clone(), context.http.source_ip.clone())
        }
        Some(RequestContext::ApiGatewayV1(context)) => (
            context.request_id.clone(),
            context.identity.source_ip.clone(),
        ),
        _ => (None, None),
    };
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(MAX_USER_AGENT)
        .collect();
    Caller {
        channel,
        request_id: request_id.unwrap_or_default(),
        source_ip: source_ip.unwrap_or_default(),
        user_agent,
    }
}

/// The `Authorization` header's value, if it is text.
pub fn authorization(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
}

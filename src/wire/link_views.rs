//! The JSON of credential requests: the new request with its link (the one answer that
//! carries it), and a request as it stands (never a value, never the link).

use crate::vault::{RequestView, RequestedLink};
use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestStatusView<'a> {
    request_id: &'a str,
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    status: &'static str,
    created_at: String,
    expires_at: String,
    fulfilled_at: Option<String>,
    credential_id: Option<&'a str>,
}

impl<'a> RequestStatusView<'a> {
    pub fn of(view: &'a RequestView) -> Self {
        Self {
            request_id: view.id.as_str(),
            name: view.name.as_str(),
            kind: view.kind.as_str(),
            status: view.status.as_str(),
            created_at: view.created_at.to_string(),
            expires_at: view.expires_at.to_string(),
            fulfilled_at: view.fulfilled_at.map(|t| t.to_string()),
            credential_id: view.credential_id.as_deref(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestedLinkView<'a> {
    request_id: &'a str,
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    url: &'a str,
    expires_at: String,
    status: &'static str,
}

impl<'a> RequestedLinkView<'a> {
    pub fn of(link: &'a RequestedLink) -> Self {
        Self {
            request_id: link.view.id.as_str(),
            name: link.view.name.as_str(),
            kind: link.view.kind.as_str(),
            url: link.url.expose(),
            expires_at: link.view.expires_at.to_string(),
            status: link.view.status.as_str(),
        }
    }
}

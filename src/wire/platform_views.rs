//! The JSON of a platform key's answers, in the hosted product's shapes: every field its
//! official clients read (`purpose`, `emailAddress`, `count`...), those that have no meaning
//! here fixed (`type`, `purpose`, no inbox).

use crate::store::IdentityRecord;
use crate::vault::{IdentityPage, IdentityQuery, IdentityView, MintedIdentity, RotatedKey};
use serde::Serialize;

const TYPE: &str = "AGENT";
const PURPOSE: &str = "BUYER";

fn scope_names(scopes: &[crate::domain::Scope]) -> Vec<&'static str> {
    scopes.iter().map(|s| s.as_str()).collect()
}

/// `POST /v0/platform/identities`: the new identity and its key, shown once.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedIdentityView<'a> {
    identity_id: &'a str,
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    purpose: &'static str,
    email_address: Option<&'static str>,
    scopes: Vec<&'static str>,
    api_key_prefix: &'a str,
    raw_key: &'a str,
    created_at: String,
}

impl<'a> CreatedIdentityView<'a> {
    pub fn of(minted: &'a MintedIdentity) -> Self {
        let record = &minted.record;
        Self {
            identity_id: record.identity.as_str(),
            name: &record.name,
            kind: TYPE,
            purpose: PURPOSE,
            email_address: None,
            scopes: scope_names(&record.scopes),
            api_key_prefix: &record.key_prefix,
            raw_key: minted.raw_key.expose(),
            created_at: record.created_at.to_string(),
        }
    }
}

/// An identity as lists show it; `GET /{id}` adds `apiKeyPrefix`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentitySummaryView<'a> {
    identity_id: &'a str,
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    purpose: &'static str,
    email: Option<&'static str>,
    scopes: Vec<&'static str>,
    usage_count: u64,
    last_used_at: Option<String>,
    created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_key_prefix: Option<&'a str>,
}

impl<'a> IdentitySummaryView<'a> {
    pub fn of(view: &'a IdentityView, with_key_prefix: bool) -> Self {
        let record = &view.record;
        Self {
            identity_id: record.identity.as_str(),
            name: &record.name,
            kind: TYPE,
            purpose: PURPOSE,
            email: None,
            scopes: scope_names(&record.scopes),
            usage_count: view.usage_count,
            last_used_at: view.last_used_at.map(|t| t.to_string()),
            created_at: record.created_at.to_string(),
            api_key_prefix: with_key_prefix.then_some(record.key_prefix.as_str()),
        }
    }
}

/// `GET /v0/platform/identities`: `nextPageToken` only when there is a next page (the
/// hosted product's clients read it as optional).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IdentityPageView<'a> {
    identities: Vec<IdentitySummaryView<'a>>,
    count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_page_token: Option<String>,
}

impl<'a> IdentityPageView<'a> {
    pub fn of(page: &'a IdentityPage) -> Self {
        Self {
            identities: page
                .identities
                .iter()
                .map(|view| IdentitySummaryView::of(view, false))
                .collect(),
            count: page.identities.len(),
            next_page_token: page.next.as_ref().map(IdentityQuery::token_after),
        }
    }
}

/// `PATCH /v0/platform/identities/{id}`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdatedIdentityView<'a> {
    identity_id: &'a str,
    name: &'a str,
    scopes: Vec<&'static str>,
}

impl<'a> UpdatedIdentityView<'a> {
    pub fn of(record: &'a IdentityRecord) -> Self {
        Self {
            identity_id: record.identity.as_str(),
            name: &record.name,
            scopes: scope_names(&record.scopes),
        }
    }
}

/// `POST /v0/platform/identities/{id}/rotate-key`: the new key, shown once.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RotatedKeyView<'a> {
    raw_key: &'a str,
    api_key_prefix: &'a str,
}

impl<'a> RotatedKeyView<'a> {
    pub fn of(rotated: &'a RotatedKey) -> Self {
        Self {
            raw_key: rotated.raw_key.expose(),
            api_key_prefix: &rotated.key_prefix,
        }
    }
}

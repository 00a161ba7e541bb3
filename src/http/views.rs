//! The JSON bodies the API answers with, as typed views over the vault's answers.

use crate::domain::SecretData;
use crate::store::CredentialInfo;
use crate::vault::{BackupAnswer, TotpAnswer};
use serde::Serialize;
use serde_json::{Map, Value};

/// A credential without its `data`, as the store call answers.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredView<'a> {
    credential_id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    name: &'a str,
    metadata: &'a Option<Map<String, Value>>,
    expires_at: Option<String>,
    created_at: String,
}

impl<'a> StoredView<'a> {
    pub fn of(info: &'a CredentialInfo) -> Self {
        Self {
            credential_id: &info.credential_id,
            kind: info.kind.as_str(),
            name: info.name.as_str(),
            metadata: &info.metadata,
            expires_at: info.expires_at.map(|t| t.to_string()),
            created_at: info.created_at.to_string(),
        }
    }
}

/// A credential as listed: the stored fields and when it was last used and rotated.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListedView<'a> {
    #[serde(flatten)]
    stored: StoredView<'a>,
    last_used_at: Option<String>,
    last_rotated_at: Option<String>,
}

impl<'a> ListedView<'a> {
    pub fn of(info: &'a CredentialInfo) -> Self {
        Self {
            stored: StoredView::of(info),
            last_used_at: info.last_used_at.map(|t| t.to_string()),
            last_rotated_at: info.last_rotated_at.map(|t| t.to_string()),
        }
    }
}

/// `GET /v0/vault`.
#[derive(Serialize)]
pub struct ListView<'a> {
    count: usize,
    credentials: Vec<ListedView<'a>>,
}

impl<'a> ListView<'a> {
    pub fn of(credentials: &'a [CredentialInfo]) -> Self {
        Self {
            count: credentials.len(),
            credentials: credentials.iter().map(ListedView::of).collect(),
        }
    }
}

/// A credential as read: with its data (TOTP seeds masked) and `hasTOTP`.
#[derive(Serialize)]
pub struct ReadView<'a> {
    #[serde(flatten)]
    listed: ListedView<'a>,
    data: &'a Map<String, Value>,
    #[serde(rename = "hasTOTP")]
    has_totp: bool,
}

impl<'a> ReadView<'a> {
    pub fn of(info: &'a CredentialInfo, data: &'a SecretData, has_totp: bool) -> Self {
        Self {
            listed: ListedView::of(info),
            data: data.expose(),
            has_totp,
        }
    }
}

/// `GET /v0/vault/{name}/totp`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TotpView<'a> {
    code: &'a str,
    remaining: u64,
    backup_codes_remaining: usize,
}

impl<'a> TotpView<'a> {
    pub fn of(answer: &'a TotpAnswer) -> Self {
        Self {
            code: &answer.code,
            remaining: answer.remaining,
            backup_codes_remaining: answer.backup_codes_remaining,
        }
    }
}

/// `POST /v0/vault/{name}/totp/backup`.
#[derive(Serialize)]
pub struct BackupView<'a> {
    code: &'a str,
    remaining: usize,
}

impl<'a> BackupView<'a> {
    pub fn of(answer: &'a BackupAnswer) -> Self {
        Self {
            code: &answer.code,
            remaining: answer.remaining,
        }
    }
}

/// The contract's one error shape.
#[derive(Serialize)]
pub struct ErrorView<'a> {
    pub error: &'a str,
    pub message: &'a str,
    pub status: u16,
}

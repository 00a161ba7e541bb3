//! The JSON bodies the API answers with, as typed views over the vault's answers.

use crate::domain::{
    ActivityEntry, ActivityStats, ListCursor, LogPage, Metadata, SecretData, Target,
};
use crate::store::CredentialInfo;
use crate::vault::{BackupAnswer, BrokeredAnswer, CredentialPage, TotpAnswer, Whoami};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// A credential without its `data`, as the store call answers.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredView<'a> {
    credential_id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    name: &'a str,
    metadata: Option<&'a RawValue>,
    expires_at: Option<String>,
    created_at: String,
    /// credvault's own: shown when set, so the seed's answers keep their shape.
    #[serde(skip_serializing_if = "Option::is_none")]
    use_policy: Option<Value>,
}

impl<'a> StoredView<'a> {
    pub fn of(info: &'a CredentialInfo) -> Self {
        Self {
            credential_id: &info.credential_id,
            kind: info.kind.as_str(),
            name: info.name.as_str(),
            metadata: info.metadata.as_ref().map(Metadata::as_json),
            expires_at: info.expires_at.map(|t| t.to_string()),
            created_at: info.created_at.to_string(),
            use_policy: info
                .use_policy
                .as_ref()
                .map(crate::domain::UsePolicy::to_value),
        }
    }
}

/// A brokered request's answer: the upstream's status, headers and body, scrubbed.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokeredView {
    status: u16,
    headers: Map<String, Value>,
    body: String,
    /// `utf8`, or `base64` when the body is not UTF-8.
    body_encoding: &'static str,
    truncated: bool,
}

/// The length of `text` as a JSON string's contents.
fn escaped_len(text: &str) -> usize {
    text.chars()
        .map(|c| match c {
            '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
            c if (c as u32) < 0x20 => 6,
            c => c.len_utf8(),
        })
        .sum()
}

impl BrokeredView {
    pub fn of(answer: &BrokeredAnswer) -> Self {
        // Text that JSON escaping would make larger than its base64 (control characters,
        // quotes) goes as base64 too: an answer, copied twice in an MCP result, stays well
        // under Lambda's 6 MB response limit whatever the upstream sent.
        let base64 = || data_encoding::BASE64.encode(&answer.body);
        let (body, body_encoding) = match std::str::from_utf8(&answer.body) {
            Ok(text) if escaped_len(text) <= data_encoding::BASE64.encode_len(text.len()) => {
                (text.to_owned(), "utf8")
            }
            _ => (base64(), "base64"),
        };
        Self {
            status: answer.status,
            headers: answer
                .headers
                .iter()
                .map(|(name, value)| (name.clone(), Value::String(value.clone())))
                .collect(),
            body,
            body_encoding,
            truncated: answer.truncated,
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

/// `GET /v0/vault`: the hosted product's `{count, credentials}`, and `nextPageToken` when a
/// page was asked for (`null` on the last).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListView<'a> {
    count: usize,
    credentials: Vec<ListedView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_page_token: Option<Option<String>>,
}

impl<'a> ListView<'a> {
    pub fn of(page: &'a CredentialPage) -> Self {
        Self {
            count: page.credentials.len(),
            credentials: page.credentials.iter().map(ListedView::of).collect(),
            next_page_token: page
                .paged
                .then(|| page.next.as_ref().map(ListCursor::to_token)),
        }
    }
}

/// A credential as read: with its data (TOTP seeds masked) and `hasTOTP`.
#[derive(Serialize)]
pub struct ReadView<'a> {
    #[serde(flatten)]
    listed: ListedView<'a>,
    data: &'a RawValue,
    #[serde(rename = "hasTOTP")]
    has_totp: bool,
}

impl<'a> ReadView<'a> {
    pub fn of(info: &'a CredentialInfo, data: &'a SecretData, has_totp: bool) -> Self {
        Self {
            listed: ListedView::of(info),
            data: data.expose_json(),
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

/// `GET /v0/whoami`: the hosted product's fields; those with no meaning here are fixed.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WhoamiView<'a> {
    identity_id: &'a str,
    name: &'a str,
    email: &'static str,
    display_name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    purpose: &'static str,
    scopes: Vec<&'static str>,
    usage_count: u64,
    last_used_at: Option<String>,
    created_at: String,
    wallet: Option<()>,
    /// credvault's own: the calling key's grants, expiry and budget, when it has any.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    limits: Option<serde_json::Value>,
}

impl<'a> WhoamiView<'a> {
    pub fn of(who: &'a Whoami) -> Self {
        Self {
            identity_id: &who.identity_id,
            name: &who.name,
            email: "",
            display_name: &who.name,
            kind: "AGENT",
            purpose: "BUYER",
            scopes: who.scopes.iter().map(|s| s.as_str()).collect(),
            usage_count: who.usage_count,
            last_used_at: who.last_used_at.map(|t| t.to_string()),
            created_at: who.created_at.to_string(),
            wallet: None,
            limits: (!who.limits.is_unlimited()).then(|| who.limits.to_json()),
        }
    }
}

/// One activity entry.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEntryView<'a> {
    id: &'a str,
    action: &'static str,
    category: &'static str,
    status: &'static str,
    severity: &'static str,
    description: &'a str,
    target_type: Option<&'static str>,
    target_id: Option<&'a str>,
    metadata: LogMetadataView<'a>,
    duration_ms: u64,
    created_at: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LogMetadataView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    credential_id: Option<&'a str>,
    http_status: u16,
    channel: &'static str,
    request_id: &'a str,
    source_ip: &'a str,
    user_agent: &'a str,
}

impl<'a> LogEntryView<'a> {
    pub fn of(entry: &'a ActivityEntry) -> Self {
        Self {
            id: &entry.id,
            action: entry.action.as_str(),
            category: entry.category.as_str(),
            status: entry.outcome.as_str(),
            severity: entry.severity.as_str(),
            description: &entry.description,
            target_type: entry.target.as_ref().map(Target::kind),
            target_id: entry.target.as_ref().map(|t| t.as_str()),
            metadata: LogMetadataView {
                credential_id: entry.credential_id.as_deref(),
                http_status: entry.http_status,
                channel: entry.caller.channel.as_str(),
                request_id: &entry.caller.request_id,
                source_ip: &entry.caller.source_ip,
                user_agent: &entry.caller.user_agent,
            },
            duration_ms: entry.duration_ms,
            created_at: entry.created_at.to_string(),
        }
    }
}

/// `GET /v0/logs`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogPageView<'a> {
    logs: Vec<LogEntryView<'a>>,
    count: usize,
    next_page_token: Option<&'a str>,
}

impl<'a> LogPageView<'a> {
    pub fn of(page: &'a LogPage) -> Self {
        Self {
            logs: page.entries.iter().map(LogEntryView::of).collect(),
            count: page.entries.len(),
            next_page_token: page.next_page_token.as_deref(),
        }
    }
}

/// `GET /v0/logs/stats`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatsView {
    total: u64,
    today: u64,
    errors: u64,
    by_category: Map<String, Value>,
}

impl StatsView {
    pub fn of(stats: &ActivityStats) -> Self {
        Self {
            total: stats.total,
            today: stats.today,
            errors: stats.errors,
            by_category: stats
                .by_category
                .iter()
                .map(|(c, n)| (c.as_str().to_owned(), Value::from(*n)))
                .collect(),
        }
    }
}

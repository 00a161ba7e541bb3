//! The activity log's item codec: an entry as a DynamoDB item under `LOG#<subject>`, its
//! sort key the entry's time and id (so a page is a range of one partition), and back.

use super::item::{Item, key_item, malformed, n, s, text};
use super::layout::{TableLayout, attr};
use aws_sdk_dynamodb::types::AttributeValue;

use crate::dependency::DependencyError;
use crate::domain::{
    Action, ActivityEntry, Caller, Category, Channel, CredentialName, IdentityId, LogCursor,
    Outcome, Severity, Subject, Target, Timestamp,
};

pub(super) fn entry_item(entry: &ActivityEntry) -> Item {
    let cursor = LogCursor::of(entry);
    let mut item = key_item((TableLayout::log_pk(&entry.subject), cursor.sort_key()));
    item.extend([
        ("id".to_owned(), s(&entry.id)),
        // The subject's id (an identity's, or an organisation's) under the attribute name
        // entries had before organisations existed.
        (attr::IDENTITY_ID.to_owned(), s(entry.subject.as_str())),
        ("action".to_owned(), s(entry.action.as_str())),
        ("category".to_owned(), s(entry.category.as_str())),
        ("outcome".to_owned(), s(entry.outcome.as_str())),
        ("severity".to_owned(), s(entry.severity.as_str())),
        ("description".to_owned(), s(&entry.description)),
        ("httpStatus".to_owned(), n(entry.http_status)),
        ("channel".to_owned(), s(entry.caller.channel.as_str())),
        ("requestId".to_owned(), s(&entry.caller.request_id)),
        ("sourceIp".to_owned(), s(&entry.caller.source_ip)),
        ("userAgent".to_owned(), s(&entry.caller.user_agent)),
        ("durationMs".to_owned(), n(entry.duration_ms)),
        (attr::CREATED_AT.to_owned(), s(entry.created_at.to_string())),
        (
            TableLayout::TTL.to_owned(),
            n(entry.expires_at.unix_seconds()),
        ),
    ]);
    if let Some(target) = &entry.target {
        item.insert("targetId".to_owned(), s(target.as_str()));
        item.insert("targetType".to_owned(), s(target.kind()));
    }
    if let Some(id) = &entry.credential_id {
        item.insert(attr::CREDENTIAL_ID.to_owned(), s(id));
    }
    if entry.mirrored {
        item.insert(MIRRORED.to_owned(), AttributeValue::Bool(true));
    }
    item
}

/// Set on a mirrored entry (see [`ActivityEntry::mirrored`]).
const MIRRORED: &str = "mirrored";

/// What an entry was about: a credential (entries before identities could be targets have
/// no `targetType`), or an identity.
fn target_of(item: &Item) -> Option<Target> {
    let id = item.get("targetId").and_then(|v| v.as_s().ok())?;
    match item
        .get("targetType")
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
    {
        Some("identity") => IdentityId::parse(id).map(Target::Identity),
        _ => CredentialName::parse(id).ok().map(Target::Credential),
    }
}

pub(super) fn entry_from_item(item: &Item) -> Result<ActivityEntry, DependencyError> {
    let field = |name: &str| text(item, name);
    let number = |name: &str| {
        item.get(name)
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or_else(|| malformed(name))
    };
    let parsed = |name: &str, ok: bool| if ok { Ok(()) } else { Err(malformed(name)) };
    let action = Action::parse(field("action")?);
    parsed("action", action.is_some())?;
    let created_at =
        Timestamp::parse(field(attr::CREATED_AT)?).ok_or_else(|| malformed("createdAt"))?;
    let channel = match field("channel")? {
        "mcp" => Channel::Mcp,
        "link" => Channel::Link,
        _ => Channel::Rest,
    };
    Ok(ActivityEntry {
        id: field("id")?.to_owned(),
        subject: Subject::parse(field(attr::IDENTITY_ID)?)
            .ok_or_else(|| malformed(attr::IDENTITY_ID))?,
        action: action.ok_or_else(|| malformed("action"))?,
        category: Category::parse(field("category")?).ok_or_else(|| malformed("category"))?,
        outcome: Outcome::parse(field("outcome")?).ok_or_else(|| malformed("outcome"))?,
        severity: Severity::parse(field("severity")?).ok_or_else(|| malformed("severity"))?,
        description: field("description")?.to_owned(),
        target: target_of(item),
        credential_id: field(attr::CREDENTIAL_ID).ok().map(str::to_owned),
        http_status: u16::try_from(number("httpStatus")?).map_err(|_| malformed("httpStatus"))?,
        caller: Caller {
            channel,
            request_id: field("requestId")?.to_owned(),
            source_ip: field("sourceIp")?.to_owned(),
            user_agent: field("userAgent")?.to_owned(),
        },
        duration_ms: number("durationMs")?,
        created_at,
        expires_at: Timestamp::from_unix_seconds(number(TableLayout::TTL)? as i64)
            .ok_or_else(|| malformed("ttl"))?,
        mirrored: item.get(MIRRORED).and_then(|v| v.as_bool().ok()) == Some(&true),
    })
}

//! The item codec of credential requests: the request's item with its fixed fields under
//! the key-item MAC, and the identity's pending index.

use super::item::{Item, b, key_item, malformed, n, s, text};
use super::layout::{TableLayout, attr};
use crate::auth::{KeyMac, RequestClaims};
use crate::dependency::DependencyError;
use crate::domain::{
    CredentialName, CredentialRequestRecord, CredentialRequestSpec, CredentialType, IdentityId,
    Metadata, RequestId, RequestState, Timestamp, UsePolicy,
};
use crate::store::PendingRequests;

/// How long a settled or expired request stays readable by its status route.
const KEPT_AFTER_EXPIRY_DAYS: u32 = 7;
pub(super) const PENDING: &str = "pending";
pub(super) const FULFILLED: &str = "fulfilled";
pub(super) const CANCELLED: &str = "cancelled";

/// What the item's MAC covers, as the record says it.
fn claims<'a>(
    request: &'a CredentialRequestRecord,
    fields: &'a str,
    created: &'a str,
    expires: &'a str,
) -> RequestClaims<'a> {
    let spec = &request.spec;
    RequestClaims {
        identity: &request.identity,
        request: request.id.as_str(),
        name: spec.name.as_str(),
        kind: spec.kind.as_str(),
        fields,
        message: spec.message.as_deref().unwrap_or(""),
        metadata: spec.metadata.as_ref().map_or("", Metadata::as_str),
        use_policy: spec.use_policy.as_ref().map_or("", UsePolicy::canonical),
        secret_hash: &request.secret_hash,
        asked_by: &request.asked_by,
        created_at: created,
        expires_at: expires,
    }
}

fn tag(mac: &KeyMac, request: &CredentialRequestRecord) -> Vec<u8> {
    let (fields, created, expires) = (
        request.fields_json(),
        request.created_at.to_string(),
        request.expires_at.to_string(),
    );
    mac.tag(&claims(request, &fields, &created, &expires))
}

/// The item of a request, tagged with `mac` when one is given (the in-memory store for tests
/// keeps items untagged).
pub fn request_to_item(mac: Option<&KeyMac>, request: &CredentialRequestRecord) -> Item {
    let spec = &request.spec;
    let mut item = key_item(TableLayout::request_key(&request.identity, &request.id));
    let (status, settled, credential) = match &request.state {
        RequestState::Pending => (PENDING, None, None),
        RequestState::Fulfilled { credential_id, at } => (FULFILLED, Some(at), Some(credential_id)),
        RequestState::Cancelled { at } => (CANCELLED, Some(at), None),
    };
    let kept_until = request.expires_at.days_after(KEPT_AFTER_EXPIRY_DAYS);
    item.extend([
        (attr::IDENTITY_ID.to_owned(), s(request.identity.as_str())),
        (attr::REQUEST_ID.to_owned(), s(request.id.as_str())),
        (attr::NAME.to_owned(), s(spec.name.as_str())),
        (attr::TYPE.to_owned(), s(spec.kind.as_str())),
        (attr::FIELDS.to_owned(), s(request.fields_json())),
        (
            attr::CREATED_AT.to_owned(),
            s(request.created_at.to_string()),
        ),
        (
            attr::EXPIRES_AT.to_owned(),
            s(request.expires_at.to_string()),
        ),
        (
            attr::EXPIRES_AT_SECONDS.to_owned(),
            n(request.expires_at.unix_seconds()),
        ),
        (attr::STATUS.to_owned(), s(status)),
        (attr::SECRET_HASH.to_owned(), s(&request.secret_hash)),
        (attr::ASKED_BY.to_owned(), s(&request.asked_by)),
        (TableLayout::TTL.to_owned(), n(kept_until.unix_seconds())),
    ]);
    if let Some(mac) = mac {
        item.insert(attr::MAC.to_owned(), b(&tag(mac, request)));
    }
    let optional = [
        (attr::MESSAGE, spec.message.clone()),
        (
            attr::METADATA,
            spec.metadata.as_ref().map(|m| m.as_str().to_owned()),
        ),
        (
            attr::USE_POLICY,
            spec.use_policy.as_ref().map(|p| p.canonical().to_owned()),
        ),
        (attr::SETTLED_AT, settled.map(Timestamp::to_string)),
        (attr::CREDENTIAL_ID, credential.cloned()),
    ];
    for (name, value) in optional {
        if let Some(value) = value {
            item.insert(name.to_owned(), s(value));
        }
    }
    item
}

/// The request of an item; with `mac`, `None` for an item whose tag does not verify (one a
/// table writer made or changed), which is reported.
pub fn request_from_item(
    mac: Option<&KeyMac>,
    item: &Item,
) -> Result<Option<CredentialRequestRecord>, DependencyError> {
    let Some(mac) = mac else {
        return decode(item).map(Some);
    };
    // Under a MAC, an item that does not even decode is a table writer's too.
    let Ok(request) = decode(item) else {
        return Ok(refused());
    };
    let stored = item.get(attr::MAC).and_then(|v| v.as_b().ok());
    let (Ok(fields), Ok(created), Ok(expires)) = (
        text(item, attr::FIELDS),
        text(item, attr::CREATED_AT),
        text(item, attr::EXPIRES_AT),
    ) else {
        return Ok(refused());
    };
    let claims = claims(&request, fields, created, expires);
    if stored.is_some_and(|tag| mac.verify(&claims, tag.as_ref())) {
        return Ok(Some(request));
    }
    Ok(refused())
}

/// A request item that fails its check: reported, and treated as absent.
fn refused() -> Option<CredentialRequestRecord> {
    tracing::error!(
        target: "credvault::integrity",
        "a credential request's item fails its MAC: made or changed outside the vault"
    );
    None
}

fn decode(item: &Item) -> Result<CredentialRequestRecord, DependencyError> {
    let timestamp = |name: &str| Timestamp::parse(text(item, name)?).ok_or_else(|| malformed(name));
    let optional = |name: &str| item.get(name).map(|_| text(item, name)).transpose();
    let settled_at = || timestamp(attr::SETTLED_AT);
    let state = match text(item, attr::STATUS)? {
        PENDING => RequestState::Pending,
        FULFILLED => RequestState::Fulfilled {
            credential_id: text(item, attr::CREDENTIAL_ID)?.to_owned(),
            at: settled_at()?,
        },
        CANCELLED => RequestState::Cancelled { at: settled_at()? },
        _ => return Err(malformed(attr::STATUS)),
    };
    let use_policy = optional(attr::USE_POLICY)?
        .map(|text| UsePolicy::from_stored(text).ok_or_else(|| malformed(attr::USE_POLICY)))
        .transpose()?;
    let metadata = optional(attr::METADATA)?
        .map(|text| Metadata::from_stored(text.to_owned()).ok_or_else(|| malformed(attr::METADATA)))
        .transpose()?;
    let expires_at = timestamp(attr::EXPIRES_AT)?;
    let created_at = timestamp(attr::CREATED_AT)?;
    Ok(CredentialRequestRecord {
        identity: IdentityId::parse(text(item, attr::IDENTITY_ID)?)
            .ok_or_else(|| malformed(attr::IDENTITY_ID))?,
        id: RequestId::parse(text(item, attr::REQUEST_ID)?)
            .ok_or_else(|| malformed(attr::REQUEST_ID))?,
        spec: CredentialRequestSpec {
            name: CredentialName::parse(text(item, attr::NAME)?)
                .map_err(|_| malformed(attr::NAME))?,
            kind: CredentialType::parse(text(item, attr::TYPE)?)
                .ok_or_else(|| malformed(attr::TYPE))?,
            fields: CredentialRequestRecord::fields_from_json(text(item, attr::FIELDS)?)
                .ok_or_else(|| malformed(attr::FIELDS))?,
            message: optional(attr::MESSAGE)?.map(str::to_owned),
            use_policy,
            metadata,
            expires_in: expires_at
                .unix_seconds()
                .saturating_sub(created_at.unix_seconds()),
        },
        created_at,
        expires_at,
        state,
        secret_hash: text(item, attr::SECRET_HASH)?.to_owned(),
        asked_by: text(item, attr::ASKED_BY)?.to_owned(),
    })
}

/// The pending index's item as `pending` and `version`.
pub(super) fn pending_from_item(item: Option<&Item>) -> Result<PendingRequests, DependencyError> {
    let Some(item) = item else {
        return Ok(PendingRequests::default());
    };
    let version = match item.get(attr::VERSION) {
        None => None,
        Some(v) => Some(
            v.as_n()
                .ok()
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| malformed(attr::VERSION))?,
        ),
    };
    let mut pending = Vec::new();
    if let Some(map) = item.get(attr::PENDING).and_then(|v| v.as_m().ok()) {
        for (id, expires) in map {
            let id = RequestId::parse(id).ok_or_else(|| malformed(attr::PENDING))?;
            let expires = expires
                .as_n()
                .ok()
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| malformed(attr::PENDING))?;
            pending.push((id, expires));
        }
    }
    Ok(PendingRequests { pending, version })
}

//! The JSON of an identity's keys, as credvault's own platform routes answer them: the
//! hosted product's field names (`keyId`, `rawKey`, `apiKeyPrefix`, `scopes`), and the key's
//! `grants`, `notAfter` and `maxUses`.

use crate::domain::KeyLimits;
use crate::store::KeySummary;
use crate::vault::AddedKey;
use serde_json::{Map, Value, json};

/// The key's limits as three fields beside the others (`grants: []` and nulls when none).
fn with_limits(mut fields: Map<String, Value>, limits: &KeyLimits) -> Value {
    if let Value::Object(limits) = limits.to_json() {
        fields.extend(limits);
    }
    Value::Object(fields)
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// `POST /v0/platform/identities/{id}/keys`: the new key, shown once.
pub fn added_key(added: &AddedKey) -> Value {
    let key = &added.record;
    let scopes: Vec<&str> = key.scopes.iter().map(|s| s.as_str()).collect();
    let fields = json!({
        "keyId": key.key_id(),
        "rawKey": added.raw_key.expose(),
        "apiKeyPrefix": key.shown_prefix,
        "scopes": scopes,
        "createdAt": key.created_at.to_string(),
    });
    with_limits(object(fields), &key.limits)
}

/// `GET /v0/platform/identities/{id}/keys`: its live keys, never a key.
pub fn key_list(keys: &[KeySummary]) -> Value {
    let listed: Vec<Value> = keys
        .iter()
        .map(|key| {
            let fields = json!({
                "keyId": key.key_id,
                "apiKeyPrefix": key.api_key_prefix,
                "scopes": key.scopes,
                "primary": key.primary,
                "createdAt": key.created_at,
            });
            with_limits(object(fields), &key.limits)
        })
        .collect();
    json!({"count": listed.len(), "keys": listed})
}

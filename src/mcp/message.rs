//! A look at an MCP body before rmcp parses it: what kind of message it is (so that each is
//! counted and recorded once), and whether it is small enough to parse. rmcp buffers a
//! message as a tree of values several times over (serde's untagged and flattened enums), so
//! the number of values bounds its memory as much as the bytes do.

use crate::domain::{Action, CredentialName, IdentityId, Target};
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::cell::Cell;

/// Room for the largest tool call as clients send it: `data` (256 KiB serialized; the REST
/// edge takes up to twice that as raw JSON, enough for non-ASCII text escaped as `\uXXXX`),
/// `metadata` (32 KiB, likewise) and the JSON-RPC around them.
pub const MAX_MESSAGE_BYTES: usize = 1024 * 1024;

/// Far above any credential's fields, far below what would strain 128 MB once rmcp has
/// copied the message a few times (about 32 bytes per value per copy).
pub const MAX_MESSAGE_VALUES: usize = 100_000;

/// What an MCP body holds, as far as the edge needs to know.
#[derive(Debug, PartialEq, Eq)]
pub enum Message {
    /// `tools/call` of a known tool, as far as a quick look tells.
    ToolCall {
        action: Action,
        target: Option<Target>,
    },
    /// Anything else (initialize, tools/list, ping, a notification, an unknown tool, a body
    /// rmcp will refuse).
    Protocol,
}

/// The code of a JSON-RPC error answer (MCP sends those with HTTP 200), if it is one.
pub fn rpc_error_code(response: &lambda_http::Response<lambda_http::Body>) -> Option<i64> {
    #[derive(Deserialize)]
    struct Answer {
        error: Option<RpcError>,
    }
    #[derive(Deserialize)]
    struct RpcError {
        code: i64,
    }
    let answer: Answer = serde_json::from_slice(response.body().as_ref()).ok()?;
    answer.error.map(|error| error.code)
}

/// Why a body is refused before rmcp sees it.
#[derive(Debug, PartialEq, Eq)]
pub enum Oversized {
    Bytes,
    Values,
}

impl Oversized {
    pub fn message(&self) -> String {
        match self {
            Self::Bytes => format!("MCP message is over {MAX_MESSAGE_BYTES} bytes"),
            Self::Values => format!("MCP message has over {MAX_MESSAGE_VALUES} JSON values"),
        }
    }
}

/// Sizes the body up without building it, then reads its method and tool name.
pub fn inspect(body: &[u8]) -> Result<Message, Oversized> {
    if body.len() > MAX_MESSAGE_BYTES {
        return Err(Oversized::Bytes);
    }
    let values = Cell::new(0);
    let counted = Counter(&values).deserialize(&mut serde_json::Deserializer::from_slice(body));
    if counted.is_err() && values.get() > MAX_MESSAGE_VALUES {
        return Err(Oversized::Values);
    }
    // Only the fields named here are kept; the rest is skipped as it is read.
    #[derive(Deserialize)]
    struct Peek<'a> {
        #[serde(borrow)]
        method: Option<Cow<'a, str>>,
        #[serde(borrow)]
        params: Option<Params<'a>>,
    }
    #[derive(Deserialize)]
    struct Params<'a> {
        #[serde(borrow)]
        name: Option<Cow<'a, str>>,
        /// Read apart: arguments that do not parse (a member named twice) still leave the
        /// tool known, so the refusal is recorded under it.
        #[serde(borrow)]
        arguments: Option<&'a serde_json::value::RawValue>,
    }
    #[derive(Deserialize)]
    struct Arguments<'a> {
        #[serde(borrow)]
        name: Option<Cow<'a, str>>,
        #[serde(borrow, rename = "identityId")]
        identity_id: Option<Cow<'a, str>>,
    }
    let Ok(peek) = serde_json::from_slice::<Peek<'_>>(body) else {
        return Ok(Message::Protocol);
    };
    let params = peek
        .params
        .filter(|_| peek.method.as_deref() == Some("tools/call"));
    let spec = params
        .as_ref()
        .and_then(|p| super::tools::ToolSpec::find(p.name.as_deref()?));
    Ok(match spec {
        None => Message::Protocol,
        Some(spec) => Message::ToolCall {
            action: spec.action,
            target: params.and_then(|p| p.arguments).and_then(|raw| {
                let arguments: Arguments<'_> = serde_json::from_str(raw.get()).ok()?;
                let credential = arguments
                    .name
                    .as_deref()
                    .and_then(|n| CredentialName::parse(n).ok());
                let identity = arguments.identity_id.as_deref().and_then(IdentityId::parse);
                credential
                    .map(Target::Credential)
                    .or(identity.map(Target::Identity))
            }),
        },
    })
}

/// Counts every value (keys included) and stops past the limit.
struct Counter<'c>(&'c Cell<usize>);

impl Counter<'_> {
    fn bump<E: de::Error>(&self) -> Result<(), E> {
        self.0.set(self.0.get() + 1);
        if self.0.get() > MAX_MESSAGE_VALUES {
            return Err(E::custom("too many values"));
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Counter<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Counter<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.bump()
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.bump()
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.bump()
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.bump()
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.bump()
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.bump()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.bump()?;
        while seq.next_element_seed(Counter(self.0))?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.bump()?;
        while map.next_key::<IgnoredAny>()?.is_some() {
            self.bump()?;
            map.next_value_seed(Counter(self.0))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(tool: &str, arguments: &str) -> Vec<u8> {
        format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"{tool}","arguments":{arguments}}}}}"#
        )
        .into_bytes()
    }

    #[test]
    fn a_known_tool_call_is_named_with_its_target() {
        let message = inspect(&call("vault_get", r#"{"name":"stripe"}"#)).unwrap();
        assert_eq!(
            message,
            Message::ToolCall {
                action: Action::VaultGet,
                target: CredentialName::parse("stripe").ok().map(Target::Credential),
            }
        );
    }

    #[test]
    fn everything_else_is_a_protocol_message() {
        for body in [
            br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#.to_vec(),
            br#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#.to_vec(),
            br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.to_vec(),
            br#"[{"jsonrpc":"2.0","id":1,"method":"tools/call"}]"#.to_vec(),
            b"not json".to_vec(),
            call("no_such_tool", "{}"),
            br#"{"method":"tools/list","params":{"name":"vault_get"}}"#.to_vec(),
        ] {
            assert_eq!(inspect(&body), Ok(Message::Protocol));
        }
    }

    #[test]
    fn a_message_of_many_small_values_is_refused_before_it_is_built() {
        let values = vec!["0"; MAX_MESSAGE_VALUES].join(",");
        let body = call(
            "vault_store",
            &format!(r#"{{"name":"x","data":{{"a":[{values}]}}}}"#),
        );
        assert!(body.len() < MAX_MESSAGE_BYTES);
        assert_eq!(inspect(&body), Err(Oversized::Values));
        let fewer = vec!["0"; MAX_MESSAGE_VALUES - 20].join(",");
        let body = call(
            "vault_store",
            &format!(r#"{{"name":"x","data":{{"a":[{fewer}]}}}}"#),
        );
        assert!(matches!(inspect(&body), Ok(Message::ToolCall { .. })));
    }

    #[test]
    fn a_message_over_the_byte_limit_is_refused() {
        let big = "x".repeat(MAX_MESSAGE_BYTES);
        let body = call(
            "vault_store",
            &format!(r#"{{"name":"x","data":{{"a":"{big}"}}}}"#),
        );
        assert_eq!(inspect(&body), Err(Oversized::Bytes));
    }
}

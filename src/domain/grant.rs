//! What a key may do beyond its scopes: grants over credential names (exact names and `*`
//! globs) with the capabilities `read`, `use` and `write`, denials that win over any grant,
//! an instant after which the key stops working, and a budget of uses. A key without limits
//! behaves as before grants existed.
//!
//! Parsed from the JSON a platform key or an operator sends, and kept as one canonical JSON
//! text: the text the key item stores and its MAC covers.

use super::{CredentialName, MAX_NAME_LEN, Timestamp};
use serde_json::{Map, Value, json};

/// What a request does with a credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Capability {
    /// Its plaintext `data`.
    Read,
    /// A use that returns no secret of it: a TOTP code, a backup code, a brokered request.
    Use,
    /// Store or delete it.
    Write,
}

impl Capability {
    pub const ALL: [Capability; 3] = [Self::Read, Self::Use, Self::Write];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Use => "use",
            Self::Write => "write",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == raw)
    }
}

/// A credential name, or a glob of them: the name's characters, and `*` for any run of them.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NamePattern(String);

impl NamePattern {
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = !raw.is_empty()
            && raw.len() <= MAX_NAME_LEN
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '*'));
        ok.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn matches(&self, name: &CredentialName) -> bool {
        glob(self.0.as_bytes(), name.as_str().as_bytes(), false)
    }

    /// Whether every name this pattern matches, `wider` matches too: `wider` matches this
    /// pattern with its `*`s taken as symbols only a `*` of `wider` may stand for. (Sound:
    /// never true when some name escapes `wider`.)
    pub fn within(&self, wider: &NamePattern) -> bool {
        glob(wider.0.as_bytes(), self.0.as_bytes(), true)
    }
}

/// `pattern` against `text`; with `stars_literal`, a `*` of `text` is only matched by a `*`
/// of `pattern`. Iterative, with one backtrack point: linear in practice, never recursive.
fn glob(pattern: &[u8], text: &[u8], stars_literal: bool) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut back: Option<(usize, usize)> = None;
    while t < text.len() {
        let literal_star = stars_literal && text[t] == b'*';
        if p < pattern.len() && pattern[p] == b'*' {
            back = Some((p, t));
            p += 1;
        } else if p < pattern.len() && pattern[p] == text[t] && !literal_star {
            p += 1;
            t += 1;
        } else if let Some((star, from)) = back {
            p = star + 1;
            t = from + 1;
            back = Some((star, from + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// One entry of a key's grants: names, and either the capabilities allowed on them or a
/// denial of everything on them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub names: Vec<NamePattern>,
    pub access: Access,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Access {
    Allow(Vec<Capability>),
    Deny,
}

/// What a key's limits say of one request on one credential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    /// Outside what the key sees: answered as if it did not exist. The denial's pattern,
    /// when a denial hid it.
    Hidden(Option<NamePattern>),
    /// Seen, but without this capability.
    Lacks(Capability),
}

/// A key's limits: grants (none: every name, as the scopes allow), the instant it stops
/// working, and how many requests it may make.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyLimits {
    pub grants: Vec<Grant>,
    pub not_after: Option<Timestamp>,
    pub max_uses: Option<u64>,
}

/// The most entries a key's grants hold, and patterns per entry: what one key item carries.
pub const MAX_GRANTS: usize = 32;
pub const MAX_PATTERNS: usize = 32;

impl KeyLimits {
    pub fn is_unlimited(&self) -> bool {
        self.grants.is_empty() && self.not_after.is_none() && self.max_uses.is_none()
    }

    fn denial_of(&self, name: &CredentialName) -> Option<&NamePattern> {
        self.grants
            .iter()
            .filter(|g| g.access == Access::Deny)
            .flat_map(|g| &g.names)
            .find(|p| p.matches(name))
    }

    fn allowed_on(&self, name: &CredentialName) -> impl Iterator<Item = &Capability> {
        self.grants
            .iter()
            .filter(|g| g.names.iter().any(|p| p.matches(name)))
            .flat_map(|g| match &g.access {
                Access::Allow(caps) => caps.as_slice(),
                Access::Deny => &[],
            })
    }

    /// Whether the key sees `name` at all (lists show only these).
    pub fn sees(&self, name: &CredentialName) -> bool {
        self.decide(name, None) == Decision::Allowed
    }

    /// What the limits say of `capability` on `name` (`None`: any capability at all).
    pub fn decide(&self, name: &CredentialName, capability: Option<Capability>) -> Decision {
        if self.grants.is_empty() {
            return Decision::Allowed;
        }
        if let Some(pattern) = self.denial_of(name) {
            return Decision::Hidden(Some(pattern.clone()));
        }
        let allowed: Vec<&Capability> = self.allowed_on(name).collect();
        let matched = self.grants.iter().any(|g| {
            matches!(g.access, Access::Allow(_)) && g.names.iter().any(|p| p.matches(name))
        });
        match (matched, capability) {
            (false, _) => Decision::Hidden(None),
            (true, None) => Decision::Allowed,
            (true, Some(cap)) if allowed.contains(&&cap) => Decision::Allowed,
            (true, Some(cap)) => Decision::Lacks(cap),
        }
    }

    /// Whether any name could get `capability` (a tool that needs it is shown).
    pub fn may_ever(&self, capability: Capability) -> bool {
        self.grants.is_empty()
            || self
                .grants
                .iter()
                .any(|g| matches!(&g.access, Access::Allow(c) if c.contains(&capability)))
    }

    /// What the key is limited to, for a model reading tool descriptions: the names it may
    /// use and how, that some are denied (not which: denials name what is most sensitive),
    /// its expiry and its budget.
    pub fn summary(&self) -> Option<String> {
        if self.is_unlimited() {
            return None;
        }
        let mut parts: Vec<String> = self
            .grants
            .iter()
            .filter_map(|g| match &g.access {
                Access::Allow(caps) => {
                    let names: Vec<&str> = g.names.iter().map(NamePattern::as_str).collect();
                    let caps: Vec<&str> = caps.iter().map(|c| c.as_str()).collect();
                    Some(format!("{} ({})", names.join(", "), caps.join(", ")))
                }
                Access::Deny => None,
            })
            .collect();
        if self.grants.iter().any(|g| g.access == Access::Deny) {
            parts.push("some names denied".to_owned());
        }
        if let Some(not_after) = self.not_after {
            parts.push(format!("until {not_after}"));
        }
        if let Some(max_uses) = self.max_uses {
            parts.push(format!("at most {max_uses} uses"));
        }
        Some(parts.join("; "))
    }

    /// The limits as the API shows and the key item stores them: one canonical JSON text
    /// (fields in a fixed order, capabilities and patterns as given, sorted and unique).
    pub fn to_json(&self) -> Value {
        let grants: Vec<Value> = self
            .grants
            .iter()
            .map(|g| {
                let names: Vec<&str> = g.names.iter().map(NamePattern::as_str).collect();
                match &g.access {
                    Access::Allow(caps) => {
                        let caps: Vec<&str> = caps.iter().map(|c| c.as_str()).collect();
                        json!({"names": names, "allow": caps})
                    }
                    Access::Deny => json!({"names": names, "deny": true}),
                }
            })
            .collect();
        json!({
            "grants": grants,
            "notAfter": self.not_after.map(|t| t.to_string()),
            "maxUses": self.max_uses,
        })
    }

    pub fn canonical(&self) -> String {
        self.to_json().to_string()
    }
}

/// Why limits were refused; the message names fields, never values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidLimits(pub String);

/// A JSON number that is a whole one, up to 2^53, as `u64`.
fn whole(value: &Value) -> Option<u64> {
    value.as_u64().or_else(|| {
        value
            .as_f64()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= 9_007_199_254_740_992.0)
            .map(|f| f as u64)
    })
}

fn invalid(message: impl Into<String>) -> InvalidLimits {
    InvalidLimits(message.into())
}

/// One grant entry: `{"names": [...], "allow": [...]}` or `{"names": [...], "deny": true}`.
fn grant(value: &Value) -> Result<Grant, InvalidLimits> {
    let entry = value
        .as_object()
        .ok_or_else(|| invalid("Each of `grants` must be an object"))?;
    if entry
        .keys()
        .any(|k| !["names", "allow", "deny"].contains(&k.as_str()))
    {
        return Err(invalid(
            "A grant has `names`, and `allow` or `deny`: no other field",
        ));
    }
    let raw_names = entry
        .get("names")
        .and_then(Value::as_array)
        .filter(|n| !n.is_empty() && n.len() <= MAX_PATTERNS)
        .ok_or_else(|| {
            invalid(format!(
                "A grant's `names` must hold 1 to {MAX_PATTERNS} names or patterns"
            ))
        })?;
    let mut names = raw_names
        .iter()
        .map(|n| n.as_str().and_then(NamePattern::parse))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| {
            invalid(
                "A grant's `names` are credential names, `*` standing for any run of characters",
            )
        })?;
    names.sort();
    names.dedup();
    let access = match (entry.get("allow"), entry.get("deny")) {
        (Some(Value::Array(caps)), None) => {
            let mut caps = caps
                .iter()
                .map(|c| c.as_str().and_then(Capability::parse))
                .collect::<Option<Vec<_>>>()
                .filter(|c| !c.is_empty())
                .ok_or_else(|| {
                    invalid("A grant's `allow` lists one or more of read, use, write")
                })?;
            caps.sort();
            caps.dedup();
            Access::Allow(caps)
        }
        (None, Some(Value::Bool(true))) => Access::Deny,
        _ => {
            return Err(invalid(
                "A grant has either `allow` (a list) or `deny: true`",
            ));
        }
    };
    Ok(Grant { names, access })
}

impl KeyLimits {
    /// Reads `grants`, `notAfter` and `maxUses` out of `body` (each optional; null is absent).
    pub fn take_from(body: &mut Map<String, Value>) -> Result<Self, InvalidLimits> {
        let grants = match body.remove("grants") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) if items.len() <= MAX_GRANTS => {
                items.iter().map(grant).collect::<Result<_, _>>()?
            }
            Some(_) => {
                return Err(invalid(format!(
                    "Field `grants` must be a list of at most {MAX_GRANTS} grants"
                )));
            }
        };
        if !grants.is_empty() && grants.iter().all(|g| g.access == Access::Deny) {
            return Err(invalid(
                "Field `grants` denies without allowing anything: give an `allow` too",
            ));
        }
        let not_after = match body.remove("notAfter") {
            None | Some(Value::Null) => None,
            Some(Value::String(raw)) => Some(Timestamp::parse(&raw).ok_or_else(|| {
                invalid("Field `notAfter` must be an RFC 3339 instant or a date")
            })?),
            Some(_) => {
                return Err(invalid(
                    "Field `notAfter` must be an RFC 3339 instant or a date",
                ));
            }
        };
        let max_uses =
            match body.remove("maxUses") {
                None | Some(Value::Null) => None,
                // A whole number, however it is written (`12` or `12.0`, as JSON allows).
                Some(value) => Some(whole(&value).filter(|n| *n >= 1).ok_or_else(|| {
                    invalid("Field `maxUses` must be a whole number of at least 1")
                })?),
            };
        Ok(Self {
            grants,
            not_after,
            max_uses,
        })
    }

    /// The limits a key item stores (its canonical text, as written).
    pub fn from_stored(text: &str) -> Option<Self> {
        let mut body = serde_json::from_str::<Map<String, Value>>(text).ok()?;
        let limits = Self::take_from(&mut body).ok()?;
        body.is_empty().then_some(limits)
    }
}

mod ceiling;
#[cfg(test)]
mod tests;

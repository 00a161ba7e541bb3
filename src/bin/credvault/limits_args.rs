//! `--grant`, `--deny`, `--not-after` and `--max-uses`: a key's limits as flags, for the
//! operator's verbs and the platform verbs alike.

use crate::Failure;
use credvault::domain::KeyLimits;
use serde_json::{Map, Value, json};

#[derive(clap::Args, Clone, Debug, Default)]
pub struct LimitArgs {
    /// Allow capabilities on a name or a `*` glob: `github*:read,use` (read, use, write).
    /// Repeat for more.
    #[arg(long = "grant", value_name = "PATTERN:CAPS")]
    pub grants: Vec<String>,
    /// Never this name or glob, whatever a grant says. Repeat for more.
    #[arg(long = "deny", value_name = "PATTERN")]
    pub denies: Vec<String>,
    /// The key stops working then (RFC 3339, or a date).
    #[arg(long, value_name = "WHEN")]
    pub not_after: Option<String>,
    /// The key's requests, in all.
    #[arg(long)]
    pub max_uses: Option<u64>,
}

impl LimitArgs {
    /// The limits as the API takes them (`grants`, `notAfter`, `maxUses`).
    pub fn to_json(&self) -> Result<Map<String, Value>, Failure> {
        let mut grants = Vec::new();
        for grant in &self.grants {
            let (pattern, caps) = grant.rsplit_once(':').ok_or_else(|| {
                Failure::Local("--grant takes PATTERN:CAPS, e.g. 'github*:read,use'".into())
            })?;
            let caps: Vec<&str> = caps
                .split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect();
            grants.push(json!({"names": [pattern], "allow": caps}));
        }
        grants.extend(
            self.denies
                .iter()
                .map(|pattern| json!({"names": [pattern], "deny": true})),
        );
        let mut body = Map::new();
        if !grants.is_empty() {
            body.insert("grants".into(), Value::Array(grants));
        }
        if let Some(when) = &self.not_after {
            body.insert("notAfter".into(), when.clone().into());
        }
        if let Some(uses) = self.max_uses {
            body.insert("maxUses".into(), uses.into());
        }
        Ok(body)
    }

    /// The limits, checked as the API checks them.
    pub fn limits(&self) -> Result<KeyLimits, Failure> {
        let mut body = self.to_json()?;
        KeyLimits::take_from(&mut body).map_err(|e| Failure::Local(e.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_become_the_apis_limits() {
        let args = LimitArgs {
            grants: vec!["github*:read,use".into()],
            denies: vec!["github-prod".into()],
            not_after: Some("2027-01-01".into()),
            max_uses: Some(100),
        };
        let limits = args.limits().ok().expect("valid");
        assert_eq!(limits.grants.len(), 2);
        assert_eq!(limits.max_uses, Some(100));
        let bad = LimitArgs {
            grants: vec!["github*".into()],
            ..LimitArgs::default()
        };
        assert!(bad.limits().is_err());
    }
}

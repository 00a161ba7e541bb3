//! What a platform key limited by grants may hand out: no more than it holds itself.

use super::{Access, Capability, Grant, InvalidLimits, KeyLimits, MAX_GRANTS, NamePattern};

impl KeyLimits {
    /// The limits a key made by a holder of `parent` gets when it asks for these: each
    /// capability on each pattern must be one `parent` allows on a pattern as wide; the
    /// parent's denials are added; its expiry, if sooner, is kept. A request for no grants
    /// under a parent that has some gets the parent's. `Err` names no pattern sent.
    pub fn bounded_by(&self, parent: &KeyLimits) -> Result<KeyLimits, InvalidLimits> {
        let mut grants = match (self.grants.is_empty(), parent.grants.is_empty()) {
            (_, true) => self.grants.clone(),
            (true, false) => parent.grants.clone(),
            (false, false) => {
                for grant in &self.grants {
                    if let Access::Allow(caps) = &grant.access
                        && !grant
                            .names
                            .iter()
                            .all(|p| caps.iter().all(|c| parent.allows_all(p, *c)))
                    {
                        return Err(InvalidLimits(
                            "A grant reaches beyond what this platform key holds itself".into(),
                        ));
                    }
                }
                self.grants.clone()
            }
        };
        for denial in parent.grants.iter().filter(|g| g.access == Access::Deny) {
            if !grants.contains(denial) {
                grants.push(denial.clone());
            }
        }
        if grants.len() > MAX_GRANTS {
            return Err(InvalidLimits(format!(
                "With this platform key's own denials the key would hold more than {MAX_GRANTS} grants"
            )));
        }
        let not_after = match (self.not_after, parent.not_after) {
            (Some(own), Some(theirs)) => Some(own.min(theirs)),
            (own, theirs) => own.or(theirs),
        };
        Ok(KeyLimits {
            grants,
            not_after,
            max_uses: self.max_uses,
        })
    }

    /// Whether this key allows `capability` on every name `pattern` matches (its denials are
    /// carried over to the child, so they need no check here).
    fn allows_all(&self, pattern: &NamePattern, capability: Capability) -> bool {
        self.grants
            .iter()
            .any(|Grant { names, access }| match access {
                Access::Allow(caps) => {
                    caps.contains(&capability) && names.iter().any(|wide| pattern.within(wide))
                }
                Access::Deny => false,
            })
    }
}

//! Identities this instance saw go over the rate limit, until their minute ends: their next
//! requests here are refused at once, without a counter write, a KMS data key, or parsing
//! their input (an MCP message included). Per instance: other instances still count for
//! themselves, and the stored counter stays the authority.

use crate::domain::{IdentityId, RateWindow};
use std::collections::HashMap;
use std::sync::Mutex;

/// Far more identities than one instance refuses in a minute; past it, a refused identity
/// is simply counted again.
const CAPACITY: usize = 4096;

#[derive(Default)]
pub struct OverLimit {
    identities: Mutex<HashMap<IdentityId, RateWindow>>,
}

impl OverLimit {
    /// Remembers that `identity` is over the limit for the rest of `window`.
    pub fn mark(&self, identity: &IdentityId, window: RateWindow) {
        let mut identities = self.identities.lock().unwrap_or_else(|p| p.into_inner());
        identities.retain(|_, marked| *marked == window);
        if identities.len() < CAPACITY {
            identities.insert(identity.clone(), window);
        }
    }

    /// Whether `identity` was found over the limit in `window`.
    pub fn holds(&self, identity: &IdentityId, window: RateWindow) -> bool {
        let identities = self.identities.lock().unwrap_or_else(|p| p.into_inner());
        identities.get(identity) == Some(&window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_lasts_its_window_only() {
        let (alice, bob) = (
            IdentityId::parse("idt_alice").unwrap(),
            IdentityId::parse("idt_bob").unwrap(),
        );
        let marks = OverLimit::default();
        let minute = RateWindow::containing(120);
        marks.mark(&alice, minute);
        assert!(marks.holds(&alice, minute));
        assert!(!marks.holds(&bob, minute));
        let next = RateWindow::containing(180);
        assert!(!marks.holds(&alice, next));
        marks.mark(&bob, next);
        assert_eq!(
            marks.identities.lock().unwrap().len(),
            1,
            "old minutes forgotten"
        );
    }
}

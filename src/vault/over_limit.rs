//! Subjects (identities, organisations) this instance saw go over the rate limit, until
//! their minute ends: their next requests here are refused at once, without a counter write,
//! a KMS data key, or parsing their input (an MCP message included). Per instance: other
//! instances still count for themselves, and the stored counter stays the authority.

use crate::domain::{RateWindow, Subject};
use std::collections::HashMap;
use std::sync::Mutex;

/// Far more subjects than one instance refuses in a minute; past it, a refused subject is
/// simply counted again.
const CAPACITY: usize = 4096;

#[derive(Default)]
pub struct OverLimit {
    subjects: Mutex<HashMap<Subject, RateWindow>>,
}

impl OverLimit {
    /// Remembers that `subject` is over the limit for the rest of `window`.
    pub fn mark(&self, subject: &Subject, window: RateWindow) {
        let mut subjects = self.subjects.lock().unwrap_or_else(|p| p.into_inner());
        subjects.retain(|_, marked| *marked == window);
        if subjects.len() < CAPACITY {
            subjects.insert(subject.clone(), window);
        }
    }

    /// Whether `subject` was found over the limit in `window`.
    pub fn holds(&self, subject: &Subject, window: RateWindow) -> bool {
        let subjects = self.subjects.lock().unwrap_or_else(|p| p.into_inner());
        subjects.get(subject) == Some(&window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_lasts_its_window_only() {
        let (alice, bob) = (
            Subject::parse("idt_alice").unwrap(),
            Subject::parse("org_bob").unwrap(),
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
            marks.subjects.lock().unwrap().len(),
            1,
            "old minutes forgotten"
        );
    }
}

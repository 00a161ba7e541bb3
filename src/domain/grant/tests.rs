use super::*;

fn name(raw: &str) -> CredentialName {
    CredentialName::parse(raw).expect("a valid name")
}

fn pattern(raw: &str) -> NamePattern {
    NamePattern::parse(raw).expect("a valid pattern")
}

fn limits(value: Value) -> KeyLimits {
    let mut body = value.as_object().cloned().expect("an object");
    KeyLimits::take_from(&mut body).expect("valid limits")
}

#[test]
fn a_glob_matches_runs_of_any_length() {
    for (p, n, want) in [
        ("github*", "github", true),
        ("github*", "github-2fa", true),
        ("github*", "gh", false),
        ("*-prod", "db-prod", true),
        ("*-prod", "db-prod-2", false),
        ("a*b*c", "abc", true),
        ("a*b*c", "a1b2c", true),
        ("a*b*c", "acb", false),
        ("*", "anything", true),
        ("stripe", "stripe", true),
        ("stripe", "stripe2", false),
    ] {
        assert_eq!(pattern(p).matches(&name(n)), want, "{p} ~ {n}");
    }
}

#[test]
fn a_pattern_is_within_another_only_when_every_name_it_matches_is() {
    for (narrow, wide, want) in [
        ("github-2fa", "github*", true),
        ("github*", "github*", true),
        ("github-*", "github*", true),
        ("github*", "github-*", false),
        ("*", "github*", false),
        ("a*b", "a*", true),
        ("a*b", "*b", true),
        ("a*b", "a*c", false),
        ("x", "*", true),
    ] {
        assert_eq!(
            pattern(narrow).within(&pattern(wide)),
            want,
            "{narrow} within {wide}"
        );
    }
}

#[test]
fn a_denial_wins_and_an_unmatched_name_is_hidden() {
    let l = limits(serde_json::json!({"grants": [
        {"names": ["github*", "prod-*"], "allow": ["read", "use"]},
        {"names": ["prod-*"], "deny": true},
    ]}));
    assert_eq!(
        l.decide(&name("github"), Some(Capability::Read)),
        Decision::Allowed
    );
    assert_eq!(
        l.decide(&name("github"), Some(Capability::Write)),
        Decision::Lacks(Capability::Write)
    );
    assert_eq!(
        l.decide(&name("prod-db"), Some(Capability::Read)),
        Decision::Hidden(Some(pattern("prod-*")))
    );
    assert_eq!(
        l.decide(&name("stripe"), Some(Capability::Use)),
        Decision::Hidden(None)
    );
    assert!(l.sees(&name("github-2fa")) && !l.sees(&name("prod-db")) && !l.sees(&name("stripe")));
    assert!(l.may_ever(Capability::Use) && !l.may_ever(Capability::Write));
    assert_eq!(
        KeyLimits::default().decide(&name("x"), Some(Capability::Write)),
        Decision::Allowed
    );
}

#[test]
fn limits_round_trip_through_their_canonical_text() {
    let l = limits(serde_json::json!({
        "grants": [{"names": ["b*", "a", "a"], "allow": ["use", "read", "use"]}],
        "notAfter": "2027-01-01", "maxUses": 5
    }));
    let text = l.canonical();
    assert_eq!(KeyLimits::from_stored(&text), Some(l.clone()));
    assert!(
        text.contains(r#"["a","b*"]"#) && text.contains(r#"["read","use"]"#),
        "{text}"
    );
    assert!(text.contains("2027-01-01T00:00:00Z"), "{text}");
    assert!(KeyLimits::default().is_unlimited() && !l.is_unlimited());
}

#[test]
fn bad_limits_are_refused_without_echoing_them() {
    for bad in [
        serde_json::json!({"grants": "github*"}),
        serde_json::json!({"grants": [{"names": [], "allow": ["read"]}]}),
        serde_json::json!({"grants": [{"names": ["sk_live/secret"], "allow": ["read"]}]}),
        serde_json::json!({"grants": [{"names": ["a"], "allow": ["admin"]}]}),
        serde_json::json!({"grants": [{"names": ["a"], "allow": ["read"], "deny": true}]}),
        serde_json::json!({"grants": [{"names": ["a"]}]}),
        serde_json::json!({"grants": [{"names": ["a"], "deny": true}]}),
        serde_json::json!({"notAfter": "tomorrow"}),
        serde_json::json!({"maxUses": 0}),
        serde_json::json!({"maxUses": -1}),
    ] {
        let mut body = bad.as_object().cloned().unwrap();
        let err = KeyLimits::take_from(&mut body).expect_err(&bad.to_string());
        assert!(
            !err.0.contains("sk_live") && !err.0.contains("admin") && !err.0.contains("tomorrow"),
            "{err}"
        );
    }
}

#[test]
fn a_child_gets_no_more_than_its_parent_holds() {
    let parent = limits(serde_json::json!({
        "grants": [{"names": ["github*"], "allow": ["read", "use"]}, {"names": ["github-prod"], "deny": true}],
        "notAfter": "2027-01-01",
    }));
    let narrow = limits(serde_json::json!({
        "grants": [{"names": ["github-2fa"], "allow": ["use"]}], "notAfter": "2028-01-01", "maxUses": 3,
    }));
    let child = narrow.bounded_by(&parent).expect("within");
    assert_eq!(child.not_after, parent.not_after, "the sooner expiry");
    assert_eq!(child.max_uses, Some(3));
    assert!(
        child.grants.iter().any(|g| g.access == Access::Deny),
        "the parent's denial carried"
    );
    for wider in [
        serde_json::json!({"grants": [{"names": ["*"], "allow": ["use"]}]}),
        serde_json::json!({"grants": [{"names": ["github-2fa"], "allow": ["write"]}]}),
        serde_json::json!({"grants": [{"names": ["git*"], "allow": ["read"]}]}),
    ] {
        assert!(
            limits(wider.clone()).bounded_by(&parent).is_err(),
            "{wider}"
        );
    }
    // Asking for nothing under a limited parent gets the parent's grants.
    let plain = KeyLimits::default().bounded_by(&parent).expect("within");
    assert_eq!(plain.grants, parent.grants);
    // Under an unlimited parent, anything goes.
    assert_eq!(narrow.bounded_by(&KeyLimits::default()), Ok(narrow.clone()));
}

#[test]
fn a_budget_is_a_whole_number_however_it_is_written() {
    assert_eq!(
        limits(serde_json::json!({"maxUses": 12728.0})).max_uses,
        Some(12728)
    );
    let mut half = serde_json::json!({"maxUses": 1.5})
        .as_object()
        .cloned()
        .unwrap();
    assert!(KeyLimits::take_from(&mut half).is_err());
}

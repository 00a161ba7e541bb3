use super::*;
use serde_json::json;

fn spec(body: Value) -> Result<CredentialRequestSpec, BodyError> {
    CredentialRequestSpec::from_json(body.to_string().as_bytes())
}

fn message(result: Result<CredentialRequestSpec, BodyError>) -> String {
    match result {
        Ok(spec) => panic!("expected a refusal, got {spec:?}"),
        Err(BodyError::Invalid(m) | BodyError::TooLarge(m)) => m,
    }
}

fn stripe() -> Value {
    json!({
        "name": "stripe",
        "type": "API_KEY",
        "fields": [
            {"name": "key", "label": "API key", "secret": true},
            {"name": "account", "label": "Account", "secret": false},
        ],
        "message": "The billing agent needs it",
        "metadata": {"service": "stripe", "n": 1.50},
        "usePolicy": {"hosts": ["api.stripe.com"]},
    })
}

/// The stripe request as sent, with a number written as no f64 prints it.
fn stripe_as_sent() -> CredentialRequestSpec {
    let text = stripe().to_string().replace("\"n\":1.5", "\"n\":1.50");
    CredentialRequestSpec::from_json(text.as_bytes()).expect("valid")
}

fn values(values: &[&str]) -> Vec<Zeroizing<String>> {
    values
        .iter()
        .map(|v| Zeroizing::new((*v).to_owned()))
        .collect()
}

#[test]
fn a_full_request_is_read_with_its_defaults() {
    let spec = stripe_as_sent();
    assert_eq!(spec.name.as_str(), "stripe");
    assert_eq!(spec.kind, CredentialType::ApiKey);
    assert_eq!(spec.fields.len(), 2);
    assert!(spec.fields[0].secret && !spec.fields[1].secret);
    assert_eq!(spec.expires_in, DEFAULT_EXPIRES_IN);
    assert!(spec.use_policy.is_some());
    // Metadata is kept as written, like a PUT's.
    assert_eq!(
        spec.metadata.expect("metadata").as_str(),
        r#"{"service":"stripe","n":1.50}"#
    );

    let bare = self::spec(json!({"name": "x", "type": "LOGIN", "fields": [{"name": "password"}]}))
        .expect("valid");
    assert_eq!(bare.fields[0].label, "password");
    assert!(bare.fields[0].secret);
}

#[test]
fn bad_requests_are_refused_with_a_message_naming_the_field() {
    let with = |key: &str, value: Value| {
        let mut body = stripe();
        body[key] = value;
        spec(body)
    };
    let cases = [
        (with("name", json!("no spaces")), "`name`"),
        (with("type", json!("PASSWORD")), "`type`"),
        (with("fields", json!([])), "`fields`"),
        (with("fields", json!([{"name": "a b"}])), "`name`"),
        (
            with("fields", json!([{"name": "k"}, {"name": "k"}])),
            "twice",
        ),
        (
            with("fields", json!([{"name": "k", "secret": false}])),
            "at least one secret",
        ),
        (with("fields", json!([{"name": "backupCodes"}])), "list"),
        (
            with(
                "fields",
                json!([{"name": "password", "secret": false}, {"name": "k"}]),
            ),
            "plain text",
        ),
        (with("fields", json!([{"name": "k", "extra": 1}])), "only"),
        (
            with(
                "fields",
                json!([{"name": "service", "secret": false}, {"name": "k"}]),
            ),
            "metadata",
        ),
        (
            with("message", json!("x".repeat(MAX_MESSAGE + 1))),
            "`message`",
        ),
        (with("expiresIn", json!(59)), "`expiresIn`"),
        (with("expiresIn", json!(MAX_EXPIRES_IN + 1)), "`expiresIn`"),
        (with("expiresIn", json!("3600")), "`expiresIn`"),
        (with("usePolicy", json!({"hosts": []})), "host"),
        (with("metadata", json!([1])), "`metadata`"),
        (with("other", json!(1)), "Unknown field"),
    ];
    for (result, needle) in cases {
        let message = message(result);
        assert!(message.contains(needle), "{message} lacks {needle}");
    }
    let totp = json!({"name": "t", "type": "TOTP", "fields": [{"name": "seed"}]});
    assert!(message(spec(totp)).contains("`secret`"));
    assert!(message(CredentialRequestSpec::from_json(b"[1]")).contains("object"));
    // A member named twice anywhere is refused, not silently taken once.
    let twice = br#"{"name":"x","type":"API_KEY","fields":[{"name":"k","name":"j"}]}"#;
    assert!(message(CredentialRequestSpec::from_json(twice)).contains("twice"));
}

#[test]
fn filled_in_values_make_the_put_body_a_put_would_store() {
    let spec = stripe_as_sent();
    let credential = spec
        .credential_from(&values(&["sk_live_\"quoted\"\\", "acct_1"]))
        .expect("stored");
    assert_eq!(credential.kind, CredentialType::ApiKey);
    assert_eq!(
        credential.data.expose_bytes(),
        br#"{"key":"sk_live_\"quoted\"\\"}"#
    );
    assert_eq!(
        credential.metadata.expect("metadata").as_str(),
        r#"{"service":"stripe","n":1.50,"account":"acct_1"}"#
    );
    assert_eq!(credential.use_policy, spec.use_policy);
}

#[test]
fn a_put_would_refuse_what_the_form_refuses() {
    let totp =
        spec(json!({"name": "t", "type": "TOTP", "fields": [{"name": "secret", "label": "Seed"}]}))
            .expect("valid");
    let refused = totp.credential_from(&values(&["not base32!"])).err();
    assert!(
        matches!(refused, Some(BodyError::Invalid(m)) if m.contains("base32") && !m.contains("not base32!"))
    );
    assert!(totp.credential_from(&values(&["JBSWY3DPEHPK3PXP"])).is_ok());

    let stripe = spec(stripe()).expect("valid");
    let empty = stripe.credential_from(&values(&["", "acct"])).err();
    assert!(matches!(empty, Some(BodyError::Invalid(m)) if m.contains("API key")));
    assert!(stripe.credential_from(&values(&["only one"])).is_err());
    let huge = "k".repeat(crate::domain::MAX_DATA_BYTES + 1);
    assert!(matches!(
        stripe.credential_from(&values(&[&huge, "a"])),
        Err(BodyError::TooLarge(_))
    ));
}

#[test]
fn a_request_id_is_creq_and_32_hex() {
    let id = RequestId::generate().expect("rng");
    assert_eq!(RequestId::parse(id.as_str()), Some(id.clone()));
    for bad in [
        "",
        "creq_",
        "creq_XYZ",
        "cred_0123456789abcdef0123456789abcdef",
        "creq_0123",
    ] {
        assert!(RequestId::parse(bad).is_none(), "{bad}");
    }
}

#[test]
fn a_pending_request_past_its_expiry_is_expired() {
    let now = Timestamp::parse("2030-01-01T00:00:00Z").expect("time");
    let mut record = CredentialRequestRecord {
        identity: IdentityId::parse("idt_x").expect("id"),
        id: RequestId::generate().expect("rng"),
        spec: spec(stripe()).expect("valid"),
        created_at: now,
        expires_at: Timestamp::parse("2030-01-01T01:00:00Z").expect("time"),
        state: RequestState::Pending,
        secret_hash: String::new(),
        asked_by: String::new(),
    };
    assert_eq!(record.status(now), RequestStatus::Pending);
    let later = Timestamp::parse("2030-01-01T01:00:00Z").expect("time");
    assert_eq!(record.status(later), RequestStatus::Expired);
    record.state = RequestState::Cancelled { at: now };
    assert_eq!(record.status(later), RequestStatus::Cancelled);
    let fields = CredentialRequestRecord::fields_from_json(&record.fields_json());
    assert_eq!(fields.as_deref(), Some(record.spec.fields.as_slice()));
}

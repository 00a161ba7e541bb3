use super::*;

fn identity(id: &str) -> IdentityId {
    IdentityId::parse(id).unwrap()
}

fn name(n: &str) -> CredentialName {
    CredentialName::parse(n).unwrap()
}

const SECRET: &[u8] = br#"{"key":"sk_live_abc123"}"#;

async fn sealed(keys: &LocalKeyProvider) -> Envelope {
    let (id, n) = (identity("idt_alice"), name("stripe"));
    seal(keys, Binding::new(&id, &n, CredentialType::ApiKey), SECRET)
        .await
        .unwrap()
}

async fn open_as(
    keys: &LocalKeyProvider,
    envelope: &Envelope,
    who: &str,
    what: &str,
    kind: CredentialType,
) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    let (id, n) = (identity(who), name(what));
    open(keys, Binding::new(&id, &n, kind), envelope).await
}

fn assert_integrity_failure(result: Result<Zeroizing<Vec<u8>>, OpenError>) {
    assert!(
        matches!(result, Err(OpenError::Integrity(_))),
        "expected an integrity failure"
    );
}

#[tokio::test]
async fn given_a_sealed_credential_when_opened_in_place_then_the_plaintext_comes_back() {
    let keys = LocalKeyProvider::new();
    let envelope = sealed(&keys).await;
    // Without a usePolicy, format 2: what a version before brokered use still reads.
    assert_eq!(envelope.format_version, 2);
    assert_eq!(envelope.ciphertext.len(), SECRET.len() + 16);
    assert!(!envelope.ciphertext.windows(7).any(|w| w == b"sk_live"));
    let plain = open_as(
        &keys,
        &envelope,
        "idt_alice",
        "stripe",
        CredentialType::ApiKey,
    )
    .await;
    assert_eq!(plain.unwrap().as_slice(), SECRET);
}

#[tokio::test]
async fn every_write_uses_a_fresh_key_and_nonce() {
    let keys = LocalKeyProvider::new();
    let (a, b) = (sealed(&keys).await, sealed(&keys).await);
    assert_ne!(a.nonce, b.nonce);
    assert_ne!(a.encrypted_data_key, b.encrypted_data_key);
    assert_ne!(a.ciphertext, b.ciphertext);
}

#[tokio::test]
async fn another_identity_name_or_type_fails_closed() {
    let keys = LocalKeyProvider::new();
    let envelope = sealed(&keys).await;
    assert_integrity_failure(
        open_as(
            &keys,
            &envelope,
            "idt_mallory",
            "stripe",
            CredentialType::ApiKey,
        )
        .await,
    );
    assert_integrity_failure(
        open_as(
            &keys,
            &envelope,
            "idt_alice",
            "github",
            CredentialType::ApiKey,
        )
        .await,
    );
    assert_integrity_failure(
        open_as(
            &keys,
            &envelope,
            "idt_alice",
            "stripe",
            CredentialType::Custom,
        )
        .await,
    );
}

#[tokio::test]
async fn a_flipped_bit_anywhere_fails_closed() {
    let keys = LocalKeyProvider::new();
    let envelope = sealed(&keys).await;
    let open_it = |e: Envelope| {
        let keys = &keys;
        async move { open_as(keys, &e, "idt_alice", "stripe", CredentialType::ApiKey).await }
    };

    for i in [
        0,
        envelope.ciphertext.len() / 2,
        envelope.ciphertext.len() - 1,
    ] {
        let mut bad = envelope.clone();
        bad.ciphertext[i] ^= 0x01;
        assert_integrity_failure(open_it(bad).await);
    }
    let mut bad = envelope.clone();
    bad.nonce[0] ^= 0x80;
    assert_integrity_failure(open_it(bad).await);

    let mut bad = envelope.clone();
    let last = bad.encrypted_data_key.len() - 1;
    bad.encrypted_data_key[last] ^= 0x01;
    assert_integrity_failure(open_it(bad).await);

    let mut bad = envelope.clone();
    bad.ciphertext.truncate(10);
    assert_integrity_failure(open_it(bad).await);

    // A downgrade to format 1 (fewer fields bound) or an unknown format fails too.
    for version in [1, 3, 4] {
        let mut bad = envelope.clone();
        bad.format_version = version;
        assert_integrity_failure(open_it(bad).await);
    }
}

#[tokio::test]
async fn another_credentials_data_key_does_not_open_this_one() {
    let keys = LocalKeyProvider::new();
    let (mine, other) = (sealed(&keys).await, sealed(&keys).await);
    let swapped = Envelope {
        encrypted_data_key: other.encrypted_data_key,
        ..mine
    };
    assert_integrity_failure(
        open_as(
            &keys,
            &swapped,
            "idt_alice",
            "stripe",
            CredentialType::ApiKey,
        )
        .await,
    );
}

#[test]
fn associated_data_is_unambiguous() {
    let (a_id, a_name) = (identity("idt_a"), name("bc"));
    let (b_id, b_name) = (identity("idt_ab"), name("c"));
    let a = Binding::new(&a_id, &a_name, CredentialType::Login);
    let b = Binding::new(&b_id, &b_name, CredentialType::Login);
    for version in [1, 2] {
        assert_ne!(a.associated_data(version), b.associated_data(version));
    }
}

#[test]
fn the_data_key_never_prints() {
    let key: PlainDataKey = SecretBox::new(Box::new([0x41; DATA_KEY_LEN]));
    let shown = format!("{key:?}");
    assert!(shown.contains("[REDACTED]"), "{shown}");
    assert!(!shown.contains("65") && !shown.contains("0x41"), "{shown}");
}

#[tokio::test]
async fn a_format_1_item_written_before_still_opens_but_only_as_format_1() {
    // GIVEN data sealed the way format 1 sealed it: place and type in the associated data
    let keys = LocalKeyProvider::new();
    let (id, n) = (identity("idt_alice"), name("stripe"));
    let binding = Binding::new(&id, &n, CredentialType::ApiKey);
    let data_key = keys
        .generate_data_key(&binding.encryption_context())
        .await
        .unwrap();
    let (nonce, ciphertext) =
        seal_with_key(&data_key.plaintext, &binding.associated_data(1), SECRET).unwrap();
    let old = Envelope {
        format_version: 1,
        key_id: data_key.key_id,
        encrypted_data_key: data_key.encrypted,
        nonce,
        ciphertext,
    };
    // THEN it opens, and claiming it is format 2 does not
    let opened = open(&keys, binding, &old).await.unwrap();
    assert_eq!(opened.as_slice(), SECRET);
    let claimed = Envelope {
        format_version: 2,
        ..old
    };
    assert_integrity_failure(open(&keys, binding, &claimed).await);
}

#[tokio::test]
async fn a_use_policy_is_bound_in_format_3_and_cannot_be_added_dropped_or_changed() {
    let keys = LocalKeyProvider::new();
    let (id, n) = (identity("idt_alice"), name("stripe"));
    let fields = |use_policy| StoredFields {
        credential_id: "cred_1",
        created_at: crate::domain::Timestamp::parse("2026-01-01T00:00:00Z").unwrap(),
        expires_at: None,
        metadata: None,
        last_rotated_at: None,
        use_policy,
    };
    let binding =
        |use_policy| Binding::new(&id, &n, CredentialType::ApiKey).with_fields(fields(use_policy));
    let narrow = Some(r#"{"hosts":["api.stripe.com"]}"#);
    let envelope = seal(&keys, binding(narrow), SECRET).await.unwrap();
    assert_eq!(envelope.format_version, FORMAT_VERSION);
    assert_eq!(
        open(&keys, binding(narrow), &envelope)
            .await
            .unwrap()
            .as_slice(),
        SECRET
    );
    // A table writer who widens the policy, or drops it, breaks the item.
    assert_integrity_failure(
        open(
            &keys,
            binding(Some(r#"{"hosts":["evil.example"]}"#)),
            &envelope,
        )
        .await,
    );
    assert_integrity_failure(open(&keys, binding(None), &envelope).await);
    // A policy put beside an item written without one (format 2) is refused unread.
    let plain = seal(&keys, binding(None), SECRET).await.unwrap();
    assert_eq!(plain.format_version, 2);
    assert_integrity_failure(open(&keys, binding(narrow), &plain).await);
    // And a format-3 item relabelled format 2 does not open.
    let relabelled = Envelope {
        format_version: 2,
        ..envelope
    };
    assert_integrity_failure(open(&keys, binding(narrow), &relabelled).await);
}

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
    let binding = Binding {
        identity: &id,
        name: &n,
        kind: CredentialType::ApiKey,
    };
    seal(keys, binding, SECRET).await.unwrap()
}

async fn open_as(
    keys: &LocalKeyProvider,
    envelope: &Envelope,
    who: &str,
    what: &str,
    kind: CredentialType,
) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    let (id, n) = (identity(who), name(what));
    open(
        keys,
        Binding {
            identity: &id,
            name: &n,
            kind,
        },
        envelope,
    )
    .await
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
    assert_eq!(envelope.format_version, FORMAT_VERSION);
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

    let mut bad = envelope.clone();
    bad.format_version = 2;
    assert_integrity_failure(open_it(bad).await);
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
    let a = Binding {
        identity: &a_id,
        name: &a_name,
        kind: CredentialType::Login,
    };
    let b = Binding {
        identity: &b_id,
        name: &b_name,
        kind: CredentialType::Login,
    };
    assert_ne!(a.associated_data(), b.associated_data());
}

#[test]
fn the_data_key_never_prints() {
    let key: PlainDataKey = SecretBox::new(Box::new([0x41; DATA_KEY_LEN]));
    let shown = format!("{key:?}");
    assert!(shown.contains("[REDACTED]"), "{shown}");
    assert!(!shown.contains("65") && !shown.contains("0x41"), "{shown}");
}

//! One conformance suite per port, run against every adapter: the in-memory ones (handler
//! tests) and the DynamoDB and KMS ones on moto (moto tests). Each asserts what the port's
//! documentation promises, so that two implementations of one contract cannot drift.

use crate::crypto::Envelope;
use crate::domain::{
    Action, ActivityEntry, CredentialName, CredentialType, IdentityId, KeyLimits, Metadata,
    Subject, Timestamp, random_id,
};
use crate::store::{ActivityLog, CredentialInfo, CredentialRecord, CredentialStore, ListBound};

fn fresh_identity() -> IdentityId {
    IdentityId::generate().expect("the system CSPRNG")
}

fn subject(identity: &IdentityId) -> Subject {
    Subject::Identity(identity.clone())
}

fn name(raw: &str) -> CredentialName {
    CredentialName::parse(raw).expect("a valid name")
}

fn at(raw: &str) -> Timestamp {
    Timestamp::parse(raw).expect("a valid instant")
}

/// A record as a store holds it; the envelope is opaque to the store, so any bytes do.
fn record(identity: &IdentityId, credential: &str, metadata: &str, nonce: u8) -> CredentialRecord {
    CredentialRecord {
        identity: identity.clone(),
        info: CredentialInfo {
            name: name(credential),
            credential_id: random_id("cred_").expect("the system CSPRNG"),
            kind: CredentialType::Login,
            metadata: Metadata::from_stored(metadata.to_owned()),
            expires_at: None,
            created_at: at("2026-05-01T00:00:00Z"),
            last_used_at: None,
            last_rotated_at: None,
            use_policy: None,
        },
        envelope: Envelope {
            format_version: 2,
            key_id: "conformance".into(),
            encrypted_data_key: vec![1, 2, 3],
            nonce: [nonce; 12],
            ciphertext: vec![nonce; 32],
        },
    }
}

fn entry(subject: &Subject, action: Action, status: u16, at_millis: &str) -> ActivityEntry {
    ActivityEntry::new(
        random_id("log_").expect("the system CSPRNG"),
        subject.clone(),
        action,
        None,
        status,
        None,
        super::test_caller(),
        1,
        at(at_millis),
    )
}

/// `CredentialStore`: whole replacement, conditional writes, strongly consistent reads, the
/// list's order and bounds, conditional deletes and use records, each write's entry logged.
pub async fn credential_store<S: CredentialStore + ActivityLog>(store: &S) {
    let (me, other) = (fresh_identity(), fresh_identity());
    assert_eq!(store.get(&me, &name("a")).await.unwrap(), None, "absent");

    let first = record(&me, "b", r#"{"v":1}"#, 1);
    store
        .put(
            &first,
            &entry(
                &subject(&me),
                Action::VaultStore,
                200,
                "2026-05-01T00:00:01Z",
            ),
        )
        .await
        .unwrap();
    assert_eq!(
        store.get(&me, &name("b")).await.unwrap().as_ref(),
        Some(&first)
    );
    let replaced = record(&me, "b", r#"{"v":2}"#, 2);
    store
        .put(
            &replaced,
            &entry(
                &subject(&me),
                Action::VaultStore,
                200,
                "2026-05-01T00:00:02Z",
            ),
        )
        .await
        .unwrap();
    assert_eq!(
        store.get(&me, &name("b")).await.unwrap().as_ref(),
        Some(&replaced),
        "replaced whole"
    );

    // Conditional on the nonce read: a stale one writes nothing.
    let stale = record(&me, "b", r#"{"v":3}"#, 3);
    let log = entry(
        &subject(&me),
        Action::VaultTotpUseBackup,
        200,
        "2026-05-01T00:00:03Z",
    );
    assert!(
        !store
            .put_if_unchanged(&stale, &first.envelope.nonce, &log)
            .await
            .unwrap()
    );
    assert_eq!(
        store.get(&me, &name("b")).await.unwrap().as_ref(),
        Some(&replaced)
    );
    assert!(
        store
            .put_if_unchanged(&stale, &replaced.envelope.nonce, &log)
            .await
            .unwrap()
    );
    assert_eq!(
        store.get(&me, &name("b")).await.unwrap().as_ref(),
        Some(&stale)
    );

    for (credential, nonce) in [("a", 4), ("c", 5), ("d", 6)] {
        let record = record(&me, credential, "{}", nonce);
        store
            .put(
                &record,
                &entry(
                    &subject(&me),
                    Action::VaultStore,
                    200,
                    "2026-05-01T00:00:04Z",
                ),
            )
            .await
            .unwrap();
    }
    let theirs = record(&other, "a0", "{}", 7);
    store
        .put(
            &theirs,
            &entry(
                &subject(&other),
                Action::VaultStore,
                200,
                "2026-05-01T00:00:04Z",
            ),
        )
        .await
        .unwrap();
    let names = |listed: Vec<CredentialInfo>| -> Vec<String> {
        listed
            .into_iter()
            .map(|info| info.name.to_string())
            .collect()
    };
    let all = ListBound {
        items: usize::MAX,
        bytes: usize::MAX,
        seen: KeyLimits::default(),
    };
    assert_eq!(
        names(store.list(&me, None, all.clone()).await.unwrap()),
        ["a", "b", "c", "d"]
    );
    let two = ListBound {
        items: 2,
        bytes: usize::MAX,
        seen: KeyLimits::default(),
    };
    assert_eq!(
        names(store.list(&me, Some(&name("a")), two).await.unwrap()),
        ["b", "c"]
    );
    // A name that does not exist starts the list after where it would sort.
    assert_eq!(
        names(
            store
                .list(&me, Some(&name("bb")), all.clone())
                .await
                .unwrap()
        ),
        ["c", "d"]
    );
    // The bytes bound keeps the item that crosses it, so the caller sees the list goes on.
    let small = ListBound {
        items: usize::MAX,
        bytes: 1,
        seen: KeyLimits::default(),
    };
    assert_eq!(names(store.list(&me, None, small).await.unwrap()), ["a"]);
    // A key limited by grants: only the names it sees count toward the page.
    let mut only = serde_json::json!({"grants": [{"names": ["b", "d"], "allow": ["read"]}]})
        .as_object()
        .cloned()
        .unwrap_or_default();
    let seen = KeyLimits::take_from(&mut only).expect("valid limits");
    let one = ListBound {
        items: 1,
        bytes: usize::MAX,
        seen,
    };
    assert_eq!(
        names(store.list(&me, None, one.clone()).await.unwrap()),
        ["b"]
    );
    assert_eq!(
        names(store.list(&me, Some(&name("b")), one).await.unwrap()),
        ["d"]
    );

    // Deletes and use records only touch the credential with the id read.
    let current = store.get(&me, &name("c")).await.unwrap().expect("stored");
    let log = entry(
        &subject(&me),
        Action::VaultDelete,
        204,
        "2026-05-01T00:00:05Z",
    );
    assert!(
        !store
            .delete(&me, &name("c"), "cred_other", &log)
            .await
            .unwrap()
    );
    assert!(store.get(&me, &name("c")).await.unwrap().is_some());
    let used = at("2026-05-02T00:00:00Z");
    let log = entry(&subject(&me), Action::VaultGet, 200, "2026-05-01T00:00:06Z");
    store
        .touch(&me, &name("c"), "cred_other", used, &log)
        .await
        .unwrap();
    let untouched = store.get(&me, &name("c")).await.unwrap().expect("stored");
    assert_eq!(untouched.info.last_used_at, None);
    let log = entry(
        &subject(&me),
        Action::VaultGet,
        200,
        "2026-05-01T00:00:06.500Z",
    );
    store
        .touch(&me, &name("c"), &current.info.credential_id, used, &log)
        .await
        .unwrap();
    let touched = store.get(&me, &name("c")).await.unwrap().expect("stored");
    assert_eq!(touched.info.last_used_at, Some(used));
    let log = entry(
        &subject(&me),
        Action::VaultDelete,
        204,
        "2026-05-01T00:00:07Z",
    );
    assert!(
        store
            .delete(&me, &name("c"), &current.info.credential_id, &log)
            .await
            .unwrap()
    );
    assert_eq!(store.get(&me, &name("c")).await.unwrap(), None);
    let log = entry(&subject(&me), Action::VaultGet, 200, "2026-05-01T00:00:08Z");
    store
        .touch(&me, &name("c"), &current.info.credential_id, used, &log)
        .await
        .unwrap();
    assert_eq!(
        store.get(&me, &name("c")).await.unwrap(),
        None,
        "a use revives nothing"
    );
    assert_eq!(
        store.get(&other, &name("a0")).await.unwrap().as_ref(),
        Some(&theirs)
    );

    // Every write that applied carried its entry; those that did not, none.
    let window = (at("2026-04-01T00:00:00Z"), at("2026-06-01T00:00:00Z"));
    let page = store
        .entries(
            &subject(&me),
            &crate::domain::LogFilter::default(),
            100,
            None,
            window,
        )
        .await
        .unwrap();
    let actions: Vec<&str> = page.entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "vault_get",
            "vault_delete",
            "vault_get",
            "vault_get",
            "vault_store",
            "vault_store",
            "vault_store",
            "vault_totp_use_backup",
            "vault_store",
            "vault_store"
        ],
        "newest first"
    );
}

mod activity;
mod directory;
mod keys;
mod organisations;

pub use activity::activity_log;
pub use directory::identity_directory;
pub use keys::key_provider;
pub use organisations::organisations;

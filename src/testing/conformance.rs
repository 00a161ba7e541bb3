//! One conformance suite per port, run against every adapter: the in-memory ones (handler
//! tests) and the DynamoDB and KMS ones on moto (moto tests). Each asserts what the port's
//! documentation promises, so that two implementations of one contract cannot drift.

use crate::auth::ApiKey;
use crate::crypto::{Envelope, KeyProvider};
use crate::domain::{
    Action, ActivityEntry, CredentialName, CredentialType, IdentityId, LogFilter, Metadata,
    Outcome, RateWindow, Scope, Timestamp, random_id,
};
use crate::store::{
    ActivityLog, CredentialInfo, CredentialRecord, CredentialStore, IdentityDirectory,
    IdentityRecord, KeyRecord, ListBound, RegisterError,
};
use std::collections::HashMap;

fn fresh_identity() -> IdentityId {
    IdentityId::generate().expect("the system CSPRNG")
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

fn entry(identity: &IdentityId, action: Action, status: u16, at_millis: &str) -> ActivityEntry {
    ActivityEntry::new(
        random_id("log_").expect("the system CSPRNG"),
        identity.clone(),
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
            &entry(&me, Action::VaultStore, 200, "2026-05-01T00:00:01Z"),
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
            &entry(&me, Action::VaultStore, 200, "2026-05-01T00:00:02Z"),
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
    let log = entry(&me, Action::VaultTotpUseBackup, 200, "2026-05-01T00:00:03Z");
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
                &entry(&me, Action::VaultStore, 200, "2026-05-01T00:00:04Z"),
            )
            .await
            .unwrap();
    }
    let theirs = record(&other, "a0", "{}", 7);
    store
        .put(
            &theirs,
            &entry(&other, Action::VaultStore, 200, "2026-05-01T00:00:04Z"),
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
    };
    assert_eq!(
        names(store.list(&me, None, all).await.unwrap()),
        ["a", "b", "c", "d"]
    );
    let two = ListBound {
        items: 2,
        bytes: usize::MAX,
    };
    assert_eq!(
        names(store.list(&me, Some(&name("a")), two).await.unwrap()),
        ["b", "c"]
    );
    // A name that does not exist starts the list after where it would sort.
    assert_eq!(
        names(store.list(&me, Some(&name("bb")), all).await.unwrap()),
        ["c", "d"]
    );
    // The bytes bound keeps the item that crosses it, so the caller sees the list goes on.
    let small = ListBound {
        items: usize::MAX,
        bytes: 1,
    };
    assert_eq!(names(store.list(&me, None, small).await.unwrap()), ["a"]);

    // Deletes and use records only touch the credential with the id read.
    let current = store.get(&me, &name("c")).await.unwrap().expect("stored");
    let log = entry(&me, Action::VaultDelete, 204, "2026-05-01T00:00:05Z");
    assert!(
        !store
            .delete(&me, &name("c"), "cred_other", &log)
            .await
            .unwrap()
    );
    assert!(store.get(&me, &name("c")).await.unwrap().is_some());
    let used = at("2026-05-02T00:00:00Z");
    let log = entry(&me, Action::VaultGet, 200, "2026-05-01T00:00:06Z");
    store
        .touch(&me, &name("c"), "cred_other", used, &log)
        .await
        .unwrap();
    let untouched = store.get(&me, &name("c")).await.unwrap().expect("stored");
    assert_eq!(untouched.info.last_used_at, None);
    let log = entry(&me, Action::VaultGet, 200, "2026-05-01T00:00:06.500Z");
    store
        .touch(&me, &name("c"), &current.info.credential_id, used, &log)
        .await
        .unwrap();
    let touched = store.get(&me, &name("c")).await.unwrap().expect("stored");
    assert_eq!(touched.info.last_used_at, Some(used));
    let log = entry(&me, Action::VaultDelete, 204, "2026-05-01T00:00:07Z");
    assert!(
        store
            .delete(&me, &name("c"), &current.info.credential_id, &log)
            .await
            .unwrap()
    );
    assert_eq!(store.get(&me, &name("c")).await.unwrap(), None);
    let log = entry(&me, Action::VaultGet, 200, "2026-05-01T00:00:08Z");
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
        .entries(&me, &LogFilter::default(), 100, None, window)
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

/// `ActivityLog`: pages newest first with a token, filters, the retention window and each
/// entry's expiry, counts by day, and the newest entry's time.
pub async fn activity_log<L: ActivityLog>(log: &L) {
    let me = fresh_identity();
    let times = [
        "2026-05-01T10:00:00.001Z",
        "2026-05-01T10:00:00.002Z",
        "2026-05-02T10:00:00Z",
    ];
    let mut written = Vec::new();
    for (i, time) in times.iter().enumerate() {
        let status = if i == 1 { 404 } else { 200 };
        let entry = entry(&me, Action::VaultGet, status, time);
        log.append(&entry).await.unwrap();
        written.push(entry);
    }
    let expired = entry(&me, Action::VaultList, 200, "2026-05-02T11:00:00Z").kept_for(0);
    log.append(&expired).await.unwrap();
    let now = at("2026-05-03T00:00:00Z");
    let window = (at("2026-04-01T00:00:00Z"), now);
    let everything = LogFilter::default();
    let first = log
        .entries(&me, &everything, 2, None, window)
        .await
        .unwrap();
    let ids: Vec<&str> = first.entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        [written[2].id.as_str(), written[1].id.as_str()],
        "expired ones hidden"
    );
    let token = first.next_page_token.expect("more");
    let after = crate::domain::LogCursor::from_token(&token).expect("our token");
    let rest = log
        .entries(&me, &everything, 2, Some(&after), window)
        .await
        .unwrap();
    // Entries come back as written, but for their expiry, kept to the second (DynamoDB's
    // TTL is in seconds).
    let same = |read: &ActivityEntry, written: &ActivityEntry| {
        let expiry_to_the_second =
            read.expires_at.unix_seconds() == written.expires_at.unix_seconds();
        let rest = ActivityEntry {
            expires_at: written.expires_at,
            ..read.clone()
        };
        expiry_to_the_second && rest == *written
    };
    assert_eq!(rest.entries.len(), 1);
    assert!(same(&rest.entries[0], &written[0]), "{:?}", rest.entries);
    assert_eq!(rest.next_page_token, None);
    let errors = LogFilter {
        outcome: Some(Outcome::Error),
        ..LogFilter::default()
    };
    let page = log.entries(&me, &errors, 10, None, window).await.unwrap();
    assert_eq!(page.entries.len(), 1);
    assert!(same(&page.entries[0], &written[1]), "{:?}", page.entries);
    let recent = (at("2026-05-02T00:00:00Z"), now);
    let page = log
        .entries(&me, &everything, 10, None, recent)
        .await
        .unwrap();
    let ids: Vec<&str> = page.entries.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        [written[2].id.as_str()],
        "the window bounds the listing"
    );

    let stats = log
        .stats(&me, at("2026-05-01T00:00:00Z"), at("2026-05-02T12:00:00Z"))
        .await
        .unwrap();
    assert_eq!((stats.total, stats.today, stats.errors), (4, 2, 1));
    let last = log.last_activity(&me).await.unwrap();
    assert_eq!(last, Some(expired.created_at));
    assert_eq!(log.last_activity(&fresh_identity()).await.unwrap(), None);
}

/// `IdentityDirectory`: a key opens its identity until revoked, registers once, joins only a
/// live identity; counts per identity and minute; profiles and listings.
pub async fn identity_directory<D: IdentityDirectory>(directory: &D) {
    let now = at("2026-05-01T00:00:00Z");
    let identity = fresh_identity();
    let key = ApiKey::generate().expect("the system CSPRNG");
    let record = IdentityRecord {
        identity: identity.clone(),
        name: "conformance".into(),
        created_at: now,
    };
    let key_record = KeyRecord {
        hash: key.hash(),
        identity: identity.clone(),
        scopes: vec![Scope::VaultRead],
        created_at: now,
    };
    directory.register(&record, &key_record).await.unwrap();
    let principal = directory
        .principal_for(&key.hash())
        .await
        .unwrap()
        .expect("known");
    assert_eq!(
        (principal.identity.clone(), principal.scopes.clone()),
        (identity.clone(), vec![Scope::VaultRead])
    );
    let profile = directory
        .profile(&identity)
        .await
        .unwrap()
        .expect("registered");
    assert_eq!(
        (profile.name.as_str(), profile.created_at),
        ("conformance", now)
    );

    // A key registers once: another identity cannot take it over.
    let thief = IdentityRecord {
        identity: fresh_identity(),
        ..record.clone()
    };
    let stolen = KeyRecord {
        identity: thief.identity.clone(),
        ..key_record.clone()
    };
    assert!(matches!(
        directory.register(&thief, &stolen).await,
        Err(RegisterError::KeyTaken)
    ));
    assert_eq!(
        directory
            .principal_for(&key.hash())
            .await
            .unwrap()
            .map(|p| p.identity),
        Some(identity.clone())
    );

    let second = ApiKey::generate().expect("the system CSPRNG");
    let second_record = KeyRecord {
        hash: second.hash(),
        scopes: Scope::ALL.to_vec(),
        ..key_record.clone()
    };
    assert!(directory.add_key(&second_record).await.unwrap());
    assert!(
        !directory.add_key(&second_record).await.unwrap(),
        "a hash registers once"
    );
    let nobody = KeyRecord {
        identity: fresh_identity(),
        hash: ApiKey::generate().expect("rng").hash(),
        ..key_record.clone()
    };
    assert!(
        !directory.add_key(&nobody).await.unwrap(),
        "no such identity"
    );
    let keys = directory.keys_of(&identity).await.unwrap();
    assert_eq!(keys.len(), 2);
    assert!(
        directory
            .revoke_key(&identity, &key_record.key_id(), now)
            .await
            .unwrap()
    );
    assert_eq!(
        directory.principal_for(&key.hash()).await.unwrap(),
        None,
        "revoked"
    );
    assert!(
        directory
            .principal_for(&second.hash())
            .await
            .unwrap()
            .is_some(),
        "the other stays"
    );
    assert!(
        !directory.revoke_key(&identity, "abc", now).await.unwrap(),
        "too short an id"
    );

    assert!(directory.revoke_identity(&identity, now).await.unwrap());
    assert_eq!(directory.principal_for(&second.hash()).await.unwrap(), None);
    let third = KeyRecord {
        hash: ApiKey::generate().expect("rng").hash(),
        ..key_record.clone()
    };
    assert!(
        !directory.add_key(&third).await.unwrap(),
        "a revoked identity gets no key"
    );
    assert!(
        !directory
            .revoke_identity(&fresh_identity(), now)
            .await
            .unwrap()
    );
    let listed = directory.identities().await.unwrap();
    let mine = listed
        .iter()
        .find(|i| i.identity_id == identity.as_str())
        .expect("listed");
    assert!(mine.revoked_at.is_some());
    assert_eq!((mine.keys, mine.active_keys), (2, 0));

    let window = RateWindow::containing(now.unix_seconds());
    assert_eq!(directory.count_request(&identity, window).await.unwrap(), 1);
    assert_eq!(directory.count_request(&identity, window).await.unwrap(), 2);
    assert_eq!(
        directory
            .count_request(&thief.identity, window)
            .await
            .unwrap(),
        1
    );
    let next = RateWindow::containing(now.unix_seconds() + 60);
    assert_eq!(directory.count_request(&identity, next).await.unwrap(), 1);
}

/// `KeyProvider`: a data key unwraps under the context it was made for, and only that one.
pub async fn key_provider<K: KeyProvider>(keys: &K) {
    use secrecy::ExposeSecret;
    let context = HashMap::from([("credvault:identity".to_owned(), "idt_a".to_owned())]);
    let made = keys.generate_data_key(&context).await.unwrap();
    let opened = keys
        .decrypt_data_key(&made.encrypted, &made.key_id, &context)
        .await
        .unwrap();
    assert_eq!(opened.expose_secret(), made.plaintext.expose_secret());
    let elsewhere = HashMap::from([("credvault:identity".to_owned(), "idt_b".to_owned())]);
    assert!(
        keys.decrypt_data_key(&made.encrypted, &made.key_id, &elsewhere)
            .await
            .is_err()
    );
    let again = keys.generate_data_key(&context).await.unwrap();
    assert_ne!(
        again.plaintext.expose_secret(),
        made.plaintext.expose_secret(),
        "fresh each time"
    );
}

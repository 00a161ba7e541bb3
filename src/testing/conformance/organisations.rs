//! The `IdentityDirectory` suite for organisations, as their platform keys see them.

use super::at;
use super::directory::{fresh_org, identity_in, key_for, key_of, no_change, subject_of};
use crate::auth::KeyHash;
use crate::domain::{KeyKind, KeyLimits, Scope, Subject};
use crate::store::{IdentityChange, IdentityDirectory, IdentityRecord, KeyRecord, RegisterError};

/// Platform keys and their organisation's identities: each organisation sees its own; a
/// change commits over the revision it was planned from; a deletion takes the keys with it.
pub async fn organisations<D: IdentityDirectory>(directory: &D) {
    let now = at("2026-05-01T00:00:00Z");
    let (org, other) = (fresh_org(), fresh_org());
    let platform_key = key_of(KeyKind::Platform);
    let platform = KeyRecord {
        hash: platform_key.hash(),
        subject: Subject::Org(org.clone()),
        scopes: Scope::ALL.to_vec(),
        created_at: now,
        primary: false,
        limits: KeyLimits::default(),
        shown_prefix: platform_key.shown_prefix(),
    };
    directory.register_platform_key(&platform).await.unwrap();
    let principal = directory.principal_for(&platform_key.hash()).await.unwrap();
    assert_eq!(
        principal.map(|p| (p.subject, p.scopes)),
        Some((Subject::Org(org.clone()), Scope::ALL.to_vec()))
    );
    assert!(matches!(
        directory.register_platform_key(&platform).await,
        Err(RegisterError::KeyTaken)
    ));
    // The same digits under the other kind name no key: the kinds are kept apart.
    let as_identity = KeyHash::from_stored(KeyKind::Identity, platform_key.hash().as_str());
    assert_eq!(subject_of(directory, &as_identity).await, None);

    // Three identities in the organisation, one in another; pages in id order.
    let mut mine = Vec::new();
    for name in ["a", "b", "c"] {
        let record = identity_in(&org, name, now);
        let key = key_of(KeyKind::Identity);
        directory
            .register(&record, &key_for(&record.identity, &key, now, true))
            .await
            .unwrap();
        mine.push((record, key));
    }
    let foreign = identity_in(&other, "foreign", now);
    let foreign_key = key_for(&foreign.identity, &key_of(KeyKind::Identity), now, true);
    directory.register(&foreign, &foreign_key).await.unwrap();
    mine.sort_by(|a, b| a.0.identity.cmp(&b.0.identity));
    let first = directory.identities_of(&org, None, 2).await.unwrap();
    let ids = |records: &[IdentityRecord]| {
        records
            .iter()
            .map(|r| r.identity.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(&first.identities),
        [mine[0].0.identity.clone(), mine[1].0.identity.clone()]
    );
    assert_eq!(
        first.next.as_ref(),
        Some(&mine[1].0.identity),
        "more to come"
    );
    let rest = directory
        .identities_of(&org, first.next.as_ref(), 2)
        .await
        .unwrap();
    assert_eq!(ids(&rest.identities), [mine[2].0.identity.clone()]);
    assert_eq!(rest.next, None, "the last page");
    assert_eq!(
        directory
            .identity_in(&org, &foreign.identity)
            .await
            .unwrap(),
        None,
        "another's"
    );
    assert_eq!(
        directory
            .identity_in(&org, &mine[0].0.identity)
            .await
            .unwrap()
            .as_ref(),
        Some(&mine[0].0)
    );

    // A change over the revision read commits; a second change planned from the same read
    // does not, and the first one's scopes stand.
    let (target, target_key) = &mine[0];
    let widened = IdentityRecord {
        scopes: Scope::ALL.to_vec(),
        name: "renamed".into(),
        ..target.clone()
    };
    let rewritten = KeyRecord {
        scopes: Scope::ALL.to_vec(),
        ..key_for(&target.identity, target_key, now, true)
    };
    let change = IdentityChange {
        rewritten: vec![rewritten],
        ..no_change(now)
    };
    assert!(directory.change_identity(&widened, &change).await.unwrap());
    let stale = IdentityRecord {
        name: "stale".into(),
        ..target.clone()
    };
    assert!(
        !directory
            .change_identity(&stale, &no_change(now))
            .await
            .unwrap(),
        "planned from an old read"
    );
    let now_is = directory
        .identity_in(&org, &target.identity)
        .await
        .unwrap()
        .expect("live");
    assert_eq!(
        (
            now_is.name.as_str(),
            now_is.scopes.as_slice(),
            now_is.revision
        ),
        ("renamed", Scope::ALL.as_slice(), 1)
    );
    let principal = directory
        .principal_for(&target_key.hash())
        .await
        .unwrap()
        .expect("live");
    assert_eq!(principal.scopes, Scope::ALL.to_vec(), "its key follows");

    // Adding a key is a change too: a deletion planned before it does not commit.
    let added = key_of(KeyKind::Identity);
    assert!(
        directory
            .add_key(&key_for(&target.identity, &added, now, false))
            .await
            .unwrap()
    );
    assert!(
        !directory.delete_identity(&now_is, now).await.unwrap(),
        "planned before the key"
    );
    let current = directory
        .identity_in(&org, &target.identity)
        .await
        .unwrap()
        .expect("live");
    assert_eq!(
        directory.live_keys(&target.identity).await.unwrap().len(),
        2
    );

    // A rotation: a new primary key in, the old one revoked, in one change.
    let rotated = key_of(KeyKind::Identity);
    let change = IdentityChange {
        added: vec![key_for(&target.identity, &rotated, now, true)],
        revoked: vec![target_key.hash()],
        ..no_change(now)
    };
    assert!(directory.change_identity(&current, &change).await.unwrap());
    assert_eq!(
        subject_of(directory, &target_key.hash()).await,
        None,
        "the old key stops"
    );
    assert!(subject_of(directory, &rotated.hash()).await.is_some());

    // Deletion: every key stops, the identity is gone for its organisation and its id is
    // never registered again.
    let current = directory
        .identity_in(&org, &target.identity)
        .await
        .unwrap()
        .expect("live");
    assert!(directory.delete_identity(&current, now).await.unwrap());
    assert!(directory.purge_identity(&target.identity).await.unwrap() > 0);
    for hash in [rotated.hash(), added.hash()] {
        assert_eq!(subject_of(directory, &hash).await, None);
    }
    assert_eq!(
        directory.identity_in(&org, &target.identity).await.unwrap(),
        None
    );
    let listed = directory.identities_of(&org, None, 10).await.unwrap();
    assert!(
        !ids(&listed.identities).contains(&target.identity),
        "{listed:?}"
    );
    assert!(
        !directory.delete_identity(&current, now).await.unwrap(),
        "once"
    );
    let reused = IdentityRecord {
        revision: 0,
        ..current.clone()
    };
    let reused_key = key_for(&target.identity, &key_of(KeyKind::Identity), now, true);
    assert!(
        directory.register(&reused, &reused_key).await.is_err(),
        "an id is given once"
    );
    assert!(
        !directory
            .change_identity(&current, &no_change(now))
            .await
            .unwrap(),
        "deleted"
    );

    // The organisation's platform keys, listed and revoked by key id.
    let owner = Subject::Org(org.clone());
    let keys = directory.keys_of(&owner).await.unwrap();
    assert_eq!(
        keys.iter().map(|k| k.key_id.clone()).collect::<Vec<_>>(),
        [platform.key_id()]
    );
    assert!(
        !directory
            .revoke_key(&Subject::Org(other.clone()), &platform.key_id(), now)
            .await
            .unwrap()
    );
    assert!(
        directory
            .revoke_key(&owner, &platform.key_id(), now)
            .await
            .unwrap()
    );
    assert_eq!(subject_of(directory, &platform_key.hash()).await, None);
}

//! The `IdentityDirectory` suites: keys and identities as an operator manages them, and
//! organisations as their platform keys do.

use super::{at, fresh_identity};
use crate::auth::{ApiKey, KeyHash};
use crate::domain::{IdentityId, KeyKind, KeyLimits, OrgId, RateWindow, Scope, Subject, Timestamp};
use crate::store::{IdentityChange, IdentityDirectory, IdentityRecord, KeyRecord, RegisterError};

pub(super) fn fresh_org() -> OrgId {
    OrgId::generate().expect("the system CSPRNG")
}

pub(super) fn key_of(kind: KeyKind) -> ApiKey {
    ApiKey::generate(kind).expect("the system CSPRNG")
}

pub(super) fn identity_in(org: &OrgId, name: &str, now: Timestamp) -> IdentityRecord {
    IdentityRecord {
        identity: fresh_identity(),
        name: name.into(),
        org: org.clone(),
        scopes: vec![Scope::VaultRead],
        created_at: now,
        key_prefix: "mgnt-00000000".into(),
        primary_key: None,
        revision: 0,
    }
}

pub(super) fn key_for(
    identity: &IdentityId,
    key: &ApiKey,
    now: Timestamp,
    primary: bool,
) -> KeyRecord {
    KeyRecord {
        hash: key.hash(),
        subject: Subject::Identity(identity.clone()),
        scopes: vec![Scope::VaultRead],
        created_at: now,
        primary,
        limits: KeyLimits::default(),
        shown_prefix: key.shown_prefix(),
    }
}

pub(super) fn no_change(at: Timestamp) -> IdentityChange {
    IdentityChange {
        added: Vec::new(),
        rewritten: Vec::new(),
        revoked: Vec::new(),
        at,
    }
}

pub(super) async fn subject_of<D: IdentityDirectory>(
    directory: &D,
    hash: &KeyHash,
) -> Option<Subject> {
    let principal = directory.principal_for(hash).await.unwrap();
    principal.map(|p| p.subject)
}

/// A key opens its identity until revoked, registers once, joins only a live identity;
/// counts per subject and minute; profiles and the operator's listing.
pub async fn identity_directory<D: IdentityDirectory>(directory: &D) {
    let now = at("2026-05-01T00:00:00Z");
    let org = fresh_org();
    let key = key_of(KeyKind::Identity);
    let record = IdentityRecord {
        primary_key: Some(key.hash()),
        ..identity_in(&org, "conformance", now)
    };
    let identity = record.identity.clone();
    let me = Subject::Identity(identity.clone());
    let key_record = key_for(&identity, &key, now, true);
    directory.register(&record, &key_record).await.unwrap();
    let principal = directory.principal_for(&key.hash()).await.unwrap();
    let principal = principal.expect("known");
    assert_eq!(
        (&principal.subject, principal.scopes.as_slice()),
        (&me, [Scope::VaultRead].as_slice())
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
    let thief = identity_in(&org, "thief", now);
    let stolen = key_for(&thief.identity, &key, now, true);
    assert!(matches!(
        directory.register(&thief, &stolen).await,
        Err(RegisterError::KeyTaken)
    ));
    assert_eq!(subject_of(directory, &key.hash()).await, Some(me.clone()));

    let second = key_of(KeyKind::Identity);
    let second_record = KeyRecord {
        scopes: Scope::ALL.to_vec(),
        ..key_for(&identity, &second, now, false)
    };
    assert!(directory.add_key(&second_record).await.unwrap());
    assert!(
        !directory.add_key(&second_record).await.unwrap(),
        "a hash registers once"
    );
    let nobody = key_for(&fresh_identity(), &key_of(KeyKind::Identity), now, false);
    assert!(
        !directory.add_key(&nobody).await.unwrap(),
        "no such identity"
    );
    let keys = directory.keys_of(&me).await.unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys.iter().filter(|k| k.primary).count(), 1, "{keys:?}");
    assert!(
        directory
            .revoke_key(&me, &key_record.key_id(), now)
            .await
            .unwrap()
    );
    assert_eq!(subject_of(directory, &key.hash()).await, None, "revoked");
    assert!(
        subject_of(directory, &second.hash()).await.is_some(),
        "the other stays"
    );
    assert!(
        !directory.revoke_key(&me, "abc", now).await.unwrap(),
        "too short an id"
    );

    assert!(directory.revoke_identity(&identity, now).await.unwrap());
    assert_eq!(subject_of(directory, &second.hash()).await, None);
    let listed = directory.identities_of(&org, None, 10).await.unwrap();
    assert!(
        listed.identities.is_empty(),
        "a revoked identity is not listed: {listed:?}"
    );
    let third = key_for(&identity, &key_of(KeyKind::Identity), now, false);
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
    assert_eq!(
        (mine.keys, mine.active_keys, mine.org_id.as_str()),
        (2, 0, org.as_str())
    );
    assert_eq!(
        directory.identity_in(&org, &identity).await.unwrap(),
        None,
        "revoked"
    );

    let window = RateWindow::containing(now.unix_seconds());
    assert_eq!(directory.count_request(&me, window).await.unwrap(), 1);
    assert_eq!(directory.count_request(&me, window).await.unwrap(), 2);
    let platform = Subject::Org(org.clone());
    assert_eq!(directory.count_request(&platform, window).await.unwrap(), 1);
    let next = RateWindow::containing(now.unix_seconds() + 60);
    assert_eq!(directory.count_request(&me, next).await.unwrap(), 1);
}

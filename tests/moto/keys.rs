//! API keys on the real SDK path: a key registers once, and a revoked identity's keys stop.

use crate::stack::Stack;
use credvault::testing::*;

#[tokio::test]
async fn a_key_registers_once_and_never_moves_to_another_identity() {
    let stack = Stack::start().await;
    let pinned = credvault::auth::ApiKey::parse(stack.write_key.expose()).unwrap();
    let again = stack
        .identities()
        .create("thief", &credvault::domain::Scope::ALL, Some(pinned))
        .await;
    assert!(
        again.is_err(),
        "a second registration of the same key must fail"
    );
    // The key still belongs to its first identity.
    let answer = TestClient::new(&stack.vault)
        .send(api_event(
            "GET",
            "/v0/vault",
            Some(stack.write_key.expose()),
            None,
        ))
        .await;
    assert_eq!(answer.status, 200);
    let principal = stack
        .vault
        .authenticate(
            Some(&format!("Bearer {}", stack.write_key.expose())),
            test_caller(),
        )
        .await
        .unwrap();
    assert_eq!(principal.principal.identity(), Some(&stack.identity));
}

#[tokio::test]
async fn a_revoked_identitys_keys_stop_working_on_the_next_request() {
    let stack = Stack::start().await;
    let header = format!("Bearer {}", stack.write_key.expose());
    let scope = test_caller;
    assert!(
        stack
            .vault
            .authenticate(Some(&header), scope())
            .await
            .is_ok()
    );

    assert!(stack.identities().revoke(&stack.identity).await.unwrap());

    let err = stack
        .vault
        .authenticate(Some(&header), scope())
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "Invalid API key");
    let listed = stack.identities().list().await.unwrap();
    let me = listed
        .iter()
        .find(|i| i.identity_id == stack.identity.as_str())
        .unwrap();
    assert!(me.revoked_at.is_some());
    assert_eq!((me.keys, me.active_keys), (1, 0));
    // The other identity is untouched, and an unknown one is reported as such.
    let header = format!("Bearer {}", stack.read_key.expose());
    assert!(
        stack
            .vault
            .authenticate(Some(&header), scope())
            .await
            .is_ok()
    );
    let nobody = credvault::domain::IdentityId::parse("idt_nobody").unwrap();
    assert!(!stack.identities().revoke(&nobody).await.unwrap());
}

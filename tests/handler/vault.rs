//! Reading, listing and deleting through the handler, on the in-memory store and local keys:
//! each endpoint's success and error paths.

use crate::totp::totp_body;
use credvault::store::CredentialStore;
use credvault::testing::*;
use serde_json::{Value, json};

#[tokio::test]
async fn given_a_login_when_read_then_the_data_comes_back_and_the_use_is_recorded() {
    // GIVEN the seed's login
    let vault = memory_vault();
    writer(&vault)
        .put(
            "github",
            &json!({"type": "LOGIN", "data": {"password": "s3cret!"},
        "metadata": {"username": "agent-bot"}}),
        )
        .await;

    // WHEN it is read
    let answer = TestClient::new(&vault)
        .request_as(READ_KEY, "GET", "/v0/vault/github")
        .await;

    // THEN everything stored is there, with the password, and lastUsedAt is set
    assert_eq!(answer.status, 200, "{}", answer.text);
    let body = &answer.json;
    assert_eq!(body["data"], json!({"password": "s3cret!"}));
    assert_eq!(body["hasTOTP"], false);
    assert_eq!(body["metadata"]["username"], "agent-bot");
    assert_eq!(body["lastRotatedAt"], Value::Null);
    assert!(
        body["lastUsedAt"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    for field in ["credentialId", "type", "name", "expiresAt", "createdAt"] {
        assert!(body.get(field).is_some(), "{field}");
    }
    let listed = TestClient::new(&vault)
        .request_as(READ_KEY, "GET", "/v0/vault")
        .await;
    assert_eq!(
        listed.json["credentials"][0]["lastUsedAt"],
        body["lastUsedAt"]
    );
}

#[tokio::test]
async fn the_list_is_sorted_by_name_and_holds_no_data() {
    let vault = memory_vault();
    for name in ["zeta", "alpha", "Mid", "beta"] {
        writer(&vault)
            .put(
                name,
                &json!({"type": "CUSTOM", "data": {"s": format!("secret-{name}")}}),
            )
            .await;
    }
    let answer = TestClient::new(&vault)
        .request_as(READ_KEY, "GET", "/v0/vault")
        .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json["count"], 4);
    let names: Vec<&str> = answer.json["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Mid", "alpha", "beta", "zeta"]);
    assert!(!answer.text.contains("secret-") && !answer.text.contains("\"data\""));
}

#[tokio::test]
async fn delete_answers_204_then_404() {
    let vault = memory_vault();
    writer(&vault)
        .put("stripe", &json!({"type": "API_KEY", "data": {"key": "k"}}))
        .await;
    let gone = TestClient::new(&vault)
        .request_as(WRITE_ONLY_KEY, "DELETE", "/v0/vault/stripe")
        .await;
    assert_eq!(gone.status, 204);
    assert!(gone.text.is_empty());
    assert_envelope(
        &TestClient::new(&vault)
            .request_as(READ_KEY, "GET", "/v0/vault/stripe")
            .await,
        404,
        "not_found",
    );
    assert_envelope(
        &TestClient::new(&vault)
            .request_as(WRITE_KEY, "DELETE", "/v0/vault/stripe")
            .await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn another_identitys_credentials_do_not_exist_for_us() {
    // GIVEN our stripe
    let vault = memory_vault();
    writer(&vault)
        .put(
            "stripe",
            &json!({"type": "API_KEY", "data": {"key": "sk_live_abc123"}}),
        )
        .await;

    // WHEN another identity looks for it, or lists, or deletes
    for (method, path) in [
        ("GET", "/v0/vault/stripe"),
        ("GET", "/v0/vault/stripe/totp"),
        ("POST", "/v0/vault/stripe/totp/backup"),
        ("DELETE", "/v0/vault/stripe"),
    ] {
        let answer = TestClient::new(&vault)
            .request_as(OTHER_IDENTITY_KEY, method, path)
            .await;
        // THEN it is a plain 404, like any name that does not exist
        assert_envelope(&answer, 404, "not_found");
        assert_eq!(answer.json["message"], "Credential not found");
    }
    let listed = TestClient::new(&vault)
        .request_as(OTHER_IDENTITY_KEY, "GET", "/v0/vault")
        .await;
    assert_eq!(listed.json, json!({"count": 0, "credentials": []}));

    // AND their own stripe is theirs alone
    let theirs = TestClient::new(&vault)
        .send(api_event(
            "PUT",
            "/v0/vault/stripe",
            Some(OTHER_IDENTITY_KEY),
            Some(r#"{"type":"API_KEY","data":{"key":"theirs"}}"#),
        ))
        .await;
    assert_eq!(
        theirs.status, 200,
        "their own credential, stored beside ours"
    );
    let ours = TestClient::new(&vault)
        .request_as(READ_KEY, "GET", "/v0/vault/stripe")
        .await;
    assert_eq!(ours.json["data"]["key"], "sk_live_abc123");
}

#[tokio::test]
async fn an_expired_credential_is_gone_for_reads_but_can_be_replaced_or_deleted() {
    let vault = memory_vault();
    writer(&vault)
        .put(
            "old",
            &json!({"type": "TOTP", "data": {"secret": "JBSWY3DPEHPK3PXP", "backupCodes": ["x"]},
        "expiresAt": "2020-01-01T00:00:00Z"}),
        )
        .await;

    for (method, path, key) in [
        ("GET", "/v0/vault/old", READ_KEY),
        ("GET", "/v0/vault/old/totp", READ_KEY),
        ("POST", "/v0/vault/old/totp/backup", WRITE_KEY),
    ] {
        let answer = TestClient::new(&vault).request_as(key, method, path).await;
        assert_envelope(&answer, 410, "expired");
        assert_eq!(answer.json["message"], "Credential has expired");
        assert!(!answer.text.contains("JBSWY3DP") && !answer.text.contains("\"x\""));
    }
    let listed = TestClient::new(&vault)
        .request_as(READ_KEY, "GET", "/v0/vault")
        .await;
    assert_eq!(
        listed.json["credentials"][0]["expiresAt"],
        "2020-01-01T00:00:00Z"
    );
    assert_eq!(
        writer(&vault)
            .put("old", &json!({"type": "CUSTOM", "data": {"a": 1}}))
            .await
            .status,
        200
    );
    assert_eq!(
        TestClient::new(&vault)
            .request_as(READ_KEY, "GET", "/v0/vault/old")
            .await
            .status,
        200
    );
    assert_eq!(
        TestClient::new(&vault)
            .request_as(WRITE_KEY, "DELETE", "/v0/vault/old")
            .await
            .status,
        204
    );
}

#[tokio::test]
async fn each_endpoint_demands_its_scope() {
    let vault = memory_vault();
    writer(&vault).put("github-2fa", &totp_body(&["c"])).await;
    let cases = [
        ("GET", "/v0/vault", WRITE_ONLY_KEY, "vault:read"),
        ("GET", "/v0/vault/github-2fa", WRITE_ONLY_KEY, "vault:read"),
        (
            "GET",
            "/v0/vault/github-2fa/totp",
            WRITE_ONLY_KEY,
            "vault:read",
        ),
        ("DELETE", "/v0/vault/github-2fa", READ_KEY, "vault:write"),
        (
            "POST",
            "/v0/vault/github-2fa/totp/backup",
            WRITE_ONLY_KEY,
            "vault:read",
        ),
    ];
    for (method, path, key, scope) in cases {
        let answer = TestClient::new(&vault).request_as(key, method, path).await;
        assert_envelope(&answer, 403, "forbidden");
        assert_eq!(
            answer.json["message"],
            format!("Missing required scope: {scope}")
        );
    }
    assert_eq!(vault.store_port().len(), 1, "nothing was deleted");
}

#[tokio::test]
async fn wrong_methods_and_paths_answer_405_and_404() {
    let vault = memory_vault();
    let cases = [
        ("POST", "/v0/vault", 405, "GET"),
        ("DELETE", "/v0/vault/x/totp", 405, "GET"),
        ("GET", "/v0/vault/x/totp/backup", 405, "POST"),
        ("GET", "/v0/vault/x/other", 404, ""),
    ];
    for (method, path, status, allow) in cases {
        let answer = TestClient::new(&vault)
            .request_as(WRITE_KEY, method, path)
            .await;
        assert_eq!(answer.status.as_u16(), status, "{method} {path}");
        if status == 405 {
            assert_eq!(answer.headers["allow"], allow);
        }
    }
}

#[tokio::test]
async fn a_tampered_or_moved_item_is_an_internal_error_never_garbage() {
    let vault = memory_vault();
    writer(&vault)
        .put(
            "stripe",
            &json!({"type": "API_KEY", "data": {"key": "sk_live_abc123"}}),
        )
        .await;
    let name = credvault::domain::CredentialName::parse("stripe").unwrap();
    let original = vault
        .store_port()
        .get(&fixture_identity(), &name)
        .await
        .unwrap()
        .unwrap();

    let mut flipped = original.clone();
    flipped.envelope.ciphertext[0] ^= 1;
    let mut moved = original.clone();
    moved.info.name = credvault::domain::CredentialName::parse("github").unwrap();
    let mut retyped = original.clone();
    retyped.info.kind = credvault::domain::CredentialType::Custom;

    for (record, path) in [
        (flipped, "/v0/vault/stripe"),
        (moved, "/v0/vault/github"),
        (retyped, "/v0/vault/stripe"),
    ] {
        vault.store_port().overwrite_raw(record);
        let answer = TestClient::new(&vault)
            .request_as(READ_KEY, "GET", path)
            .await;
        assert_envelope(&answer, 500, "internal_error");
        assert_eq!(answer.json["message"], "Internal error");
        assert!(!answer.text.contains("sk_live"));
    }
}

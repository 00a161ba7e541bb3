//! Reading, listing, deleting, TOTP codes and backup codes through the handler, on the
//! in-memory store and local keys: each endpoint's success and error paths.

use credvault::domain::Timestamp;
use credvault::domain::{
    BACKUP_CODES_PLACEHOLDER, TOTP_PLACEHOLDER, decode_totp_secret, totp_code,
};
use credvault::store::CredentialStore;
use credvault::testing::*;
use serde_json::{Value, json};
use std::sync::Arc;

fn totp_body(codes: &[&str]) -> Value {
    json!({"type": "TOTP", "data": {"secret": "JBSWY3DPEHPK3PXP", "backupCodes": codes},
           "metadata": {"issuer": "GitHub"}})
}

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
async fn totp_seeds_are_never_returned_but_codes_are() {
    // A clock that stands still, so the expected code is exact.
    let now = Timestamp::parse("2026-03-29T03:00:10Z").unwrap();
    let vault = memory_vault().with_clock(Arc::new(ManualClock::at(now)));
    writer(&vault)
        .put("github-2fa", &totp_body(&["c1", "c2"]))
        .await;
    writer(&vault)
        .put(
            "aws-root",
            &json!({"type": "LOGIN", "data": {"password": "p", "totp": "JBSWY3DPEHPK3PXP"}}),
        )
        .await;

    let read = TestClient::new(&vault)
        .request_as(READ_KEY, "GET", "/v0/vault/github-2fa")
        .await;
    assert_eq!(read.json["data"]["secret"], TOTP_PLACEHOLDER);
    assert_eq!(read.json["hasTOTP"], true);
    assert!(!read.text.contains("JBSWY3DP"));
    let read = TestClient::new(&vault)
        .request_as(READ_KEY, "GET", "/v0/vault/aws-root")
        .await;
    assert_eq!(read.json["data"]["totp"], TOTP_PLACEHOLDER);
    assert_eq!(read.json["data"]["password"], "p");
    assert_eq!(read.json["hasTOTP"], true);

    for name in ["github-2fa", "aws-root"] {
        let answer = TestClient::new(&vault)
            .request_as(READ_KEY, "GET", &format!("/v0/vault/{name}/totp"))
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        let seed = decode_totp_secret("JBSWY3DPEHPK3PXP").unwrap();
        let expected = totp_code(&seed, totp_rs::Algorithm::SHA1, 6, now.unix_seconds());
        assert_eq!(answer.json["code"], expected);
        assert_eq!(answer.json["remaining"], 20);
    }
    let answer = TestClient::new(&vault)
        .request_as(READ_KEY, "GET", "/v0/vault/github-2fa/totp")
        .await;
    assert_eq!(answer.json["backupCodesRemaining"], 2);
}

#[tokio::test]
async fn a_credential_without_a_seed_has_no_totp() {
    let vault = memory_vault();
    writer(&vault)
        .put(
            "stripe",
            &json!({"type": "API_KEY", "data": {"key": "sk_live_abc123"}}),
        )
        .await;
    let answer = TestClient::new(&vault)
        .request_as(READ_KEY, "GET", "/v0/vault/stripe/totp")
        .await;
    assert_envelope(&answer, 400, "bad_request");
    assert_eq!(
        answer.json["message"],
        "No TOTP secret found on this credential"
    );
}

#[tokio::test]
async fn an_unknown_algorithm_is_a_bad_request() {
    let vault = memory_vault();
    writer(&vault)
        .put(
            "odd",
            &json!({"type": "TOTP", "data": {"secret": "JBSWY3DPEHPK3PXP"},
        "metadata": {"algorithm": "MD5"}}),
        )
        .await;
    let answer = TestClient::new(&vault)
        .request_as(READ_KEY, "GET", "/v0/vault/odd/totp")
        .await;
    assert_envelope(&answer, 400, "bad_request");
}

#[tokio::test]
async fn backup_codes_are_handed_out_once_each_in_order() {
    let vault = memory_vault();
    writer(&vault)
        .put("github-2fa", &totp_body(&["first", "second"]))
        .await;
    let path = "/v0/vault/github-2fa/totp/backup";

    let one = TestClient::new(&vault)
        .send(api_event("POST", path, Some(WRITE_KEY), None))
        .await;
    assert_eq!(
        (one.status.as_u16(), one.json.clone()),
        (200, json!({"code": "first", "remaining": 1}))
    );
    let two = TestClient::new(&vault)
        .send(api_event("POST", path, Some(WRITE_KEY), None))
        .await;
    assert_eq!(two.json, json!({"code": "second", "remaining": 0}));
    let none = TestClient::new(&vault)
        .send(api_event("POST", path, Some(WRITE_KEY), None))
        .await;
    assert_envelope(&none, 400, "bad_request");

    let read = TestClient::new(&vault)
        .request_as(READ_KEY, "GET", "/v0/vault/github-2fa")
        .await;
    // Unused codes are masked like the seed (none are left here); spent ones show.
    assert_eq!(read.json["data"]["backupCodes"], BACKUP_CODES_PLACEHOLDER);
    assert_eq!(
        read.json["data"]["usedBackupCodes"],
        json!(["first", "second"])
    );
    assert!(read.json["lastRotatedAt"].is_string());
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

#[tokio::test]
async fn each_identity_gets_its_own_requests_per_minute_then_429() {
    // GIVEN a limit of 3 requests a minute, 10 s into a minute that does not end mid-test
    let clock = Arc::new(ManualClock::at(
        Timestamp::parse("2026-03-29T03:00:10Z").unwrap(),
    ));
    let vault = memory_vault()
        .with_rate_limit(Some(3))
        .with_clock(clock.clone());
    // (failed authentication does not spend the budget)
    for _ in 0..5 {
        let stranger = "loid-".to_owned() + &"0".repeat(64);
        assert_eq!(
            TestClient::new(&vault)
                .request_as(&stranger, "GET", "/v0/vault")
                .await
                .status,
            401
        );
    }
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(
            TestClient::new(&vault)
                .request_as(READ_KEY, "GET", "/v0/vault")
                .await,
        );
    }
    // THEN three pass and the fourth is refused, with when to come back
    assert!(statuses[..3].iter().all(|a| a.status == 200));
    let limited = &statuses[3];
    assert_envelope(limited, 429, "rate_limited");
    let retry: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(retry, 50);
    // Keys of the same identity share the budget; another identity has its own.
    assert_eq!(
        TestClient::new(&vault)
            .request_as(WRITE_KEY, "GET", "/v0/vault")
            .await
            .status,
        429
    );
    assert_eq!(
        TestClient::new(&vault)
            .request_as(OTHER_IDENTITY_KEY, "GET", "/v0/vault")
            .await
            .status,
        200
    );
    // WHEN the next minute opens THEN the identity has its budget back
    clock.advance(50);
    assert_eq!(
        TestClient::new(&vault)
            .request_as(READ_KEY, "GET", "/v0/vault")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn last_used_at_is_kept_to_the_minute_so_polling_writes_less() {
    // GIVEN a credential read once at 12:00:00
    let clock = Arc::new(ManualClock::at(
        Timestamp::parse("2026-04-06T12:00:00Z").unwrap(),
    ));
    let vault = memory_vault().with_clock(clock.clone());
    let api = writer(&vault);
    let login = json!({"type": "LOGIN", "data": {"password": "p"}});
    assert_eq!(api.put("polled", &login).await.status, 200);
    let read = || async { api.request("GET", "/v0/vault/polled", None).await };
    assert_eq!(read().await.json["lastUsedAt"], "2026-04-06T12:00:00Z");
    // WHEN it is read again 59 s later, THEN the recorded use stands
    clock.advance(59);
    assert_eq!(read().await.json["lastUsedAt"], "2026-04-06T12:00:00Z");
    let listed = api.request("GET", "/v0/vault", None).await;
    assert_eq!(
        listed.json["credentials"][0]["lastUsedAt"],
        "2026-04-06T12:00:00Z"
    );
    // WHEN a minute has passed since it, THEN the read moves it
    clock.advance(1);
    assert_eq!(read().await.json["lastUsedAt"], "2026-04-06T12:01:00Z");
    // and every read is in the log, whether it moved lastUsedAt or not
    let logs = api.request("GET", "/v0/logs?action=vault_get", None).await;
    assert_eq!(
        logs.json["logs"].as_array().map(Vec::len),
        Some(3),
        "{}",
        logs.text
    );
}

#[tokio::test]
async fn a_store_refused_by_the_rate_limit_writes_nothing() {
    // GIVEN a limit of 2 requests a minute, both spent on stores
    let clock = Arc::new(ManualClock::at(
        Timestamp::parse("2026-03-29T03:00:10Z").unwrap(),
    ));
    let vault = memory_vault()
        .with_rate_limit(Some(2))
        .with_clock(clock.clone());
    let api = writer(&vault);
    let login = json!({"type": "LOGIN", "data": {"password": "p"}});
    for name in ["first", "second"] {
        assert_eq!(api.put(name, &login).await.status, 200);
    }
    // WHEN a third store comes within the minute (its data key already asked for)
    let refused = api.put("third", &login).await;
    // THEN it is refused, and once the minute is over nothing of it is there
    assert_envelope(&refused, 429, "rate_limited");
    clock.advance(60);
    let listed = api.request("GET", "/v0/vault", None).await;
    assert_eq!(listed.json["count"], 2, "{}", listed.text);
    assert_eq!(
        api.request("GET", "/v0/vault/third", None).await.status,
        404
    );
}

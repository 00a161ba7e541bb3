//! TOTP codes and backup codes through the handler, on the in-memory store and local keys.

use credvault::domain::Timestamp;
use credvault::domain::{
    BACKUP_CODES_PLACEHOLDER, TOTP_PLACEHOLDER, decode_totp_secret, totp_code,
};
use credvault::testing::*;
use serde_json::{Value, json};
use std::sync::Arc;

pub(super) fn totp_body(codes: &[&str]) -> Value {
    json!({"type": "TOTP", "data": {"secret": "JBSWY3DPEHPK3PXP", "backupCodes": codes},
           "metadata": {"issuer": "GitHub"}})
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

//! The handler driven by API Gateway HTTP API (v2) events from `events/`, on the in-memory
//! store and local keys: every fixture has an expected answer, and every failure writes nothing.

use credvault::domain::CredentialName;
use credvault::http::template_of;
use credvault::store::CredentialStore;
use credvault::testing::*;
use lambda_http::http::header;
use lambda_http::request::RequestContext;
use lambda_http::{Body, RequestExt};

use crate::fixture_cases::CASES;

/// The fixture store's identities: `idt_fixture` and `idt_other`.
const FIXTURE_IDENTITIES: usize = 2;

#[tokio::test]
async fn every_fixture_gets_its_expected_answer_and_failures_write_nothing() {
    let mut seen = 0;
    for entry in std::fs::read_dir(events_dir()).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let (_, _, status, error) = CASES
            .iter()
            .find(|(name, ..)| *name == stem)
            .unwrap_or_else(|| panic!("fixture {stem} has no expected answer in CASES"));
        seen += 1;

        // GIVEN an empty vault
        let vault = memory_vault();
        // WHEN the fixture arrives
        let answer = TestClient::new(&vault).send(event(&stem)).await;
        // THEN the answer is the expected one, and leaks nothing
        for secret in FIXTURE_SECRETS {
            assert!(
                !answer.text.contains(secret),
                "{stem} leaked {secret}: {}",
                answer.text
            );
        }
        if *status != 204 {
            assert_eq!(
                answer.headers[header::CONTENT_TYPE],
                "application/json",
                "{stem}"
            );
            assert_eq!(answer.headers[header::CACHE_CONTROL], "no-store", "{stem}");
        }
        let identities = vault.store_port().live_identities();
        match error {
            Some((code, message)) => {
                assert_envelope(&answer, *status, code);
                if !message.is_empty() {
                    assert_eq!(answer.json["message"], *message, "{stem}");
                }
                assert!(
                    vault.store_port().is_empty() && identities == FIXTURE_IDENTITIES,
                    "{stem} wrote despite failing"
                );
            }
            None => {
                assert_eq!(answer.status.as_u16(), *status, "{stem}: {}", answer.text);
                let writes = usize::from(stem.starts_with("put-"));
                assert_eq!(vault.store_port().len(), writes, "{stem}");
                let made = match stem.as_str() {
                    "post-platform-identity" | "post-platform-identity-empty-body" => {
                        FIXTURE_IDENTITIES + 1
                    }
                    "delete-platform-identity" => FIXTURE_IDENTITIES - 1,
                    _ => FIXTURE_IDENTITIES,
                };
                assert_eq!(identities, made, "{stem}");
            }
        }
    }
    assert_eq!(seen, CASES.len(), "every case has a fixture");
}

#[tokio::test]
async fn given_the_seed_example_when_stored_then_the_answer_is_the_contracts_shape() {
    let vault = memory_vault();
    let answer = TestClient::new(&vault)
        .send(event("put-seed-api-key"))
        .await;

    assert_eq!(answer.status, 200);
    let body = answer.json.as_object().unwrap();
    let fields: Vec<&str> = body.keys().map(String::as_str).collect();
    assert_eq!(
        fields,
        [
            "credentialId",
            "type",
            "name",
            "metadata",
            "expiresAt",
            "createdAt",
            "lastUsedAt",
            "lastRotatedAt"
        ]
    );
    // A new credential has been neither used nor rotated (the Node SDK's type has both).
    assert_eq!(
        (&body["lastUsedAt"], &body["lastRotatedAt"]),
        (&serde_json::Value::Null, &serde_json::Value::Null)
    );
    assert!(body["credentialId"].as_str().unwrap().starts_with("cred_"));
    assert_eq!(body["type"], "API_KEY");
    assert_eq!(body["name"], "stripe");
    assert_eq!(
        body["metadata"],
        serde_json::json!({"service": "stripe", "prefix": "sk_live_...c123"})
    );
    assert_eq!(body["expiresAt"], serde_json::Value::Null);
    let created = body["createdAt"].as_str().unwrap();
    assert!(created.ends_with('Z') && credvault::domain::Timestamp::parse(created).is_some());
}

#[tokio::test]
async fn a_base64_body_is_decoded_and_the_expiry_normalised_to_utc() {
    let vault = memory_vault();
    let answer = TestClient::new(&vault).send(event("put-base64-body")).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.json["expiresAt"], "2030-01-01T00:00:00Z");
}

#[tokio::test]
async fn given_a_stored_credential_when_the_name_is_written_again_then_it_is_replaced_whole() {
    // GIVEN stripe, with metadata
    let vault = memory_vault();
    let first = TestClient::new(&vault)
        .send(event("put-seed-api-key"))
        .await;
    assert_eq!(first.status, 200);

    // WHEN it is stored again with neither metadata nor the same type
    let request = event("put-seed-api-key").map(|_| {
        Body::Text(r#"{"type":"CUSTOM","data":{"token":"t-2"},"expiresAt":"2031-05-01"}"#.into())
    });
    let second = TestClient::new(&vault).send(request).await;

    // THEN the answer says replaced, and nothing of the old credential survives
    assert_eq!(second.status, 200, "{}", second.text);
    let stored = vault
        .store_port()
        .get(
            &fixture_identity(),
            &CredentialName::parse("stripe").unwrap(),
        )
        .await
        .unwrap()
        .unwrap()
        .info;
    assert_eq!(vault.store_port().len(), 1);
    assert_eq!(stored.metadata, None);
    assert_eq!(stored.kind.as_str(), "CUSTOM");
    assert_eq!(
        stored.expires_at.unwrap().to_string(),
        "2031-05-01T00:00:00Z"
    );
    assert_ne!(second.json["credentialId"], first.json["credentialId"]);
}

#[tokio::test]
async fn a_body_over_two_mebibytes_is_refused_unread() {
    let vault = memory_vault();
    let huge = format!(
        r#"{{"type":"CUSTOM","data":{{"x":"{}"}}}}"#,
        "a".repeat(2 * 1024 * 1024)
    );
    let answer = TestClient::new(&vault)
        .send(event("put-seed-api-key").map(|_| Body::Text(huge)))
        .await;
    assert_envelope(&answer, 413, "payload_too_large");
    assert!(vault.store_port().is_empty());
}

#[tokio::test]
async fn data_too_large_for_one_item_is_refused() {
    let vault = memory_vault();
    let big = format!(
        r#"{{"type":"CUSTOM","data":{{"x":"{}"}}}}"#,
        "a".repeat(300 * 1024)
    );
    let answer = TestClient::new(&vault)
        .send(event("put-seed-api-key").map(|_| Body::Text(big)))
        .await;
    assert_envelope(&answer, 413, "payload_too_large");
    assert!(vault.store_port().is_empty());
}

#[tokio::test]
async fn a_wrong_method_names_the_allowed_ones() {
    let answer = TestClient::new(&memory_vault())
        .send(event("patch-wrong-method"))
        .await;
    assert_envelope(&answer, 405, "method_not_allowed");
    assert_eq!(answer.headers[header::ALLOW], "GET, PUT, DELETE");
}

#[tokio::test]
async fn a_rest_api_stage_prefix_does_not_hide_the_route() {
    // REST APIs put the stage in the URI; routing reads the raw path without it.
    let request = event("put-seed-api-key").with_raw_http_path("/v0/vault/stripe");
    let (mut parts, body) = request.into_parts();
    parts.uri = "https://abc123.execute-api.us-east-1.amazonaws.com/prod/v0/vault/stripe"
        .parse()
        .unwrap();
    let answer = TestClient::new(&memory_vault())
        .send(lambda_http::Request::from_parts(parts, body))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
}

#[tokio::test]
async fn a_rest_api_and_a_function_url_reach_the_same_credential() {
    // GIVEN the seed's login, stored through the HTTP API
    let vault = memory_vault();
    assert_eq!(
        TestClient::new(&vault)
            .send(event("put-seed-login"))
            .await
            .status,
        200
    );
    // WHEN it is read through a REST API stage and through a Function URL
    for fixture in [
        "get-credential-rest-v1",
        "get-credential-function-url",
        "get-credential",
    ] {
        let answer = TestClient::new(&vault).send(event(fixture)).await;
        // THEN each finds it
        assert_eq!(answer.status, 200, "{fixture}: {}", answer.text);
        assert_eq!(answer.json["data"]["password"], "s3cret!", "{fixture}");
    }
}

#[test]
fn every_fixture_parses_and_routes_where_its_case_says() {
    for (stem, want_route, ..) in CASES {
        let path = events_dir().join(format!("{stem}.json"));
        let text = std::fs::read_to_string(&path).unwrap();
        let request = lambda_http::request::from_str(&text)
            .unwrap_or_else(|e| panic!("{stem}: lambda_http cannot parse it: {e}"));

        // `<method>-<what>[-rest-v1|-function-url].json`
        let method = stem.split('-').next().unwrap().to_uppercase();
        assert_eq!(request.method().as_str(), method, "{stem}");
        let want_origin = if stem.ends_with("-rest-v1") {
            "v1"
        } else {
            "v2"
        };
        let got_origin = match request.request_context_ref() {
            Some(RequestContext::ApiGatewayV1(_)) => "v1",
            Some(RequestContext::ApiGatewayV2(_)) => "v2",
            _ => "other",
        };
        assert_eq!(got_origin, want_origin, "{stem}");

        let route = template_of(request.raw_http_path());
        assert_eq!(route, *want_route, "{stem}: {}", request.raw_http_path());
    }
    assert!(CASES.len() >= 30, "only {} fixtures", CASES.len());
}

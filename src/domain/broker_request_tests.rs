use super::*;
use serde_json::json;

fn parse(value: Value) -> Result<BrokerRequest, BodyError> {
    BrokerRequest::from_json(value.to_string().as_bytes())
}

fn message(result: Result<BrokerRequest, BodyError>) -> String {
    match result {
        Ok(parsed) => panic!("parsed: {parsed:?}"),
        Err(BodyError::Invalid(m) | BodyError::TooLarge(m)) => m,
    }
}

#[test]
fn a_full_request_parses_with_lowercase_header_names() {
    let parsed = parse(json!({
        "method": "post",
        "url": "https://api.stripe.com/v1/charges?key={{data.key}}",
        "headers": {"Authorization": "Bearer {{data.key}}", "X-Plain": "1"},
        "body": "amount=1",
    }))
    .unwrap();
    assert_eq!(parsed.method, "POST");
    assert_eq!(parsed.headers[0].0, "authorization");
    assert!(parsed.headers[0].1.has_placeholders());
    assert!(!parsed.headers[1].1.has_placeholders());
    assert_eq!(parsed.templates().count(), 4);
    let debug = format!("{parsed:?}");
    assert!(
        !debug.contains("stripe") && !debug.contains("Bearer"),
        "{debug}"
    );
}

#[test]
fn a_base64_body_is_decoded_before_its_placeholders_are_found() {
    let encoded = data_encoding::BASE64.encode(b"\x00\x01{{data.key}}");
    let parsed = parse(json!({
        "method": "PUT", "url": "https://a.io/x", "body": encoded, "bodyEncoding": "base64",
    }))
    .unwrap();
    assert!(parsed.body.unwrap().has_placeholders());
}

#[test]
fn a_placeholder_may_not_choose_where_the_request_goes() {
    for url in [
        "https://{{data.host}}/x",
        "https://api.{{data.host}}.com/x",
        "https://a.io:{{data.port}}/x",
        "https://{{data.user}}@a.io/x",
        "https://a.io{{data.path}}",
        "{{data.url}}",
        "https:///{{data.key}}/",
        "https:////{{data.key}}.example.com/",
        "https://user@a.io/{{data.key}}",
        "https://%61.io/{{data.key}}",
    ] {
        let got = message(parse(json!({"method": "GET", "url": url})));
        assert!(
            got.contains("placeholders go in its path and query only")
                || got.contains("absolute https"),
            "{url}: {got}"
        );
    }
    assert!(parse(json!({"method": "GET", "url": "https://a.io/{{data.p}}?q={{data.k}}"})).is_ok());
    assert!(parse(json!({"method": "GET", "url": "https://a.io?q={{data.k}}"})).is_ok());
    assert!(parse(json!({"method": "GET", "url": "https://[::1]:8443/{{data.k}}"})).is_ok());
    for folded in [
        "https://a.io\\{{data.k}}/x",
        "https://\t/{{data.k}}/",
        "https://\n/{{data.k}}/",
        "https://a.io/ x",
    ] {
        let got = message(parse(json!({"method": "GET", "url": folded})));
        assert!(
            got.contains("backslash, a space or a control"),
            "{folded:?}: {got}"
        );
    }
    for header in [
        "Accept-Encoding",
        "Range",
        "X-HTTP-Method-Override",
        "X-Original-URL",
    ] {
        let body = json!({"method": "GET", "url": "https://a.io/", "headers": {header: "x"}});
        let got = message(parse(body));
        assert!(got.contains("may not set"), "{header}: {got}");
    }
}

#[test]
fn refusals_name_the_field() {
    let many: Map<String, Value> = (0..65).map(|i| (format!("x-{i}"), json!("v"))).collect();
    for (value, expected) in [
        (json!({"url": "https://a.io/"}), "`method` must be one of"),
        (
            json!({"method": "CONNECT", "url": "https://a.io/"}),
            "`method` must be one of",
        ),
        (json!({"method": "GET"}), "`url` is required"),
        (
            json!({"method": "GET", "url": "ftp://a.io/"}),
            "absolute https URL",
        ),
        (
            json!({"method": "GET", "url": "/relative"}),
            "absolute https URL",
        ),
        (
            json!({"method": "GET", "url": "https://a.io/#{{data.k}}"}),
            "fragment",
        ),
        (
            json!({"method": "GET", "url": "https://a.io/", "extra": 1}),
            "Unknown field",
        ),
        (
            json!({"method": "GET", "url": "https://a.io/", "headers": []}),
            "object of strings",
        ),
        (
            json!({"method": "GET", "url": "https://a.io/", "headers": {"a": 1}}),
            "object of strings",
        ),
        (
            json!({"method": "GET", "url": "https://a.io/", "headers": {"a b": "1"}}),
            "header name",
        ),
        (
            json!({"method": "GET", "url": "https://a.io/", "headers": {"{{data.k}}": "1"}}),
            "header name",
        ),
        (
            json!({"method": "GET", "url": "https://a.io/", "headers": {"Host": "b.io"}}),
            "may not set host",
        ),
        (
            json!({"method": "GET", "url": "https://a.io/", "headers": {"Proxy-Authorization": "x"}}),
            "may not set proxy-authorization",
        ),
        (
            json!({"method": "GET", "url": "https://a.io/", "headers": {"x": "a\r\nb: c"}}),
            "control character",
        ),
        (
            json!({"method": "GET", "url": "https://a.io/", "headers": many}),
            "more than 64",
        ),
        (
            json!({"method": "GET", "url": "https://a.io/", "body": 1}),
            "`body` must be a string",
        ),
        (
            json!({"method": "GET", "url": "https://a.io/", "body": "x", "bodyEncoding": "hex"}),
            "utf8 or base64",
        ),
        (
            json!({"method": "GET", "url": "https://a.io/", "body": "!!", "bodyEncoding": "base64"}),
            "not valid base64",
        ),
        (json!(["GET"]), "must be a JSON object"),
    ] {
        let got = message(parse(value.clone()));
        assert!(got.contains(expected), "{value}: {got}");
    }
    assert!(
        message(BrokerRequest::from_json(
            br#"{"method":"GET","method":"POST"}"#
        ))
        .contains("refused")
    );
    assert_eq!(
        message(BrokerRequest::from_json(b" ")),
        "Request body is required"
    );
}

#[test]
fn oversized_parts_are_too_large() {
    let long_url = format!("https://a.io/{}", "x".repeat(MAX_URL_BYTES));
    let big_body = "x".repeat(MAX_BROKERED_BODY + 1);
    for value in [
        json!({"method": "GET", "url": long_url}),
        json!({"method": "POST", "url": "https://a.io/", "body": big_body}),
    ] {
        assert!(matches!(parse(value), Err(BodyError::TooLarge(_))));
    }
}

#[test]
fn the_number_of_placeholders_is_bounded() {
    let body = "{{data.k}}".repeat(MAX_PLACEHOLDERS);
    assert!(parse(json!({"method": "POST", "url": "https://a.io/", "body": body})).is_ok());
    let one_more = format!("{body}{{{{data.k}}}}");
    let got = message(parse(
        json!({"method": "POST", "url": "https://a.io/", "body": one_more}),
    ));
    assert!(got.contains("at most 256 placeholders"), "{got}");
}

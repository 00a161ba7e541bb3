use super::*;
use serde_json::json;

fn policy(value: Value) -> UsePolicy {
    UsePolicy::parse(&value).expect("a valid policy")
}

#[test]
fn an_exact_host_allows_itself_on_443_only() {
    let p = policy(json!({"hosts": ["API.Stripe.com"]}));
    assert_eq!(p.permits("GET", "api.stripe.com", 443, "/v1/x"), Ok(()));
    assert!(p.permits("GET", "api.stripe.com", 8443, "/").is_err());
    assert!(p.permits("GET", "evil.api.stripe.com", 443, "/").is_err());
    assert!(
        p.permits("GET", "api.stripe.com.evil.com", 443, "/")
            .is_err()
    );
    assert_eq!(
        p.permits("GET", "stripe.com", 443, "/"),
        Err(PolicyRefusal::Host("stripe.com".into()))
    );
}

#[test]
fn a_wildcard_is_exactly_one_label() {
    let p = policy(json!({"hosts": ["*.example.com"]}));
    assert_eq!(p.permits("GET", "a.example.com", 443, "/"), Ok(()));
    assert!(p.permits("GET", "example.com", 443, "/").is_err());
    assert!(p.permits("GET", "a.b.example.com", 443, "/").is_err());
    assert!(p.permits("GET", "aexample.com", 443, "/").is_err());
    assert!(p.permits("GET", ".example.com", 443, "/").is_err());
}

#[test]
fn ports_and_ip_literals() {
    let p = policy(json!({"hosts": ["127.0.0.1:8080", "[0:0::1]:9", "api.x.io:8443"]}));
    assert_eq!(p.permits("GET", "127.0.0.1", 8080, "/"), Ok(()));
    assert_eq!(p.permits("GET", "[::1]", 9, "/"), Ok(()));
    assert_eq!(p.permits("GET", "api.x.io", 8443, "/"), Ok(()));
    assert!(p.permits("GET", "127.0.0.1", 443, "/").is_err());
    assert_eq!(
        p.canonical(),
        r#"{"hosts":["127.0.0.1:8080","[::1]:9","api.x.io:8443"]}"#
    );
}

#[test]
fn methods_and_path_prefixes() {
    let p =
        policy(json!({"hosts": ["a.io"], "pathPrefixes": ["/v1/"], "methods": ["get", "POST"]}));
    assert_eq!(p.permits("POST", "a.io", 443, "/v1/charges"), Ok(()));
    assert_eq!(
        p.permits("DELETE", "a.io", 443, "/v1/x"),
        Err(PolicyRefusal::Method("DELETE".into()))
    );
    assert_eq!(
        p.permits("GET", "a.io", 443, "/v2/x"),
        Err(PolicyRefusal::Path)
    );
    assert_eq!(
        p.permits("GET", "a.io", 443, "/v1"),
        Err(PolicyRefusal::Path)
    );
    // An encoded dot or slash could walk out of the prefix at an upstream that decodes first.
    for path in [
        "/v1/%2e%2e/admin",
        "/v1/%2E./x",
        "/v1/..%2Fadmin",
        "/v1/..%5cadmin",
        "/v1/\\",
        "/v1/..;/admin",
        "/v1/%252e%252e/admin",
        "/v1/%u002e%u002e/admin",
        "/v1/%c0%ae%c0%ae/admin",
        "/v1/%+2e/admin",
        "/v1/%2",
    ] {
        assert_eq!(
            p.permits("GET", "a.io", 443, path),
            Err(PolicyRefusal::Path),
            "{path}"
        );
    }
    // Ordinary escapes stay allowed.
    assert_eq!(p.permits("GET", "a.io", 443, "/v1/my%20file%41"), Ok(()));
    let any = policy(json!({"hosts": ["a.io"]}));
    assert_eq!(any.permits("PATCH", "a.io", 443, "/anything/%2e"), Ok(()));
}

#[test]
fn the_canonical_text_reads_back_and_nothing_else_does() {
    let p = policy(json!({"methods": ["post"], "hosts": ["*.A.io"], "pathPrefixes": ["/x"]}));
    let text = p.canonical();
    assert_eq!(
        text,
        r#"{"hosts":["*.a.io"],"pathPrefixes":["/x"],"methods":["POST"]}"#
    );
    assert_eq!(UsePolicy::from_stored(text), Some(p));
    assert_eq!(UsePolicy::from_stored(r#"{"hosts":["A.io"]}"#), None);
    assert_eq!(UsePolicy::from_stored(r#"{ "hosts":["a.io"]}"#), None);
    assert_eq!(UsePolicy::from_stored("{"), None);
}

#[test]
fn refusals_name_the_field() {
    let long = format!("{}.io", "a".repeat(300));
    let too_many: Vec<String> = (0..33).map(|i| format!("h{i}.io")).collect();
    for (value, expected) in [
        (json!("api.stripe.com"), "must be an object"),
        (json!({}), "`usePolicy.hosts` is required"),
        (json!({"hosts": []}), "at least one entry"),
        (
            json!({"hosts": ["a.io"], "methods": []}),
            "at least one entry",
        ),
        (
            json!({"hosts": ["a.io"], "pathPrefixes": []}),
            "at least one entry",
        ),
        (json!({"hosts": "a.io"}), "array of strings"),
        (json!({"hosts": [1]}), "array of strings"),
        (
            json!({"hosts": ["a.io"], "extra": 1}),
            "hosts, pathPrefixes and methods only",
        ),
        (json!({"hosts": ["*.com"]}), "`usePolicy.hosts`"),
        (json!({"hosts": ["*"]}), "`usePolicy.hosts`"),
        (json!({"hosts": ["a.*.io"]}), "`usePolicy.hosts`"),
        (json!({"hosts": ["https://a.io"]}), "`usePolicy.hosts`"),
        (json!({"hosts": ["a.io/x"]}), "`usePolicy.hosts`"),
        (json!({"hosts": ["a.io:0"]}), "`usePolicy.hosts`"),
        (json!({"hosts": ["a.io:99999"]}), "`usePolicy.hosts`"),
        (json!({"hosts": ["a.io:"]}), "`usePolicy.hosts`"),
        (json!({"hosts": ["-a.io"]}), "`usePolicy.hosts`"),
        (json!({"hosts": ["1.2.3"]}), "`usePolicy.hosts`"),
        (json!({"hosts": ["[::1"]}), "`usePolicy.hosts`"),
        (json!({"hosts": [long]}), "`usePolicy.hosts`"),
        (json!({"hosts": too_many}), "more than 32"),
        (
            json!({"hosts": ["a.io"], "methods": ["CONNECT"]}),
            "may hold: GET",
        ),
        (
            json!({"hosts": ["a.io"], "pathPrefixes": ["v1"]}),
            "must start with `/`",
        ),
        (
            json!({"hosts": ["a.io"], "pathPrefixes": ["/v1/../"]}),
            "`..` segment",
        ),
        (
            json!({"hosts": ["a.io"], "pathPrefixes": ["/v1?x"]}),
            "pathPrefixes",
        ),
        (
            json!({"hosts": ["a.io"], "pathPrefixes": ["/v1%2f"]}),
            "pathPrefixes",
        ),
    ] {
        match UsePolicy::parse(&value) {
            Ok(p) => panic!("{value} parsed as {p:?}"),
            Err(message) => assert!(message.contains(expected), "{value}: {message}"),
        }
    }
}

//! Every file in `events/` parses with `lambda_http` and routes where its name says:
//! `<method>-<what>[-rest-v1|-function-url].json`.

mod common;

use credvault::http::Route;
use lambda_http::RequestExt;
use lambda_http::request::RequestContext;

/// The route a fixture's name announces.
fn expected_route(stem: &str) -> Option<&'static str> {
    let route = if stem.contains("unknown-route") {
        return None;
    } else if stem.contains("list-credentials") {
        "/v0/vault"
    } else if stem.contains("totp-backup") {
        "/v0/vault/{name}/totp/backup"
    } else if stem.contains("totp") && !stem.starts_with("put-") {
        "/v0/vault/{name}/totp"
    } else {
        "/v0/vault/{name}"
    };
    Some(route)
}

#[test]
fn every_event_routes_where_its_name_says() {
    let mut checked = 0;
    for entry in std::fs::read_dir(common::events_dir()).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let request = lambda_http::request::from_str(&text)
            .unwrap_or_else(|e| panic!("{stem}: lambda_http cannot parse it: {e}"));

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

        let route = Route::parse(request.raw_http_path()).map(|r| r.template());
        assert_eq!(
            route,
            expected_route(&stem),
            "{stem}: {}",
            request.raw_http_path()
        );
        checked += 1;
    }
    assert!(checked >= 30, "only {checked} fixtures");
}

//! The request link's pages, rendered on the server from templates (`templates/`), every
//! value HTML-escaped; one stylesheet, inline, allowed by its hash and nothing else.

use crate::domain::{RequestField, UsePolicy};
use crate::vault::LinkPage;
use askama::Template;
use aws_lc_rs::digest::{SHA256, digest};
use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use std::sync::LazyLock;

/// Readable on a phone: one column, system fonts, inputs the full width.
const CSS: &str = "\
*{box-sizing:border-box}\
body{margin:0;font:16px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1c2127;background:#f3f5f7}\
main{max-width:34rem;margin:0 auto;padding:1.25rem;background:#fff;min-height:100vh}\
.brand{margin:0 0 1rem;font-weight:700;letter-spacing:.04em;color:#3a5a8c}\
h1{font-size:1.35rem;margin:0 0 .75rem}\
.id,.kind{color:#5b6570;font-size:.9em;overflow-wrap:anywhere}\
strong{overflow-wrap:anywhere}\
.message{margin:1rem 0;padding:0}\
figcaption{font-size:.85rem;color:#5b6570}\
blockquote{margin:.25rem 0 0;padding:.5rem .75rem;border-left:4px solid #c9d3de;background:#f7f9fb;white-space:pre-wrap;overflow-wrap:anywhere}\
label{display:block;margin:1rem 0 .25rem;font-weight:600}\
.plain{font-weight:400;color:#5b6570;font-size:.85em}\
input,textarea{width:100%;padding:.65rem .75rem;font:inherit;border:1px solid #9aa7b4;border-radius:6px}\
textarea{font-family:ui-monospace,monospace;font-size:.85rem}\
input:focus,textarea:focus{outline:3px solid #9cc0f5;border-color:#3a5a8c}\
button{margin-top:1.5rem;width:100%;padding:.8rem;font:inherit;font-weight:700;color:#fff;background:#2f5f9e;border:0;border-radius:6px;cursor:pointer}\
.error{padding:.6rem .75rem;border-radius:6px;background:#fdecec;color:#8a1f1f}\
.notice{font-size:1.05rem}\
.use{font-size:.9rem;color:#3d4650}\
.fine{margin-top:1.5rem;font-size:.85rem;color:#5b6570}";

/// The policy every page carries: nothing loads, nothing frames it, the form posts only
/// to this origin.
static CONTENT_SECURITY_POLICY: LazyLock<String> = LazyLock::new(|| {
    let hash = data_encoding::BASE64.encode(digest(&SHA256, CSS.as_bytes()).as_ref());
    format!(
        "default-src 'none'; style-src 'sha256-{hash}'; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'none'"
    )
});

#[derive(Template)]
#[template(path = "link_form.html")]
struct FormPage<'a> {
    title: &'a str,
    css: &'a str,
    identity_name: &'a str,
    identity: &'a str,
    name: &'a str,
    kind: &'a str,
    message: Option<&'a str>,
    error: Option<&'a str>,
    fields: &'a [RequestField],
    /// Where the vault may send it when the agent asks (its usePolicy), said in words.
    sent_to: String,
    proof: &'a str,
    expires_at: String,
}

#[derive(Template)]
#[template(path = "link_notice.html")]
struct NoticePage<'a> {
    title: &'a str,
    css: &'a str,
    /// `notice`, or `done` on success: what the browser test looks for.
    id: &'a str,
    message: &'a str,
}

/// The form of an open link, with `error` (never a value) after a refused submit.
pub fn form(page: &LinkPage, error: Option<&str>, status: StatusCode) -> Response<Body> {
    let request = &page.request;
    let html = FormPage {
        title: "A credential is requested",
        css: CSS,
        identity_name: &page.identity_name,
        identity: request.identity.as_str(),
        name: request.spec.name.as_str(),
        kind: request.spec.kind.as_str(),
        message: request.spec.message.as_deref(),
        error,
        fields: &request.spec.fields,
        sent_to: sent_to(request.spec.use_policy.as_ref()),
        proof: &page.proof,
        expires_at: request.expires_at.to_string(),
    }
    .render();
    respond(status, html)
}

/// A page that says one thing: the link's state, or that the credential was saved.
pub fn notice(status: StatusCode, title: &str, message: &str, done: bool) -> Response<Body> {
    let html = NoticePage {
        title,
        css: CSS,
        id: if done { "done" } else { "notice" },
        message,
    }
    .render();
    respond(status, html)
}

/// A usePolicy in words: the agent chose it, so the person sees where the secret may go.
fn sent_to(policy: Option<&UsePolicy>) -> String {
    let Some(policy) = policy.map(UsePolicy::to_value) else {
        return "The agent cannot have the vault send it anywhere (it has no usePolicy).".into();
    };
    let list = |name: &str| {
        policy[name]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| item.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .filter(|joined| !joined.is_empty())
    };
    let mut said = format!(
        "The agent may have the vault send it to {}",
        list("hosts").unwrap_or_default()
    );
    if let Some(methods) = list("methods") {
        said.push_str(&format!(" ({methods} only)"));
    }
    if let Some(paths) = list("pathPrefixes") {
        said.push_str(&format!(", under {paths}"));
    }
    said.push_str(", without seeing it.");
    said
}

fn respond(status: StatusCode, html: Result<String, askama::Error>) -> Response<Body> {
    let (status, html) = match html {
        Ok(html) => (status, html),
        // Templates are checked at compile time; only a failing writer gets here.
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "<!doctype html><title>Error</title><p>Internal error".to_owned(),
        ),
    };
    let mut response = Response::new(Body::Text(html));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    let fixed = [
        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
        // The page holds a proof, and a submitted value may be echoed in no page at all:
        // still, nothing along the way keeps a copy.
        (header::CACHE_CONTROL, "no-store"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        // Whoever opened this tab cannot steer it later; a custom domain stays on HTTPS.
        (
            header::HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.insert(
        "x-robots-tag",
        HeaderValue::from_static("noindex, nofollow"),
    );
    if let Ok(policy) = HeaderValue::from_str(&CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_exactly_the_inline_stylesheet() {
        let page = notice(StatusCode::GONE, "Gone", "<script>alert(1)</script>", false);
        let policy = page.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("text");
        assert!(policy.starts_with("default-src 'none'; style-src 'sha256-"));
        assert!(policy.contains("frame-ancestors 'none'"));
        let Body::Text(html) = page.body() else {
            panic!("a text body")
        };
        // Values are escaped, and the style element holds exactly what the hash is of.
        assert!(html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"));
        assert!(html.contains(&format!("<style>{CSS}</style>")));
        assert_eq!(page.status(), StatusCode::GONE);
    }
}

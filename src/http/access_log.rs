//! One structured line per request, for CloudWatch. It names the route template, never a
//! raw path, and never holds a body, a key or a header value.

use lambda_http::RequestExt;
use lambda_http::http::{StatusCode, request::Parts};
use lambda_http::request::RequestContext;
use std::time::Instant;

/// What the access log says of a request, filled in as it is learned.
pub struct AccessLog {
    started: Instant,
    pub route: &'static str,
    /// The caller's identity, or its organisation for a platform key.
    pub subject: Option<String>,
    pub credential: Option<String>,
}

impl AccessLog {
    pub fn start() -> Self {
        Self {
            started: Instant::now(),
            route: "-",
            subject: None,
            credential: None,
        }
    }

    pub fn write(&self, parts: &Parts, status: StatusCode, detail: Option<&str>) {
        let request_id = parts
            .extensions
            .lambda_context_ref()
            .map(|c| c.request_id.as_str());
        let latency_ms = self.started.elapsed().as_micros() as f64 / 1000.0;
        let source_ip = match parts.extensions.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(c)) => c.http.source_ip.as_deref(),
            Some(RequestContext::ApiGatewayV1(c)) => c.identity.source_ip.as_deref(),
            _ => None,
        };
        macro_rules! access {
            ($level:ident) => {
                tracing::$level!(
                    target: "credvault::access",
                    request_id = request_id.unwrap_or("-"),
                    source_ip = source_ip.unwrap_or("-"),
                    subject = self.subject.as_deref().unwrap_or("-"),
                    method = parts.method.as_str(),
                    route = self.route,
                    credential = self.credential.as_deref().unwrap_or("-"),
                    status = status.as_u16(),
                    latency_ms,
                    error = detail,
                    "request"
                )
            };
        }
        // Throttling is expected weather; anything else at 5xx is a fault to look at.
        match status.as_u16() {
            503 => access!(warn),
            500.. => access!(error),
            _ => access!(info),
        }
    }
}

//! A stand-in upstream for brokered use in handler tests: it notes what it was sent (the
//! substituted values included: that is what a test checks arrived) and echoes it back, as
//! an upstream that reflects its input would.

use crate::egress::{BoxFuture, Egress, EgressError, Inbound, Outbound};
use std::sync::{Arc, Mutex};
use tokio::time::Instant;

/// One request as the upstream received it.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// A canned answer, made from what the upstream received.
pub type Respond = Arc<dyn Fn(&Received) -> Inbound + Send + Sync>;

/// Answers every request with `200`, the request's headers as `x-echo-*` headers, and a
/// JSON body of the URL, headers and body it received; or with `answer` when one is set.
#[derive(Clone, Default)]
pub struct EchoEgress {
    pub received: Arc<Mutex<Vec<Received>>>,
    pub answer: Option<Respond>,
}

impl EchoEgress {
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl Egress for EchoEgress {
    fn send(
        &self,
        request: Outbound,
        body_limit: usize,
        _: Instant,
    ) -> BoxFuture<'_, Result<Inbound, EgressError>> {
        let received = Received {
            method: request.method.to_owned(),
            url: request.url.to_string(),
            headers: request
                .headers
                .iter()
                .map(|(n, v)| (n.clone(), String::from_utf8_lossy(v).into_owned()))
                .collect(),
            body: request
                .body
                .as_ref()
                .map(|b| b.to_vec())
                .unwrap_or_default(),
        };
        if let Ok(mut all) = self.received.lock() {
            all.push(received.clone());
        }
        let mut inbound = match &self.answer {
            Some(answer) => answer(&received),
            None => {
                let echo = serde_json::json!({
                    "method": received.method,
                    "url": received.url,
                    "headers": received.headers,
                    "body": String::from_utf8_lossy(&received.body),
                });
                Inbound {
                    status: 200,
                    headers: received
                        .headers
                        .iter()
                        .map(|(n, v)| (format!("x-echo-{n}"), v.clone().into_bytes()))
                        .collect(),
                    body: echo.to_string().into_bytes(),
                    truncated: false,
                }
            }
        };
        if inbound.body.len() > body_limit {
            inbound.body.truncate(body_limit);
            inbound.truncated = true;
        }
        Box::pin(async move { Ok(inbound) })
    }
}

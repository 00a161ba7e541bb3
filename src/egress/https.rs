//! The egress adapter: reqwest on rustls, one client per cold start (its connections are
//! reused across invocations), with the guard as its only resolver.

use super::guard::{AddressPolicy, GuardedResolver, Lookup, is_public};
use super::{BoxFuture, Egress, EgressError, Inbound, Outbound};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::Instant;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

pub struct HttpsEgress {
    client: reqwest::Client,
    policy: Arc<AddressPolicy>,
    attempts: Arc<AtomicUsize>,
}

impl HttpsEgress {
    pub fn new(policy: AddressPolicy, lookup: Arc<dyn Lookup>) -> Result<Self, String> {
        let policy = Arc::new(policy);
        let resolver = GuardedResolver {
            lookup,
            policy: Arc::clone(&policy),
        };
        let attempts = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&attempts);
        let client = reqwest::Client::builder()
            // A proxy would resolve and dial for us, past the guard.
            .no_proxy()
            // A 3xx goes back to the agent: no secret follows a redirect to another origin.
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            .dns_resolver(resolver)
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("credvault/", env!("CARGO_PKG_VERSION")))
            .connector_layer(tower_layer::layer_fn(move |inner| CountAttempts {
                inner,
                attempts: Arc::clone(&counter),
            }))
            .build()
            .map_err(|_| "the outbound HTTP client could not be built".to_owned())?;
        Ok(Self {
            client,
            policy,
            attempts,
        })
    }

    /// How many connections this client has set out to open (each resolves the name through
    /// the guard, then dials): a non-public address in a URL is refused before any, which
    /// the egress tests check.
    pub fn connection_attempts(&self) -> usize {
        self.attempts.load(Ordering::Relaxed)
    }

    /// An address in the URL itself is never looked up, so the guard checks it here.
    fn check_literal(&self, request: &Outbound) -> Result<(), EgressError> {
        let host = request.url.host();
        let port = request.url.port_or_known_default().unwrap_or(0);
        let literal = match host {
            Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
            Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
            _ => None,
        };
        let test_upstream =
            literal.is_some_and(|ip| self.policy.is_test_upstream(SocketAddr::new(ip, port)));
        if request.url.scheme() != "https" && !test_upstream {
            return Err(EgressError::Refused("the URL must be https".into()));
        }
        match literal {
            Some(ip)
                if !(test_upstream
                    || is_public(ip) && self.policy.allows(SocketAddr::new(ip, port))) =>
            {
                Err(EgressError::Refused(
                    super::GuardRefusal::NotPublic.to_string(),
                ))
            }
            _ => Ok(()),
        }
    }

    async fn exchange(&self, request: Outbound, body_limit: usize) -> Result<Inbound, EgressError> {
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|_| EgressError::Refused("the method is not allowed".into()))?;
        let mut builder = self.client.request(method, request.url);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_slice());
        }
        if let Some(body) = request.body {
            builder = builder.body(body.to_vec());
        }
        let mut outgoing = builder
            .build()
            .map_err(|_| EgressError::Failed("the request could not be built"))?;
        // The answer must be readable to be scrubbed: no compressed body (set, not added).
        outgoing.headers_mut().insert(
            reqwest::header::ACCEPT_ENCODING,
            reqwest::header::HeaderValue::from_static("identity"),
        );
        let mut response = self.client.execute(outgoing).await.map_err(failure)?;
        // An upstream that compresses anyway sends what the scrubber cannot read: refused.
        let encoded = response
            .headers()
            .get_all(reqwest::header::CONTENT_ENCODING)
            .iter()
            .any(|value| !value.as_bytes().eq_ignore_ascii_case(b"identity"));
        // hyper undoes chunking only; any other transfer coding is as opaque as compression.
        let transfer_coded = response
            .headers()
            .get_all(reqwest::header::TRANSFER_ENCODING)
            .iter()
            .any(|value| !value.as_bytes().eq_ignore_ascii_case(b"chunked"));
        if encoded || transfer_coded {
            return Err(EgressError::Failed(
                "the upstream sent an encoded (compressed) answer, which cannot be scrubbed",
            ));
        }
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec()))
            .collect();
        let mut body = Vec::new();
        let mut truncated = false;
        while let Some(chunk) = response.chunk().await.map_err(failure)? {
            let room = body_limit - body.len();
            if chunk.len() > room {
                body.extend_from_slice(&chunk[..room]);
                truncated = true;
                break;
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Inbound {
            status,
            headers,
            body,
            truncated,
        })
    }
}

/// Wraps the connector: each call is one connection attempt (resolve, TCP, then TLS).
#[derive(Clone)]
struct CountAttempts<S> {
    inner: S,
    attempts: Arc<AtomicUsize>,
}

impl<S: tower_service::Service<R>, R> tower_service::Service<R> for CountAttempts<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, destination: R) -> Self::Future {
        self.attempts.fetch_add(1, Ordering::Relaxed);
        self.inner.call(destination)
    }
}

/// What failed, in words of our own: reqwest's own text quotes the URL.
fn failure(err: reqwest::Error) -> EgressError {
    let guard_refused = std::error::Error::source(&err)
        .into_iter()
        .flat_map(|first| std::iter::successors(Some(first), |e| e.source()))
        .find_map(|e| e.downcast_ref::<super::GuardRefusal>().cloned());
    if let Some(refusal) = guard_refused {
        return EgressError::Refused(refusal.to_string());
    }
    if err.is_timeout() {
        EgressError::TimedOut
    } else if err.is_connect() {
        EgressError::Failed("the upstream could not be reached (connection or TLS failed)")
    } else if err.is_body() || err.is_decode() {
        EgressError::Failed("the upstream's answer broke off")
    } else {
        EgressError::Failed("the exchange with the upstream failed")
    }
}

impl Egress for HttpsEgress {
    fn send(
        &self,
        request: Outbound,
        body_limit: usize,
        deadline: Instant,
    ) -> BoxFuture<'_, Result<Inbound, EgressError>> {
        Box::pin(async move {
            self.check_literal(&request)?;
            tokio::time::timeout_at(deadline, self.exchange(request, body_limit))
                .await
                .unwrap_or(Err(EgressError::TimedOut))
        })
    }
}

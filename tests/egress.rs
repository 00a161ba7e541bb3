//! The egress adapter (reqwest on rustls, the guard as its resolver) against real sockets on
//! loopback. These tests run only inside a network namespace with loopback alone
//! (`make test` runs them through `scripts/netns.sh`), so that a guard that failed would
//! still send nothing off this machine; each checks that first.

use credvault::egress::{
    AddressPolicy, BoxFuture, Egress, EgressError, HttpsEgress, Lookup, Outbound,
};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::time::Instant;
use zeroize::Zeroizing;

const ISOLATED: &str = "in a loopback-only network namespace: run `scripts/netns.sh cargo test --test egress -- --ignored`";

/// Refuses to run anywhere but a namespace whose only interface is loopback (`/proc/net/dev`
/// lists the interfaces of the reader's own network namespace).
fn assert_isolated() {
    let table = std::fs::read_to_string("/proc/net/dev").unwrap_or_default();
    let interfaces: Vec<&str> = table
        .lines()
        .skip(2)
        .filter_map(|line| line.split(':').next())
        .map(str::trim)
        .collect();
    assert_eq!(interfaces, vec!["lo"], "these tests run {ISOLATED}");
}

/// A plain HTTP/1.1 upstream on loopback: answers each request with `respond(request text)`
/// and counts the connections it accepted.
struct Upstream {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
}

type Respond = Arc<dyn Fn(&str) -> Vec<u8> + Send + Sync>;

async fn upstream(respond: impl Fn(&str) -> Vec<u8> + Send + Sync + 'static) -> Upstream {
    let respond: Respond = Arc::new(respond);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            let respond = respond.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 8192];
                // Headers, then as much body as Content-Length says.
                loop {
                    let Ok(n) = socket.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&request).into_owned();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if request.len() >= end + 4 + length {
                            break;
                        }
                    }
                }
                let answer = respond(&String::from_utf8_lossy(&request));
                let _ = socket.write_all(&answer).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    Upstream { addr, accepted }
}

fn echo(request: &str) -> Vec<u8> {
    format!("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{request}", request.len()).into_bytes()
}

struct NoLookup(AtomicUsize);

impl Lookup for NoLookup {
    fn lookup(&self, _: String) -> BoxFuture<'_, std::io::Result<Vec<IpAddr>>> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Ok(vec!["127.0.0.1".parse().unwrap()]) })
    }
}

fn egress(upstreams: &[SocketAddr]) -> (HttpsEgress, Arc<NoLookup>) {
    let listed = upstreams
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let lookup = Arc::new(NoLookup(AtomicUsize::new(0)));
    let policy = AddressPolicy::new(Some(&listed), None).unwrap();
    (HttpsEgress::new(policy, lookup.clone()).unwrap(), lookup)
}

fn get(url: &str) -> Outbound {
    Outbound {
        method: "POST",
        url: url.parse().unwrap(),
        headers: vec![(
            "authorization".into(),
            Zeroizing::new(b"Bearer sk_test_1".to_vec()),
        )],
        body: Some(Zeroizing::new(b"payload".to_vec())),
    }
}

fn soon() -> Instant {
    Instant::now() + Duration::from_secs(5)
}

#[tokio::test]
#[ignore = "needs a loopback-only network namespace (make test runs it there)"]
async fn a_listed_test_upstream_gets_the_request_as_sent() {
    assert_isolated();
    let up = upstream(echo).await;
    let (egress, _) = egress(&[up.addr]);
    let answer = egress
        .send(
            get(&format!("http://{}/v1/x?q=1", up.addr)),
            1 << 20,
            soon(),
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 200);
    // The counter the refusals below are judged by sees this connection.
    assert_eq!(egress.connection_attempts(), 1);
    let text = String::from_utf8(answer.body).unwrap();
    assert!(text.starts_with("POST /v1/x?q=1 HTTP/1.1\r\n"), "{text}");
    assert!(
        text.contains("authorization: Bearer sk_test_1\r\n"),
        "{text}"
    );
    assert_eq!(text.matches("accept-encoding").count(), 1, "{text}");
    assert!(text.contains("accept-encoding: identity\r\n"), "{text}");
    assert!(text.ends_with("payload"), "{text}");
}

#[tokio::test]
#[ignore = "needs a loopback-only network namespace (make test runs it there)"]
async fn unlisted_loopback_plain_http_and_names_that_resolve_inward_are_never_dialled() {
    assert_isolated();
    let up = upstream(echo).await;
    let (egress, lookup) = egress(&[]);
    // Each URL with the connection attempts it may make: none for an address in the URL or
    // a scheme refused before reqwest's connector is called; one for the name, whose
    // resolution (the guard) refuses its loopback answer inside the connector, before a dial.
    for (url, attempts) in [
        (format!("http://{}/", up.addr), 0),
        (format!("https://{}/", up.addr), 0),
        (format!("https://upstream.test:{}/", up.addr.port()), 1),
        ("https://169.254.169.254/latest/meta-data/".to_owned(), 0),
        ("https://[fd00:ec2::254]/".to_owned(), 0),
        ("https://[::ffff:127.0.0.1]/".to_owned(), 0),
        ("https://10.0.0.1/".to_owned(), 0),
        ("http://api.example.com/".to_owned(), 0),
    ] {
        let before = egress.connection_attempts();
        let got = egress.send(get(&url), 1 << 20, soon()).await;
        assert!(
            matches!(got, Err(EgressError::Refused(_))),
            "{url}: {got:?}"
        );
        assert_eq!(egress.connection_attempts() - before, attempts, "{url}");
    }
    // The name was looked up once, and nothing reached the listening upstream.
    assert_eq!(lookup.0.load(Ordering::SeqCst), 1);
    assert_eq!(
        up.accepted.load(Ordering::SeqCst),
        0,
        "a refused destination was dialled"
    );
}

#[tokio::test]
#[ignore = "needs a loopback-only network namespace (make test runs it there)"]
async fn a_redirect_comes_back_and_is_not_followed() {
    assert_isolated();
    let elsewhere = upstream(echo).await;
    let to = elsewhere.addr;
    let redirecting = upstream(move |_| {
        format!("HTTP/1.1 302 Found\r\nlocation: http://{to}/next\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").into_bytes()
    }).await;
    let (egress, _) = egress(&[redirecting.addr, to]);
    let answer = egress
        .send(
            get(&format!("http://{}/", redirecting.addr)),
            1 << 20,
            soon(),
        )
        .await
        .unwrap();
    assert_eq!(answer.status, 302);
    let location = format!("http://{to}/next").into_bytes();
    assert!(
        answer
            .headers
            .iter()
            .any(|(n, v)| n == "location" && *v == location)
    );
    assert_eq!(elsewhere.accepted.load(Ordering::SeqCst), 0);
}

#[tokio::test]
#[ignore = "needs a loopback-only network namespace (make test runs it there)"]
async fn a_large_answer_is_cut_and_a_slow_one_times_out() {
    assert_isolated();
    let large = upstream(|_| {
        let body = vec![b'x'; 3 * 1024 * 1024];
        [
            format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", body.len()).into_bytes(),
            body,
        ]
        .concat()
    })
    .await;
    let (egress, _) = egress(&[large.addr]);
    let answer = egress
        .send(get(&format!("http://{}/", large.addr)), 1024 * 1024, soon())
        .await
        .unwrap();
    assert_eq!((answer.body.len(), answer.truncated), (1024 * 1024, true));

    // An upstream that accepts and never answers.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let (egress, _) = self::egress(&[silent]);
    let started = Instant::now();
    let deadline = started + Duration::from_millis(300);
    let got = egress
        .send(get(&format!("http://{silent}/")), 1024, deadline)
        .await;
    assert_eq!(got.unwrap_err(), EgressError::TimedOut);
    println!("timed out after {:?}", started.elapsed());
}

#[tokio::test]
#[ignore = "needs a loopback-only network namespace (make test runs it there)"]
async fn a_compressed_or_transfer_coded_answer_is_refused_for_it_cannot_be_scrubbed() {
    assert_isolated();
    let gzip = upstream(|_| {
        b"HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: 4\r\nconnection: close\r\n\r\n\x1f\x8b\x08\x00".to_vec()
    })
    .await;
    // hyper undoes the chunking only, and would hand over gzip bytes.
    let coded = upstream(|_| {
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\nconnection: close\r\n\r\n4\r\n\x1f\x8b\x08\x00\r\n0\r\n\r\n".to_vec()
    })
    .await;
    let (egress, _) = egress(&[gzip.addr, coded.addr]);
    for addr in [gzip.addr, coded.addr] {
        let got = egress
            .send(get(&format!("http://{addr}/")), 1 << 20, soon())
            .await;
        assert!(
            matches!(got, Err(EgressError::Failed(why)) if why.contains("compressed")),
            "{got:?}"
        );
    }
}

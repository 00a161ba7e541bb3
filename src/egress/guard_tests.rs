use super::*;
use std::sync::Mutex;

#[test]
fn only_public_unicast_is_public() {
    for refused in [
        "0.0.0.0",
        "0.1.2.3",
        "10.0.0.1",
        "100.64.0.1",
        "100.127.255.255",
        "127.0.0.1",
        "127.255.0.9",
        "169.254.169.254",
        "169.254.0.1",
        "172.16.0.1",
        "172.31.255.255",
        "192.0.0.8",
        "192.0.2.1",
        "192.168.1.1",
        "198.18.0.1",
        "198.51.100.7",
        "203.0.113.9",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::",
        "::1",
        "fe80::1",
        "fc00::1",
        "fd00:ec2::254",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:8.8.8.8",
        "::127.0.0.1",
        "64:ff9b::a00:1",
        "2001::1",
        "2001:db8::1",
        "2002:a00:1::1",
        "3fff::1",
        "fec0::1",
    ] {
        let ip: IpAddr = refused.parse().unwrap();
        assert!(!is_public(ip), "{refused} passed");
    }
    for public in [
        "1.1.1.1",
        "8.8.8.8",
        "100.63.255.255",
        "100.128.0.1",
        "172.32.0.1",
        "2606:4700::1111",
        "2a00:1450::1",
    ] {
        let ip: IpAddr = public.parse().unwrap();
        assert!(is_public(ip), "{public} refused");
    }
}

#[test]
fn test_upstreams_must_be_loopback_and_not_the_runtime_api() {
    let ok =
        AddressPolicy::new(Some("127.0.0.1:8080, [::1]:9090"), Some("127.0.0.1:9001")).unwrap();
    assert!(ok.is_test_upstream("127.0.0.1:8080".parse().unwrap()));
    assert!(ok.allows("[::1]:9090".parse().unwrap()));
    assert!(!ok.allows("127.0.0.1:8081".parse().unwrap()));
    assert!(!ok.allows("127.0.0.1:9001".parse().unwrap()));
    for (bad, why) in [
        ("10.0.0.1:80", "not a loopback"),
        ("8.8.8.8:443", "not a loopback"),
        ("localhost:80", "not an ip:port"),
        ("127.0.0.1", "not an ip:port"),
        ("127.0.0.1:0", "not a loopback"),
        ("127.0.0.1:9001", "Runtime API"),
    ] {
        let err = AddressPolicy::new(Some(bad), Some("127.0.0.1:9001")).unwrap_err();
        assert!(err.contains(why), "{bad}: {err}");
    }
    assert_eq!(AddressPolicy::new(None, None), Ok(AddressPolicy::default()));
    assert_eq!(
        AddressPolicy::new(Some(" , "), None),
        Ok(AddressPolicy::default())
    );
}

/// Answers from a table and notes every name it was asked for.
struct StubLookup {
    answers: Vec<IpAddr>,
    asked: Mutex<Vec<String>>,
}

impl Lookup for StubLookup {
    fn lookup(&self, host: String) -> BoxFuture<'_, std::io::Result<Vec<IpAddr>>> {
        self.asked.lock().unwrap().push(host);
        let answers = self.answers.clone();
        Box::pin(async move { Ok(answers) })
    }
}

fn resolver(answers: &[&str]) -> (GuardedResolver, Arc<StubLookup>) {
    let stub = Arc::new(StubLookup {
        answers: answers.iter().map(|a| a.parse().unwrap()).collect(),
        asked: Mutex::default(),
    });
    let policy = AddressPolicy::new(Some("127.0.0.1:8080"), None).unwrap();
    let resolver = GuardedResolver {
        lookup: stub.clone(),
        policy: Arc::new(policy),
    };
    (resolver, stub)
}

#[tokio::test]
async fn a_name_with_any_refused_address_is_refused_whole() {
    for answers in [
        vec!["169.254.169.254"],
        vec!["fd00:ec2::254"],
        vec!["8.8.8.8", "10.0.0.1"],
        vec!["2606:4700::1111", "::1"],
        // A test upstream's address reached by name is not a test upstream.
        vec!["127.0.0.1"],
    ] {
        let (resolver, stub) = resolver(&answers);
        let got = resolver.resolve_checked("api.example.com").await;
        assert_eq!(got, Err(GuardRefusal::NotPublic), "{answers:?}");
        assert_eq!(stub.asked.lock().unwrap().len(), 1);
    }
    let (empty, _) = resolver(&[]);
    assert_eq!(
        empty.resolve_checked("x.io").await,
        Err(GuardRefusal::Unresolved)
    );
}

#[tokio::test]
async fn what_is_dialled_is_exactly_what_was_looked_up_once_and_checked() {
    let (resolver, stub) = resolver(&["8.8.8.8", "2606:4700::1111"]);
    let addrs = resolver.resolve_checked("api.example.com").await.unwrap();
    let expected: Vec<SocketAddr> = vec![
        "8.8.8.8:0".parse().unwrap(),
        "[2606:4700::1111]:0".parse().unwrap(),
    ];
    assert_eq!(addrs, expected);
    assert_eq!(
        *stub.asked.lock().unwrap(),
        vec!["api.example.com".to_owned()]
    );
    // Through the client's resolver interface: the same addresses, nothing else.
    let via_client: Vec<SocketAddr> =
        reqwest::dns::Resolve::resolve(&resolver, "api.example.com".parse().unwrap())
            .await
            .unwrap()
            .collect();
    assert_eq!(via_client, expected);
    let (refusing, _) = self::resolver(&["10.1.2.3"]);
    let refused =
        reqwest::dns::Resolve::resolve(&refusing, "api.example.com".parse().unwrap()).await;
    assert!(refused.is_err(), "the client was handed an address to dial");
}

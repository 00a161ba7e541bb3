use super::*;

fn scrubber(values: &[(&str, &[u8])]) -> Scrubber {
    let values: Vec<(String, Zeroizing<Vec<u8>>)> = values
        .iter()
        .map(|(p, v)| ((*p).to_owned(), Zeroizing::new(v.to_vec())))
        .collect();
    Scrubber::of(&values).expect("a scrubber")
}

fn scrubbed(s: &Scrubber, text: &str) -> String {
    String::from_utf8(s.scrub(text.as_bytes())).unwrap()
}

#[test]
fn every_form_of_a_secret_is_replaced_by_its_placeholder() {
    let secret: &[u8] = b"sk_live/\"a b+c<&>\xc3\xa9";
    let s = scrubber(&[("{{data.key}}", secret)]);
    let utf8 = std::str::from_utf8(secret).unwrap();
    let forms = [
        utf8.to_owned(),
        BASE64.encode(secret),
        BASE64URL_NOPAD.encode(secret),
        HEXLOWER.encode(secret),
        HEXUPPER.encode(secret),
        percent_encode(secret, NON_ALPHANUMERIC).to_string(),
        percent_encode(secret, COMPONENT).to_string(),
        lower_escapes(&percent_encode(secret, UNRESERVED).to_string()),
        serde_json::to_string(utf8)
            .unwrap()
            .trim_matches('"')
            .to_owned(),
        r#"sk_live\/\"a b+c<&>\u00e9"#.to_owned(),
        r#"sk_live/\"a b+c\u003c\u0026\u003e"#.to_owned() + "\u{e9}",
    ];
    for form in forms {
        let got = scrubbed(&s, &format!("before {form} after"));
        assert_eq!(got, "before {{data.key}} after", "form {form}");
    }
}

#[test]
fn base64_of_a_longer_text_loses_the_secret_at_every_alignment() {
    let secret = b"p4ssw0rd-xyz";
    let s = scrubber(&[("{{data.password}}", secret)]);
    for prefix in ["", "u:", "us:", "use:", "Bearer "] {
        let whole = [prefix.as_bytes(), secret, b"!"].concat();
        for encoding in [&BASE64, &BASE64URL] {
            let encoded = encoding.encode(&whole);
            let got = scrubbed(&s, &encoded);
            assert!(
                got.contains("{{data.password}}"),
                "{prefix}: {encoded} -> {got}"
            );
            // What is left is the prefix's and the suffix's share only: no 8 characters
            // of the secret's own encoding remain.
            let own = encoding.encode(secret);
            assert!(!got.contains(&own[..8]), "{prefix}: {got}");
        }
    }
}

#[test]
fn a_cut_is_made_before_scrubbing_so_no_part_of_a_value_survives_it() {
    let secret = b"0123456789abcdef0123456789abcdef";
    let s = scrubber(&[("{{data.key}}", secret)]);
    // Copies of the secret, read up to the limit plus the longest form: the last one is cut.
    let mut raw = b"x".to_vec();
    while raw.len() < 1000 + s.longest() {
        raw.extend_from_slice(secret);
    }
    raw.truncate(1000 + s.longest());
    let (out, cut) = s.scrub_within(&raw, 1000, usize::MAX);
    assert!(cut);
    let text = String::from_utf8(out).unwrap();
    assert!(
        !text.contains("0123456"),
        "a part of the value survived: {}",
        &text[text.len() - 40..]
    );
    assert!(text.starts_with("x{{data.key}}{{data.key}}"));
    // A form that starts before the limit is replaced whole; nothing after the limit is kept.
    let (out, cut) = s.scrub_within(b"ab0123456789abcdef0123456789abcdefZZZ", 4, usize::MAX);
    assert_eq!((out.as_slice(), cut), (&b"ab{{data.key}}"[..], true));
    let (out, cut) = s.scrub_within(b"abcdef", 4, usize::MAX);
    assert_eq!((out.as_slice(), cut), (&b"abcd"[..], true));
}

#[test]
fn every_value_of_the_data_is_scrubbed_and_short_ones_are_not() {
    let data = SecretData::from_json_bytes(
        br#"{"key":"sk_live_one_1","nested":{"token":"tok_abcdefgh"},"codes":["code-1234567"],"pin":1234,"n":123456789012,"f":1234567.50}"#,
    )
    .unwrap();
    let s = Scrubber::new(&data).unwrap();
    let got = scrubbed(
        &s,
        "sk_live_one_1 tok_abcdefgh code-1234567 1234 123456789012 1234567.50",
    );
    assert_eq!(
        got,
        "{{data.key}} {{data.nested.token}} {{data.codes.0}} 1234 {{data.n}} {{data.f}}"
    );
    let none = scrubber(&[]);
    assert_eq!(none.scrub(b"unchanged"), b"unchanged");
    assert_eq!(none.longest(), 0);
}

#[test]
fn more_encoders_and_a_form_decoded_plus() {
    let secret = "AbC+dEf/Gh\u{e9}<x>";
    let s = scrubber(&[("{{data.k}}", secret.as_bytes())]);
    for form in [
        "AbC dEf/Gh\u{e9}<x>".to_owned(), // `+` read as a space
        r"AbC\u002BdEf/Gh\u00E9\u003Cx\u003E".to_owned(), // .NET
        r"AbC+dEf/Gh\u00e9<x>".to_owned(), // Python json.dumps
        "AbC%2BdEf/Gh%C3%A9%3Cx%3E".to_owned(), // Python quote()
    ] {
        assert_eq!(scrubbed(&s, &format!("[{form}]")), "[{{data.k}}]", "{form}");
    }
}

#[test]
fn answers_and_scrubbers_are_bounded() {
    // Many short matches with a long placeholder: the output stops at its limit.
    let long_path = format!("{{{{data.{}}}}}", "p".repeat(20));
    let s = scrubber(&[(long_path.as_str(), b"12345678")]);
    let raw = "12345678".repeat(10_000);
    let (out, cut) = s.scrub_within(raw.as_bytes(), usize::MAX, 1000);
    assert_eq!((out.len(), cut), (1000, true));
    // A path too long to show is `{{data}}`.
    let longer = format!("{{{{data.{}}}}}", "p".repeat(200));
    let s = scrubber(&[(longer.as_str(), b"12345678")]);
    assert_eq!(s.scrub(b"12345678"), b"{{data}}");
    // Values whose forms pass the budget are refused whole, never half scrubbed.
    let huge = Zeroizing::new(vec![b'a'; MAX_FORM_BYTES]);
    assert!(Scrubber::of(&[("{{data.big}}".to_owned(), huge)]).is_err());
}

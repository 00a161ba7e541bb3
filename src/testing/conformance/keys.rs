//! The `KeyProvider` suite.

use crate::crypto::KeyProvider;
use std::collections::HashMap;

/// `KeyProvider`: a data key unwraps under the context it was made for, and only that one.
pub async fn key_provider<K: KeyProvider>(keys: &K) {
    use secrecy::ExposeSecret;
    let context = HashMap::from([("credvault:identity".to_owned(), "idt_a".to_owned())]);
    let made = keys.generate_data_key(&context).await.unwrap();
    let opened = keys
        .decrypt_data_key(&made.encrypted, &made.key_id, &context)
        .await
        .unwrap();
    assert_eq!(opened.expose_secret(), made.plaintext.expose_secret());
    let elsewhere = HashMap::from([("credvault:identity".to_owned(), "idt_b".to_owned())]);
    assert!(
        keys.decrypt_data_key(&made.encrypted, &made.key_id, &elsewhere)
            .await
            .is_err()
    );
    let again = keys.generate_data_key(&context).await.unwrap();
    assert_ne!(
        again.plaintext.expose_secret(),
        made.plaintext.expose_secret(),
        "fresh each time"
    );
}

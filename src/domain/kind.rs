use std::fmt;

/// The credential types of the contract: the seed's ten plus CARD and SHIPPING_ADDRESS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CredentialType {
    Login,
    ApiKey,
    Oauth,
    Totp,
    SshKey,
    Database,
    Smtp,
    Aws,
    Certificate,
    Card,
    ShippingAddress,
    Custom,
}

impl CredentialType {
    pub const ALL: [CredentialType; 12] = [
        Self::Login,
        Self::ApiKey,
        Self::Oauth,
        Self::Totp,
        Self::SshKey,
        Self::Database,
        Self::Smtp,
        Self::Aws,
        Self::Certificate,
        Self::Card,
        Self::ShippingAddress,
        Self::Custom,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Login => "LOGIN",
            Self::ApiKey => "API_KEY",
            Self::Oauth => "OAUTH",
            Self::Totp => "TOTP",
            Self::SshKey => "SSH_KEY",
            Self::Database => "DATABASE",
            Self::Smtp => "SMTP",
            Self::Aws => "AWS",
            Self::Certificate => "CERTIFICATE",
            Self::Card => "CARD",
            Self::ShippingAddress => "SHIPPING_ADDRESS",
            Self::Custom => "CUSTOM",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }

    /// The fields of `data` that must be strings when present (the contract's table).
    /// CUSTOM accepts anything; TOTP's list-valued fields are checked on their own.
    pub fn string_fields(self) -> &'static [&'static str] {
        match self {
            Self::Login | Self::Smtp => &["password"],
            Self::ApiKey => &["key", "clientId", "secret"],
            Self::Oauth => &["accessToken", "refreshToken"],
            Self::Totp => &["secret"],
            Self::SshKey => &["privateKey", "passphrase"],
            Self::Database => &["password", "connectionString"],
            Self::Aws => &["secretAccessKey", "sessionToken"],
            Self::Certificate => &["privateKey"],
            Self::Card => &["number", "cvc", "expMonth", "expYear", "cardholder", "zip"],
            Self::ShippingAddress => &[
                "name", "line1", "line2", "city", "state", "postcode", "country", "phone",
            ],
            Self::Custom => &[],
        }
    }

    pub fn names() -> String {
        Self::ALL.map(Self::as_str).join(", ")
    }
}

impl fmt::Display for CredentialType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_round_trips_through_its_wire_name() {
        for kind in CredentialType::ALL {
            assert_eq!(CredentialType::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn wire_names_are_case_sensitive_and_closed() {
        for bad in ["api_key", "Login", "PASSWORD", "", "CUSTOM "] {
            assert_eq!(CredentialType::parse(bad), None, "{bad:?}");
        }
    }
}

//! The use cases by name, as the activity log and the MCP tools name them, with what each
//! needs of the key that asks for it.

use super::{Capability, Category, KeyKind, Scope, Target};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    VaultStore,
    VaultGet,
    VaultList,
    VaultDelete,
    VaultTotp,
    VaultTotpUseBackup,
    /// A request the vault makes with the credential (brokered use).
    VaultHttp,
    /// A request for a credential that a person fills in through a link.
    VaultRequest,
    VaultRequestStatus,
    VaultRequestCancel,
    IdentityWhoami,
    LogsList,
    LogsStats,
    /// An MCP message that is no tool call: initialize, tools/list, ping, a notification.
    McpSession,
    IdentitiesCreate,
    IdentitiesList,
    IdentitiesGet,
    IdentitiesUpdate,
    IdentitiesDelete,
    IdentitiesRotateKey,
    IdentitiesAddKey,
    IdentitiesListKeys,
    IdentitiesRevokeKey,
}

impl Action {
    pub const ALL: [Action; 23] = [
        Self::VaultStore,
        Self::VaultGet,
        Self::VaultList,
        Self::VaultDelete,
        Self::VaultTotp,
        Self::VaultTotpUseBackup,
        Self::VaultHttp,
        Self::VaultRequest,
        Self::VaultRequestStatus,
        Self::VaultRequestCancel,
        Self::IdentityWhoami,
        Self::LogsList,
        Self::LogsStats,
        Self::McpSession,
        Self::IdentitiesCreate,
        Self::IdentitiesList,
        Self::IdentitiesGet,
        Self::IdentitiesUpdate,
        Self::IdentitiesDelete,
        Self::IdentitiesRotateKey,
        Self::IdentitiesAddKey,
        Self::IdentitiesListKeys,
        Self::IdentitiesRevokeKey,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::VaultStore => "vault_store",
            Self::VaultGet => "vault_get",
            Self::VaultList => "vault_list",
            Self::VaultDelete => "vault_delete",
            Self::VaultTotp => "vault_totp",
            Self::VaultTotpUseBackup => "vault_totp_use_backup",
            Self::VaultHttp => "vault_http",
            Self::VaultRequest => "vault_request",
            Self::VaultRequestStatus => "vault_request_status",
            Self::VaultRequestCancel => "vault_request_cancel",
            Self::IdentityWhoami => "identity_whoami",
            Self::LogsList => "logs_list",
            Self::LogsStats => "logs_stats",
            Self::McpSession => "mcp_session",
            Self::IdentitiesCreate => "identities_create",
            Self::IdentitiesList => "identities_list",
            Self::IdentitiesGet => "identities_get",
            Self::IdentitiesUpdate => "identities_update",
            Self::IdentitiesDelete => "identities_delete",
            Self::IdentitiesRotateKey => "identities_rotate_key",
            Self::IdentitiesAddKey => "identities_add_key",
            Self::IdentitiesListKeys => "identities_list_keys",
            Self::IdentitiesRevokeKey => "identities_revoke_key",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == raw)
    }

    /// The kind of key it needs; `None`: either kind (the log, an MCP session message).
    pub fn key_kind(self) -> Option<KeyKind> {
        match self {
            Self::VaultStore
            | Self::VaultGet
            | Self::VaultList
            | Self::VaultDelete
            | Self::VaultTotp
            | Self::VaultTotpUseBackup
            | Self::VaultHttp
            | Self::VaultRequest
            | Self::VaultRequestStatus
            | Self::VaultRequestCancel
            | Self::IdentityWhoami => Some(KeyKind::Identity),
            Self::IdentitiesCreate
            | Self::IdentitiesList
            | Self::IdentitiesGet
            | Self::IdentitiesUpdate
            | Self::IdentitiesDelete
            | Self::IdentitiesRotateKey
            | Self::IdentitiesAddKey
            | Self::IdentitiesListKeys
            | Self::IdentitiesRevokeKey => Some(KeyKind::Platform),
            Self::LogsList | Self::LogsStats | Self::McpSession => None,
        }
    }

    /// The scope an identity key needs for it; `None`: any key of the right kind.
    pub fn scope(self) -> Option<Scope> {
        match self {
            // A backup code is a use of a secret, like a TOTP code: read, not write (a
            // deposit-only key must not collect codes).
            Self::VaultGet
            | Self::VaultList
            | Self::VaultTotp
            | Self::VaultTotpUseBackup
            | Self::VaultHttp => Some(Scope::VaultRead),
            // Asking for a credential is a write that a person makes for the agent; its status
            // and its cancelling belong to whoever may ask.
            Self::VaultStore
            | Self::VaultDelete
            | Self::VaultRequest
            | Self::VaultRequestStatus
            | Self::VaultRequestCancel => Some(Scope::VaultWrite),
            _ => None,
        }
    }

    /// What it does with the credential it names, for a key's grants; `None`: it names none
    /// (a listing shows only what the grants let the key see).
    pub fn capability(self) -> Option<Capability> {
        match self {
            Self::VaultGet => Some(Capability::Read),
            Self::VaultTotp | Self::VaultTotpUseBackup | Self::VaultHttp => Some(Capability::Use),
            Self::VaultStore | Self::VaultDelete | Self::VaultRequest => Some(Capability::Write),
            // By id: the use case hides a request for a name the key does not see.
            _ => None,
        }
    }

    pub fn category(self) -> Category {
        match self {
            Self::VaultStore
            | Self::VaultGet
            | Self::VaultList
            | Self::VaultDelete
            | Self::VaultTotp
            | Self::VaultTotpUseBackup
            | Self::VaultHttp
            | Self::VaultRequest
            | Self::VaultRequestStatus
            | Self::VaultRequestCancel => Category::Vault,
            _ => Category::Identity,
        }
    }

    pub fn describe(self, target: Option<&Target>) -> String {
        let name = target.map_or("", Target::as_str);
        match self {
            Self::VaultStore => format!("Stored credential {name}"),
            Self::VaultGet => format!("Read credential {name}"),
            Self::VaultList => "Listed credentials".to_owned(),
            Self::VaultDelete => format!("Deleted credential {name}"),
            Self::VaultTotp => format!("Generated a TOTP code for {name}"),
            Self::VaultTotpUseBackup => format!("Used a backup code of {name}"),
            Self::VaultHttp => format!("Sent a request with credential {name}"),
            Self::VaultRequest => format!("Asked a person for credential {name}"),
            Self::VaultRequestStatus => format!("Read the request for credential {name}"),
            Self::VaultRequestCancel => format!("Cancelled the request for credential {name}"),
            Self::IdentityWhoami => "Read the identity".to_owned(),
            Self::LogsList => "Listed the activity log".to_owned(),
            Self::LogsStats => "Read activity statistics".to_owned(),
            Self::McpSession => "MCP session message".to_owned(),
            Self::IdentitiesCreate => format!("Created identity {name}"),
            Self::IdentitiesList => "Listed the organisation's identities".to_owned(),
            Self::IdentitiesGet => format!("Read identity {name}"),
            Self::IdentitiesUpdate => format!("Updated identity {name}"),
            Self::IdentitiesDelete => format!("Deleted identity {name}"),
            Self::IdentitiesRotateKey => format!("Rotated the key of identity {name}"),
            Self::IdentitiesAddKey => format!("Added a key to identity {name}"),
            Self::IdentitiesListKeys => format!("Listed the keys of identity {name}"),
            Self::IdentitiesRevokeKey => format!("Revoked a key of identity {name}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip_and_each_action_names_its_key_kind() {
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(action));
            // No action needs a scope of a kind of key that cannot hold it.
            if action.scope().is_some() {
                assert_eq!(action.key_kind(), Some(KeyKind::Identity), "{action:?}");
            }
        }
        assert_eq!(Action::IdentitiesDelete.key_kind(), Some(KeyKind::Platform));
        assert_eq!(Action::LogsList.key_kind(), None);
    }
}

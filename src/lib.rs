//! credvault: a self-hosted credential vault for AI agents, on AWS Lambda, KMS and DynamoDB.
//!
//! Layout (ports and adapters): `domain` is the vocabulary, `auth` and `crypto` the two
//! security concerns, `store` the persistence port with its DynamoDB and in-memory adapters,
//! `vault` the use cases, and `http` the thin Lambda-facing edge.

pub mod admin;
pub mod auth;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod dependency;
pub mod domain;
pub mod http;
pub mod mcp;
pub mod store;
pub mod telemetry;
#[cfg(feature = "test-util")]
pub mod testing;
pub mod vault;

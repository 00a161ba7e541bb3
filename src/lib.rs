//! credvault: a self-hosted credential vault for AI agents, on AWS Lambda, KMS and DynamoDB.
//!
//! Layout (ports and adapters), bottom to top; a module imports only from layers below it
//! (`tests/layering.rs` holds the matrix):
//! - `domain`: the vocabulary (names, types, secrets, identities, activity entries, time);
//! - `clock`, `dependency`: where the time comes from, and how AWS failures are sorted;
//! - ports with their adapters: `auth` (keys and principals), `crypto` (envelope encryption;
//!   KMS), `store` (credentials, the identity directory and the activity log; DynamoDB),
//!   `egress` (brokered requests out, behind the address guard; reqwest);
//! - `vault`: the use cases, entered through one typed request per call;
//! - the edges: `wire` (views and the error envelope they share), `rest`, `mcp`, `html` (a
//!   request link's page), and `http`, the Lambda-facing front door that routes to them;
//! - composition on top: `config`, `startup` (one wiring for the function, tests and
//!   benches), `admin` (what an operator bootstraps), `telemetry`, and `testing` (test-util).

pub mod admin;
pub mod auth;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod dependency;
pub mod domain;
pub mod egress;
pub mod html;
pub mod http;
pub mod mcp;
pub mod rest;
pub mod startup;
pub mod store;
pub mod telemetry;
#[cfg(feature = "test-util")]
pub mod testing;
pub mod vault;
pub mod wire;

//! The vault against a real moto server: the same SDK code path as AWS. Each test starts
//! its own moto on a free loopback port (`stack`).

mod activity;
mod attacks;
mod capacity;
mod conformance;
mod exactness;
mod keys;
mod links;
mod platform;
mod round_trips;
mod stack;
mod store;
mod summaries;
mod upgrade;
mod vault;

//! dmptool: write, keep and publish data management plans. One binary: the storage (redb),
//! the rules (services), the REST API (poem-openapi) and the CLI share this library.
// Tests may unwrap: a failure there is the test failing (see `[lints]` in Cargo.toml).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod admin_socket;
pub mod api;
pub mod assets;
pub mod cli;
pub mod config;
pub mod domain;
pub mod legacy;
pub mod logging;
pub mod madmp;
pub mod memory;
pub mod net;
pub mod render;
pub mod server;
pub mod service;
pub mod store;
pub mod web;
pub mod worker;

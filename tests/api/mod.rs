//! HTTP API tests: the real app on a real redb file in a temp dir, through poem's
//! TestClient. One binary, one module per resource.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod admin;
mod auth;
mod conformance;
mod cors;
mod dmps;
mod documents;
mod errors;
mod guarded;
mod madmp;
mod openapi;
mod rda;
mod resources;
mod tasks;

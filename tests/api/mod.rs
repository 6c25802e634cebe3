//! HTTP API tests: the real app on a real redb file in a temp dir, through poem's
//! TestClient, one module per resource.

mod admin;
mod auth;
mod comments;
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
mod sharing;
mod tasks;

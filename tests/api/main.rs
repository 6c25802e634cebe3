//! HTTP API tests: the real app on a real redb file in a temp dir, through poem's
//! TestClient. One binary, one module per resource.

mod helpers;

mod admin;
mod auth;
mod conformance;
mod cors;
mod dmps;
mod documents;
mod errors;
mod madmp;
mod openapi;
mod rda;
mod resources;
mod tasks;

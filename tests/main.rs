//! The integration tests: one test binary (`cargo test`; `cargo test --test integration
//! faults::hostile` for one family), one module per family. Tests may unwrap and expect.
#![allow(clippy::unwrap_used, clippy::expect_used)]

/// The HTTP API through poem's TestClient, one module per resource.
mod api;
/// The real binary: command line, configuration, `dmptool admin`.
mod cli;
/// Rendered documents read back, the worker, the maDMP mapping.
mod documents;
/// The real binary under SIGKILL, a full disk and hostile clients.
mod faults;
/// Legacy import, export and import through the real binary.
mod migrate;
/// Storage on real redb files.
mod store;
/// What the tests share: the real binary (`Server`) and the in-process app (`TestApp`).
mod support;
/// The web editor through the TestClient (the browser walk is tests/web/browser).
mod web;

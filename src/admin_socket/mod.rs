//! The local admin channel: how `dmptool admin` reaches a running server.
//!
//! redb locks its file for one process, so while `dmptool serve` runs, the CLI cannot open
//! the database. The server therefore listens on a Unix socket in the data dir
//! (`admin.sock`, mode 0600) and accepts connections only from the data dir's owner (or
//! root), checked with the peer's credentials. The CLI sends the same `AdminRequest` it would
//! otherwise run itself; the server runs it on its open database, so changes take effect at
//! once (a new password at the next login, a deleted user's tokens immediately).

pub mod client;
pub mod listener;
pub mod protocol;

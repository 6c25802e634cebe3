//! The real binary when things go wrong: SIGKILL under load, a full disk, hostile clients.

mod crash;
mod disk_full;
mod hostile;

//! The CLI side of the admin socket (blocking).

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use super::protocol::{Frame, MAX_LINE, Reply};
use crate::service::admin::{AdminRequest, sibling_tmp};
use crate::service::{ADMIN_SOCKET, ServiceError};

pub struct AdminClient {
    stream: UnixStream,
}

fn io_err(what: &str, e: std::io::Error) -> ServiceError {
    ServiceError::io(format!("admin socket: {what}"), e)
}

impl AdminClient {
    /// Connects to the server's socket in `data_dir`; `None` when no server listens there.
    pub fn connect(data_dir: &Path) -> Option<Self> {
        let stream = UnixStream::connect(data_dir.join(ADMIN_SOCKET)).ok()?;
        let _ = stream.set_read_timeout(Some(Duration::from_secs(3600)));
        Some(Self { stream })
    }

    fn send(&mut self, frame: &Frame) -> Result<(), ServiceError> {
        let mut line = serde_json::to_vec(frame)
            .map_err(|e| ServiceError::json("admin socket: encoding", e))?;
        line.push(b'\n');
        self.stream
            .write_all(&line)
            .map_err(|e| io_err("sending", e))
    }

    fn receive(reader: &mut BufReader<&UnixStream>) -> Result<Reply, ServiceError> {
        let mut line = Vec::new();
        reader
            .take(MAX_LINE as u64)
            .read_until(b'\n', &mut line)
            .map_err(|e| io_err("reading", e))?;
        if line.is_empty() {
            return Err(ServiceError::fault(
                "the server closed the admin connection without answering",
            ));
        }
        serde_json::from_slice(&line)
            .map_err(|e| ServiceError::json("admin socket: malformed reply", e))
    }

    /// Runs one operation on the server.
    pub fn call(mut self, request: AdminRequest) -> Result<Value, ServiceError> {
        self.send(&Frame::Op { request })?;
        Self::receive(&mut BufReader::new(&self.stream))?.into_result()
    }

    /// Writes a snapshot of the server's database to `dest` (atomically).
    pub fn backup(mut self, dest: &Path) -> Result<u64, ServiceError> {
        self.send(&Frame::Backup)?;
        let mut reader = BufReader::new(&self.stream);
        let reply = Self::receive(&mut reader)?;
        let size = reply.payload;
        reply.into_result()?;
        let tmp = sibling_tmp(dest);
        let result = (|| {
            // Owner only (0600): it is a copy of the whole database.
            let mut file = crate::store::private::create(&tmp)?;
            let copied = std::io::copy(&mut (&mut reader).take(size), &mut file)?;
            if copied != size {
                return Err(std::io::Error::other(format!(
                    "the backup was cut short ({copied} of {size} bytes)"
                )));
            }
            file.sync_all()?;
            std::fs::rename(&tmp, dest)
        })();
        if let Err(e) = result {
            let _ = std::fs::remove_file(&tmp);
            return Err(ServiceError::io(format!("writing {}", dest.display()), e));
        }
        Ok(size)
    }

    /// Sends a backup file for the server to restore.
    pub fn restore(mut self, src: &Path) -> Result<Value, ServiceError> {
        let mut file = std::fs::File::open(src)
            .map_err(|e| ServiceError::Invalid(format!("cannot read {}: {e}", src.display())))?;
        let size = file.metadata().map_err(|e| io_err("stat", e))?.len();
        self.send(&Frame::Restore { size })?;
        std::io::copy(&mut file, &mut self.stream).map_err(|e| io_err("sending the backup", e))?;
        Self::receive(&mut BufReader::new(&self.stream))?.into_result()
    }
}

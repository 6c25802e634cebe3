//! The server side of the admin socket.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};

use super::protocol::{Frame, MAX_LINE, Reply};
use crate::domain::ObjectId;
use crate::service::{ADMIN_SOCKET, ServiceError, Services};

/// The bound socket; removes its file when dropped.
pub struct AdminSocket {
    listener: UnixListener,
    path: PathBuf,
    owner_uid: u32,
}

impl Drop for AdminSocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

impl AdminSocket {
    /// Binds `<data>/admin.sock` with mode 0600. A stale socket file (left by a crash) is
    /// replaced: the caller holds the database lock, so no other server can be using it.
    pub fn bind(data_dir: &Path) -> std::io::Result<Self> {
        let path = data_dir.join(ADMIN_SOCKET);
        match std::fs::remove_file(&path) {
            Ok(()) => tracing::debug!(path = %path.display(), "removed a stale admin socket"),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let listener = UnixListener::bind(&path)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        let owner_uid = std::fs::metadata(data_dir)?.uid();
        Ok(Self {
            listener,
            path,
            owner_uid,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Accepts connections until the task is dropped.
    pub async fn serve(self, services: Arc<Services>) {
        loop {
            let (stream, _) = match self.listener.accept().await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "admin socket accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            };
            let allowed = stream
                .peer_cred()
                .is_ok_and(|c| c.uid() == self.owner_uid || c.uid() == 0);
            let services = services.clone();
            tokio::spawn(async move {
                if !allowed {
                    tracing::warn!("refused an admin connection from another user");
                    let _ = reply(
                        stream,
                        &Reply::from_error(&ServiceError::Forbidden(
                            "not the data dir's owner".into(),
                        )),
                        None,
                    )
                    .await;
                    return;
                }
                if let Err(e) = handle(stream, services).await {
                    tracing::warn!(error = %e, "admin connection failed");
                }
            });
        }
    }
}

async fn reply(mut stream: UnixStream, r: &Reply, payload: Option<&Path>) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(r).map_err(std::io::Error::other)?;
    line.push(b'\n');
    stream.write_all(&line).await?;
    if let Some(p) = payload {
        let mut f = tokio::fs::File::open(p).await?;
        tokio::io::copy(&mut f, &mut stream).await?;
    }
    stream.shutdown().await
}

async fn blocking<T: Send + 'static>(
    services: &Arc<Services>,
    f: impl FnOnce(&Services) -> Result<T, ServiceError> + Send + 'static,
) -> Result<T, ServiceError> {
    let s = services.clone();
    tokio::task::spawn_blocking(move || f(&s))
        .await
        .unwrap_or_else(|source| {
            Err(ServiceError::Task {
                context: "admin operation failed",
                source,
            })
        })
}

async fn handle(stream: UnixStream, services: Arc<Services>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    (&mut reader)
        .take(MAX_LINE as u64)
        .read_until(b'\n', &mut line)
        .await?;
    let frame: Frame = match serde_json::from_slice(&line) {
        Ok(f) => f,
        Err(e) => {
            let err = ServiceError::Invalid(format!("malformed admin request: {e}"));
            return reply(reader.into_inner(), &Reply::from_error(&err), None).await;
        }
    };
    let tmp = services
        .data_dir()
        .join(format!(".admin-{}.redb", ObjectId::generate()));
    let result = match frame {
        Frame::Op { request } => {
            tracing::info!(op = request.name(), "admin request");
            let r = blocking(&services, move |s| s.execute_admin(request)).await;
            reply(reader.into_inner(), &result_reply(r, 0), None).await
        }
        Frame::Backup => {
            let dest = tmp.clone();
            match blocking(&services, move |s| s.backup_to(&dest)).await {
                Ok(()) => {
                    let size = tokio::fs::metadata(&tmp).await?.len();
                    reply(
                        reader.into_inner(),
                        &Reply::ok(serde_json::Value::Null, size),
                        Some(&tmp),
                    )
                    .await
                }
                Err(e) => reply(reader.into_inner(), &Reply::from_error(&e), None).await,
            }
        }
        Frame::Restore { size } => {
            let mut file = tokio::fs::File::from_std(crate::store::private::create(&tmp)?);
            let copied = tokio::io::copy(&mut (&mut reader).take(size), &mut file).await?;
            file.sync_all().await?;
            drop(file);
            let r = if copied != size {
                Err(ServiceError::Invalid(format!(
                    "the backup was cut short ({copied} of {size} bytes)"
                )))
            } else {
                let src = tmp.clone();
                blocking(&services, move |s| s.restore_from(&src))
                    .await
                    .and_then(|summary| {
                        serde_json::to_value(summary)
                            .map_err(|e| ServiceError::json("encoding the restore summary", e))
                    })
            };
            reply(reader.into_inner(), &result_reply(r, 0), None).await
        }
    };
    let _ = tokio::fs::remove_file(&tmp).await;
    result
}

fn result_reply(r: Result<serde_json::Value, ServiceError>, payload: u64) -> Reply {
    match r {
        Ok(v) => Reply::ok(v, payload),
        Err(e) => {
            if e.is_fault() {
                tracing::error!(error = %crate::service::chain(&e), "admin operation failed");
            }
            Reply::from_error(&e)
        }
    }
}

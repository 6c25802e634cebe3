//! The legacy SQLite file: tables `users`, `projects`, `user_project`.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::{LegacyAccounts, LegacyError, LegacyProject, LegacyUser};

pub fn read_accounts(path: &Path) -> Result<LegacyAccounts, LegacyError> {
    let err = |e: rusqlite::Error| LegacyError::Read {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    if !path.is_file() {
        return Err(LegacyError::Read {
            path: path.display().to_string(),
            message: "no such file".into(),
        });
    }
    let db = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(err)?;
    let mut users = Vec::new();
    let mut stmt = db
        .prepare("SELECT id, username, password_hash, email, admin FROM users ORDER BY id")
        .map_err(err)?;
    let rows = stmt
        .query_map([], |r| {
            Ok(LegacyUser {
                id: r.get(0)?,
                username: r.get(1)?,
                password_hash: r.get(2)?,
                email: r.get(3)?,
                admin: r.get::<_, Option<bool>>(4)?.unwrap_or(false),
            })
        })
        .map_err(err)?;
    for row in rows {
        users.push(row.map_err(err)?);
    }
    let mut projects = Vec::new();
    let mut stmt = db
        .prepare("SELECT id, name, description FROM projects ORDER BY id")
        .map_err(err)?;
    let rows = stmt
        .query_map([], |r| {
            Ok(LegacyProject {
                id: r.get(0)?,
                name: r.get(1)?,
                description: r.get(2)?,
            })
        })
        .map_err(err)?;
    for row in rows {
        projects.push(row.map_err(err)?);
    }
    let mut relations = Vec::new();
    let mut stmt = db
        .prepare("SELECT user_id, project_id FROM user_project ORDER BY user_id, project_id")
        .map_err(err)?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
        .map_err(err)?;
    for row in rows {
        relations.push(row.map_err(err)?);
    }
    Ok(LegacyAccounts {
        users,
        projects,
        relations,
    })
}

//! Storage on one redb file. This layer knows tables, keys and transactions, nothing of HTTP
//! or of the rules: services call it inside one transaction per use case, and every record is
//! written together with its index rows in that same transaction.

pub mod dmps;
pub mod dump;
mod error;
pub mod files;
pub mod integrity;
pub mod meta;
mod migrations;
pub mod projects;
pub mod records;
pub mod sessions;
pub mod tables;
pub mod tasks;
pub mod users;

use std::path::{Path, PathBuf};

use redb::{
    Database, Key, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition, Value,
    WriteTransaction,
};

pub use error::StoreError;
pub use migrations::SCHEMA_VERSION;

/// The open database. Cloning is not needed: share it behind an `Arc`.
pub struct Store {
    db: Database,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if absent) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let db = match Database::builder().create(path) {
            Ok(db) => db,
            Err(redb::DatabaseError::DatabaseAlreadyOpen) => {
                return Err(StoreError::Locked {
                    path: path.to_owned(),
                });
            }
            Err(e) => return Err(e.into()),
        };
        let store = Self {
            db,
            path: path.to_owned(),
        };
        migrations::run(&store)?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` in a read transaction (a consistent snapshot).
    pub fn read<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&ReadTransaction) -> Result<T, E>,
    ) -> Result<T, E> {
        let tx = self.db.begin_read().map_err(StoreError::from)?;
        f(&tx)
    }

    /// Runs `f` in a write transaction that commits, durably, only if `f` succeeds; on an
    /// error nothing of it is written.
    pub fn write<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&WriteTransaction) -> Result<T, E>,
    ) -> Result<T, E> {
        let tx = self.db.begin_write().map_err(StoreError::from)?;
        match f(&tx) {
            Ok(value) => {
                tx.commit().map_err(StoreError::from)?;
                Ok(value)
            }
            Err(e) => {
                tx.abort().map_err(StoreError::from)?;
                Err(e)
            }
        }
    }

    /// Copies a consistent snapshot of the whole database to `dest` (a new redb file).
    pub fn backup_to(&self, dest: &Path) -> Result<(), StoreError> {
        let read = self.db.begin_read()?;
        let target = Database::create(dest)?;
        let w = target.begin_write()?;
        integrity::copy_all(&read, &w)?;
        w.commit()?;
        Ok(())
    }
}

/// Read access to tables from either kind of transaction, so one read function serves
/// queries and the checks a write makes before it writes.
pub trait ReadTx {
    fn table<K: Key + 'static, V: Value + 'static>(
        &self,
        def: TableDefinition<K, V>,
    ) -> Result<impl ReadableTable<K, V> + '_, StoreError>;
}

impl ReadTx for ReadTransaction {
    fn table<K: Key + 'static, V: Value + 'static>(
        &self,
        def: TableDefinition<K, V>,
    ) -> Result<impl ReadableTable<K, V> + '_, StoreError> {
        Ok(self.open_table(def)?)
    }
}

impl ReadTx for WriteTransaction {
    fn table<K: Key + 'static, V: Value + 'static>(
        &self,
        def: TableDefinition<K, V>,
    ) -> Result<impl ReadableTable<K, V> + '_, StoreError> {
        Ok(self.open_table(def)?)
    }
}

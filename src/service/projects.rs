//! Projects and memberships.

use super::Services;
use super::error::{Result, ServiceError};
use super::users::no_user;
use crate::domain::ProjectName;
use crate::domain::time::now_millis;
use crate::store::records::ProjectRecord;
use crate::store::{projects, users};

#[derive(Debug, Clone, serde::Serialize)]
pub struct ProjectSummary {
    pub id: u64,
    pub name: String,
    pub description: String,
    pub members: usize,
    /// The plans shared with the project's members, with the role.
    pub grants: Vec<super::users::GrantSummary>,
}

pub(crate) fn no_project(name: &str) -> ServiceError {
    ServiceError::NotFound(format!("no project named '{name}'"))
}

impl Services {
    pub fn create_project(&self, name: &str, description: &str) -> Result<u64> {
        let name = ProjectName::parse(name)?;
        let rec = ProjectRecord {
            name: name.as_str().to_owned(),
            description: description.trim().to_owned(),
            created: now_millis(),
            legacy_id: None,
        };
        self.store.write(|tx| {
            projects::insert(tx, &rec, None)?.ok_or_else(|| {
                ServiceError::Conflict(format!("project '{}' already exists", rec.name))
            })
        })
    }

    /// Deletes a project with its memberships and the grants it held; users stay. Returns how many members it had.
    pub fn delete_project(&self, name: &str) -> Result<usize> {
        self.store.write(|tx| {
            let id = projects::id_by_name(tx, name)?.ok_or_else(|| no_project(name))?;
            let members = projects::members_of(tx, id)?.len();
            crate::store::grants::remove_all_of_grantee(tx, crate::domain::Grantee::Project(id))?;
            projects::delete(tx, id)?;
            Ok(members)
        })
    }

    pub fn list_projects(&self) -> Result<Vec<ProjectSummary>> {
        self.store.read(|tx| {
            let mut out = Vec::new();
            for (id, rec) in projects::list(tx)? {
                out.push(ProjectSummary {
                    id,
                    name: rec.name,
                    description: rec.description,
                    members: projects::members_of(tx, id)?.len(),
                    grants: super::users::grants_of(tx, crate::domain::Grantee::Project(id))?,
                });
            }
            Ok(out)
        })
    }

    pub fn add_member(&self, username: &str, project: &str) -> Result<()> {
        self.store.write(|tx| {
            let u = users::id_by_name(tx, username)?.ok_or_else(|| no_user(username))?;
            let p = projects::id_by_name(tx, project)?.ok_or_else(|| no_project(project))?;
            if !projects::add_member(tx, u, p)? {
                return Err(ServiceError::Conflict(format!(
                    "'{username}' is already a member of '{project}'"
                )));
            }
            Ok(())
        })
    }

    pub fn remove_member(&self, username: &str, project: &str) -> Result<()> {
        self.store.write(|tx| {
            let u = users::id_by_name(tx, username)?.ok_or_else(|| no_user(username))?;
            let p = projects::id_by_name(tx, project)?.ok_or_else(|| no_project(project))?;
            if !projects::remove_member(tx, u, p)? {
                return Err(ServiceError::NotFound(format!(
                    "'{username}' is not a member of '{project}'"
                )));
            }
            Ok(())
        })
    }
}

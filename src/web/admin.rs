//! Administration (administrators only): users (create, delete, reset a password),
//! projects and their members, the templates installed, a backup download. The same
//! services as the `/admin` routes; anyone else gets 403.

use maud::html;
use poem::http::{StatusCode, header};
use poem::web::{Data, Form};
use poem::{Request, Response, handler};
use serde::Deserialize;

use super::i18n::{datetime, t, ta};
use super::layout::{self, Fail, csrf};
use super::session::{self, Ctx, checked, see_other};
use crate::api::ApiState;
use crate::service::ServiceError;

fn admin_only(ctx: &Ctx) -> Result<crate::service::Caller, Fail> {
    let sess = ctx.user()?;
    if !sess.caller.admin {
        return Err(Fail::status(
            StatusCode::FORBIDDEN,
            "only administrators may use this page",
        ));
    }
    Ok(sess.caller.clone())
}

async fn render(
    state: &ApiState,
    ctx: &Ctx,
    message: Option<(bool, String)>,
) -> Result<Response, Fail> {
    let l = ctx.lang;
    let (users, projects, templates) = state
        .run(|s| {
            let templates = s.templates();
            let names = templates
                .names()
                .into_iter()
                .map(|(n, src)| {
                    let title = templates
                        .get(&n)
                        .map(|(t, _)| t.title.clone())
                        .unwrap_or_default();
                    (n, title, src)
                })
                .collect::<Vec<_>>();
            Ok((s.list_users()?, s.list_projects()?, names))
        })
        .await
        .map_err(Fail::from_api)?;
    let title = t(l, "admin-title");
    let form = |action: &str, body: maud::Markup| {
        html! {
            form.inline method="post" action="/ui/admin" {
                (csrf(ctx))
                input type="hidden" name="action" value=(action);
                (body)
            }
        }
    };
    Ok(layout::page(
        ctx,
        &title,
        &[],
        html! {
            h1 { (title) }
            @if let Some((ok, m)) = &message {
                @if *ok { p.note role="status" { (m) } } @else { p.error role="alert" { (m) } }
            }
            section aria-labelledby="h-users" {
                h2 #h-users { (t(l, "users")) }
                table {
                    caption { (t(l, "users")) }
                    thead { tr {
                        th scope="col" { (t(l, "username")) }
                        th scope="col" { (t(l, "email")) }
                        th scope="col" { (t(l, "administrator")) }
                        th scope="col" { (t(l, "projects")) }
                        th scope="col" { (t(l, "created")) }
                        th scope="col" { (t(l, "actions")) }
                    } }
                    tbody { @for u in &users { tr {
                        td { (u.username) }
                        td { (u.email.clone().unwrap_or_default()) }
                        td { @if u.admin { (t(l, "opt-yes")) } @else { (t(l, "opt-no")) } }
                        td { (u.projects.join(", ")) }
                        td { (datetime(l, u.created)) }
                        td {
                            (form("reset-password", html! {
                                input type="hidden" name="username" value=(u.username);
                                button type="submit" { (t(l, "reset-password")) " " span.visually-hidden { (u.username) } }
                            }))
                            @if ctx.sess.as_ref().is_some_and(|s| s.caller.username != u.username) {
                                (form("delete-user", html! {
                                    input type="hidden" name="username" value=(u.username);
                                    button.danger type="submit" { (t(l, "delete")) " " span.visually-hidden { (u.username) } }
                                }))
                            }
                        }
                    } } }
                }
                h3 { (t(l, "create-user")) }
                form.stack method="post" action="/ui/admin" {
                    (csrf(ctx))
                    input type="hidden" name="action" value="create-user";
                    label for="new-username" { (t(l, "username")) }
                    input #new-username type="text" name="username" required;
                    label for="new-email" { (t(l, "email")) }
                    input #new-email type="email" name="email";
                    label for="new-password" { (t(l, "password")) }
                    input #new-password type="password" name="password" autocomplete="new-password" required;
                    div.choice {
                        input #new-admin type="checkbox" name="admin" value="yes";
                        label for="new-admin" { (t(l, "administrator")) }
                    }
                    button.primary type="submit" { (t(l, "create-user")) }
                }
            }
            section aria-labelledby="h-projects" {
                h2 #h-projects { (t(l, "projects")) }
                table {
                    caption { (t(l, "projects")) }
                    thead { tr {
                        th scope="col" { (t(l, "project-name")) }
                        th scope="col" { (t(l, "description")) }
                        th scope="col" { (t(l, "members")) }
                        th scope="col" { (t(l, "actions")) }
                    } }
                    tbody { @for p in &projects { tr {
                        td { (p.name) }
                        td { (p.description) }
                        td { (p.members) }
                        td {
                            (form("delete-project", html! {
                                input type="hidden" name="project" value=(p.name);
                                button.danger type="submit" { (t(l, "delete")) " " span.visually-hidden { (p.name) } }
                            }))
                        }
                    } } }
                }
                h3 { (t(l, "create-project")) }
                form.stack method="post" action="/ui/admin" {
                    (csrf(ctx))
                    input type="hidden" name="action" value="create-project";
                    label for="new-project" { (t(l, "project-name")) }
                    input #new-project type="text" name="project" required;
                    label for="new-project-description" { (t(l, "description")) }
                    input #new-project-description type="text" name="description";
                    button.primary type="submit" { (t(l, "create-project")) }
                }
                h3 { (t(l, "membership")) }
                form.stack method="post" action="/ui/admin" {
                    (csrf(ctx))
                    label for="member-user" { (t(l, "username")) }
                    input #member-user type="text" name="username" required;
                    label for="member-project" { (t(l, "project-name")) }
                    input #member-project type="text" name="project" required;
                    div.actions {
                        button type="submit" name="action" value="add-member" { (t(l, "add-member")) }
                        button type="submit" name="action" value="remove-member" { (t(l, "remove-member")) }
                    }
                }
            }
            section aria-labelledby="h-templates" {
                h2 #h-templates { (t(l, "templates")) }
                ul { @for (n, title, src) in &templates {
                    li { code { (n) } " — " (title) " (" @match src {
                        crate::render::template::Source::Builtin => (t(l, "builtin")),
                        crate::render::template::Source::Override => (t(l, "added-by-admin")),
                    } ")" }
                } }
            }
            section aria-labelledby="h-backup" {
                h2 #h-backup { (t(l, "backup")) }
                p { a.button href="/ui/admin/backup" download { (t(l, "download-backup")) } }
            }
        },
    ))
}

#[handler]
pub async fn page(state: Data<&ApiState>, req: &Request) -> Response {
    let lang = session::header_lang(req);
    let r = async {
        let ctx = session::ctx(&state, req).await?;
        admin_only(&ctx)?;
        render(&state, &ctx, None).await
    }
    .await;
    layout::finish(lang, r)
}

#[derive(Deserialize)]
pub struct AdminForm {
    csrf: Option<String>,
    action: String,
    username: Option<String>,
    email: Option<String>,
    password: Option<String>,
    admin: Option<String>,
    project: Option<String>,
    description: Option<String>,
}

#[handler]
pub async fn act(state: Data<&ApiState>, req: &Request, Form(f): Form<AdminForm>) -> Response {
    let lang = session::header_lang(req);
    let r = async {
        let ctx = session::ctx(&state, req).await?;
        checked(&ctx, req, f.csrf.as_deref())?;
        admin_only(&ctx)?;
        let l = ctx.lang;
        let user = f.username.clone().unwrap_or_default().trim().to_owned();
        let project = f.project.clone().unwrap_or_default().trim().to_owned();
        let action = f.action.clone();
        let (email, password, admin, description) = (
            f.email.clone().filter(|e| !e.trim().is_empty()),
            f.password.clone().unwrap_or_default(),
            f.admin.is_some(),
            f.description.clone().unwrap_or_default(),
        );
        let (u, p) = (user.clone(), project.clone());
        let result = state
            .run_hashing(move |s| match action.as_str() {
                "create-user" => s
                    .create_user(&u, email.as_deref(), &password, admin)
                    .map(|_| None),
                "delete-user" => s.delete_user(&u).map(|_| None),
                "reset-password" => {
                    let pw = crate::service::users::random_password();
                    s.set_password(&u, &pw).map(|()| Some(pw))
                }
                "create-project" => s.create_project(&p, &description).map(|_| None),
                "delete-project" => s.delete_project(&p).map(|_| None),
                "add-member" => s.add_member(&u, &p).map(|()| None),
                "remove-member" => s.remove_member(&u, &p).map(|()| None),
                _ => Err(ServiceError::Invalid("unknown action".into())),
            })
            .await;
        let message = match result {
            Ok(Some(pw)) => (
                true,
                ta(
                    l,
                    "password-was-reset",
                    &[("user", user.into()), ("password", pw.into())],
                ),
            ),
            Ok(None) if f.action == "reset-password" => (true, t(l, "done")),
            Ok(None) => return Ok(see_other("/ui/admin")),
            Err(e) => (false, Fail::from_api(e).message),
        };
        render(&state, &ctx, Some(message)).await
    }
    .await;
    layout::finish(lang, r)
}

#[handler]
pub async fn backup(state: Data<&ApiState>, req: &Request) -> Response {
    let lang = session::header_lang(req);
    let r = async {
        let ctx = session::ctx(&state, req).await?;
        admin_only(&ctx)?;
        let bytes = state
            .run(|s| {
                let tmp = s.data_dir().join(format!(
                    ".web-backup-{}.redb",
                    crate::domain::ObjectId::generate()
                ));
                let result = s.backup_to(&tmp).and_then(|()| {
                    std::fs::read(&tmp).map_err(|e| ServiceError::io("reading the backup", e))
                });
                let _ = std::fs::remove_file(&tmp);
                result
            })
            .await
            .map_err(Fail::from_api)?;
        let name = format!(
            "dmptool-backup-{}.redb",
            chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
        );
        Ok(Response::builder()
            .content_type("application/octet-stream")
            .header(
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            )
            .body(bytes))
    }
    .await;
    layout::finish(lang, r)
}

//! Sharing a plan: who has access (users and projects, each under a role), adding and
//! removing grants, transferring the plan to another user. The owner (or an administrator)
//! manages access; the services refuse anyone else.

use maud::html;
use poem::web::{Data, Form, Path};
use poem::{Request, Response, handler};
use serde::Deserialize;

use super::i18n::t;
use super::layout::{self, Fail, csrf, plan_id};
use super::plans::role_name;
use super::session::{self, Ctx, checked, see_other};
use crate::api::ApiState;
use crate::domain::{DmpId, Role};
use crate::service::sharing::{AccessList, GranteeName};

fn render(ctx: &Ctx, id: DmpId, access: &AccessList, error: Option<&str>) -> Response {
    let l = ctx.lang;
    let title = t(l, "share-title");
    let manage = access.role == Role::Owner || ctx.sess.as_ref().is_some_and(|s| s.caller.admin);
    let pid = id.to_string();
    layout::page(
        ctx,
        &title,
        &[],
        html! {
            p { a href={ "/ui/plans/" (pid) } { (t(l, "back-to-editor")) } }
            h1 { (title) }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            p { (t(l, "owner")) ": " strong { (access.owner) } }
            @if access.grants.is_empty() {
                p { (t(l, "no-grants")) }
            } @else {
                table {
                    caption { (t(l, "who-has-access")) }
                    thead { tr {
                        th scope="col" { (t(l, "grantee")) }
                        th scope="col" { (t(l, "grantee-kind")) }
                        th scope="col" { (t(l, "col-role")) }
                        @if manage { th scope="col" { (t(l, "actions")) } }
                    } }
                    tbody {
                        @for g in &access.grants {
                            tr {
                                td { (g.name) }
                                td { @if g.kind == "project" { (t(l, "kind-project")) } @else { (t(l, "kind-user")) } }
                                td { (role_name(l, g.role)) }
                                @if manage {
                                    td {
                                        form.inline method="post" action={ "/ui/plans/" (pid) "/share" } {
                                            (csrf(ctx))
                                            input type="hidden" name="action" value="remove";
                                            input type="hidden" name="kind" value=(g.kind);
                                            input type="hidden" name="name" value=(g.name);
                                            button type="submit" { (t(l, "remove-access")) " " span.visually-hidden { (g.name) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if manage {
                h2 { (t(l, "add-access")) }
                form.stack method="post" action={ "/ui/plans/" (pid) "/share" } {
                    (csrf(ctx))
                    input type="hidden" name="action" value="add";
                    label for="grant-kind" { (t(l, "grantee-kind")) }
                    select #grant-kind name="kind" {
                        option value="user" { (t(l, "kind-user")) }
                        option value="project" { (t(l, "kind-project")) }
                    }
                    label for="grant-name" { (t(l, "grantee-name")) }
                    input #grant-name type="text" name="name" required;
                    label for="grant-role" { (t(l, "col-role")) }
                    select #grant-role name="role" {
                        @for r in Role::GRANTABLE { option value=(r.as_str()) selected[r == Role::Commenter] { (role_name(l, r)) } }
                    }
                    button.primary type="submit" { (t(l, "share")) }
                }
                h2 { (t(l, "transfer")) }
                form.stack method="post" action={ "/ui/plans/" (pid) "/share" } {
                    (csrf(ctx))
                    input type="hidden" name="action" value="transfer";
                    label for="transfer-to" { (t(l, "transfer-to")) }
                    input #transfer-to type="text" name="name" required;
                    button type="submit" { (t(l, "transfer")) }
                }
            }
        },
    )
}

#[handler]
pub async fn page(state: Data<&ApiState>, req: &Request, Path(id): Path<String>) -> Response {
    let lang = session::header_lang(req);
    let r = async {
        let ctx = session::ctx(&state, req).await?;
        let caller = ctx.user()?.caller.clone();
        let id = plan_id(&id)?;
        let access = state
            .run(move |s| s.dmp_access(&caller, id))
            .await
            .map_err(Fail::from_api)?;
        Ok(render(&ctx, id, &access, None))
    }
    .await;
    layout::finish(lang, r)
}

#[derive(Deserialize)]
pub struct ShareForm {
    csrf: Option<String>,
    action: String,
    kind: Option<String>,
    name: String,
    role: Option<String>,
}

#[handler]
pub async fn act(
    state: Data<&ApiState>,
    req: &Request,
    Path(id): Path<String>,
    Form(form): Form<ShareForm>,
) -> Response {
    let lang = session::header_lang(req);
    let r = async {
        let ctx = session::ctx(&state, req).await?;
        let caller = checked(&ctx, req, form.csrf.as_deref())?.caller.clone();
        let id = plan_id(&id)?;
        let name = form.name.trim().to_owned();
        let who = match form.kind.as_deref() {
            Some("project") => GranteeName::Project(name.clone()),
            _ => GranteeName::User(name.clone()),
        };
        let action = form.action.clone();
        let role = form.role.clone().unwrap_or_default();
        let c = caller.clone();
        let result = state
            .run(move |s| match action.as_str() {
                "add" => {
                    let role = Role::grantable(&role)
                        .map_err(|e| crate::service::ServiceError::Invalid(e.to_string()))?;
                    s.share_dmp(&c, id, &who, role).map(|(a, _)| a)
                }
                "remove" => s.unshare_dmp(&c, id, &who),
                "transfer" => s.transfer_dmp(&c, id, &name),
                _ => Err(crate::service::ServiceError::Invalid(
                    "unknown action".into(),
                )),
            })
            .await;
        match result {
            Ok(_) if form.action == "transfer" => Ok(see_other(&format!("/ui/plans/{id}"))),
            Ok(_) => Ok(see_other(&format!("/ui/plans/{id}/share"))),
            Err(e) => {
                let fail = Fail::from_api(e);
                let access = state
                    .run(move |s| s.dmp_access(&caller, id))
                    .await
                    .map_err(Fail::from_api)?;
                let mut resp = render(&ctx, id, &access, Some(&fail.message));
                resp.set_status(fail.status);
                Ok(resp)
            }
        }
    }
    .await;
    layout::finish(lang, r)
}

//! `/`: the login page, or the plan list (own and shared plans with the caller's role,
//! search by title, sort, progress, latest documents); starting a plan from a template or
//! by importing a maDMP file; deleting one.

use maud::html;
use poem::web::{Data, Form, Multipart, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::i18n::{Lang, datetime, t, ta};
use super::layout::{self, Fail, csrf};
use super::session::{self, Ctx, checked, see_other};
use crate::api::ApiState;
use crate::domain::{FileKind, Role};
use crate::service::plan_list::{PlanOrder, PlanQuery};

#[derive(Deserialize, Default)]
pub struct ListQuery {
    q: Option<String>,
    sort: Option<String>,
    /// From 1.
    page: Option<usize>,
}

/// `text` for a query string (UTF-8, percent-encoded).
fn query_text(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// One row of the list.
pub struct Row {
    pub id: String,
    pub title: String,
    pub template: String,
    pub owner: String,
    pub role: Role,
    pub updated: i64,
    pub answered: usize,
    pub total: usize,
    pub docx: Option<String>,
    pub pdf: Option<String>,
}

pub fn role_name(l: Lang, r: Role) -> String {
    match r {
        Role::Owner => t(l, "role-owner"),
        Role::Editor => t(l, "role-editor"),
        Role::Commenter => t(l, "role-commenter"),
        Role::Viewer => t(l, "role-viewer"),
    }
}

/// A plan's document as a map (an unreadable one as empty).
pub fn doc_map(raw: &serde_json::value::RawValue) -> Map<String, Value> {
    serde_json::from_str(raw.get()).unwrap_or_default()
}

/// The template a plan names (the default one when it names none).
pub fn template_name(doc: &Map<String, Value>) -> String {
    doc.get("template")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or(crate::render::template::DEFAULT_TEMPLATE)
        .to_owned()
}

/// Plans on one page of the list.
pub const PER_PAGE: usize = 25;

/// One page of the caller's list (`search` in titles, sorted), and how many plans match.
fn rows(
    s: &crate::service::Services,
    caller: &crate::service::Caller,
    search: &str,
    by_title: bool,
    page: usize,
) -> crate::service::Result<(Vec<Row>, usize)> {
    let query = PlanQuery {
        search: search.to_owned(),
        order: if by_title {
            PlanOrder::Title
        } else {
            PlanOrder::Updated
        },
        offset: page.saturating_mul(PER_PAGE),
        limit: PER_PAGE,
    };
    let (plans, matching) = s.plan_list(caller, &query)?;
    // The documents page hands out a signed link of the latest file (for this session's
    // caller): the list's own links then never go stale.
    let link = |id: &str, kind: FileKind, file: Option<String>| {
        file.map(|_| format!("/ui/plans/{id}/documents?download={}", kind.extension()))
    };
    let rows = plans
        .into_iter()
        .map(|p| {
            let id = p.id.to_string();
            Row {
                docx: link(&id, FileKind::Docx, p.docx),
                pdf: link(&id, FileKind::Pdf, p.pdf),
                id,
                title: p.title,
                template: p.template,
                owner: p.owner_name,
                role: p.role,
                updated: p.updated,
                answered: p.answered,
                total: p.total,
            }
        })
        .collect();
    Ok((rows, matching))
}

#[handler]
pub async fn index(
    state: Data<&ApiState>,
    req: &Request,
    Query(query): Query<ListQuery>,
) -> Response {
    let q = query.q.unwrap_or_default();
    let sort = query.sort.unwrap_or_else(|| "updated".into());
    let by_title = sort == "title";
    let page = query.page.unwrap_or(1).max(1) - 1;
    // The session and the page of plans in one read.
    let needle = q.trim().to_lowercase();
    let read = session::ctx_then(&state, req, move |s, caller| {
        rows(s, caller, &needle, by_title, page)
    })
    .await;
    let (ctx, listed) = match read {
        Ok(r) => r,
        Err(f) => return f.page(session::header_lang(req)),
    };
    let lang = ctx.lang;
    let Some((rows, matching)) = listed else {
        return layout::finish(lang, Ok(layout::login_page(lang, None, "")));
    };
    layout::finish(lang, Ok(list(&ctx, &q, by_title, page, rows, matching)))
}

fn list(
    ctx: &Ctx,
    q: &str,
    by_title: bool,
    page: usize,
    rows: Vec<Row>,
    matching: usize,
) -> Response {
    let l = ctx.lang;
    let sort = if by_title { "title" } else { "updated" };
    let pages = matching.div_ceil(PER_PAGE).max(1);
    let link = |n: usize| format!("/?q={}&sort={}&page={n}", query_text(q), sort);
    let title = t(l, "plans-title");
    layout::page(
        ctx,
        &title,
        &[],
        html! {
            h1 { (title) }
            p { a.button.primary href="/ui/plans/new" { (t(l, "new-plan")) } }
            form.search method="get" action="/" role="search" {
                label for="q" { (t(l, "search-title")) }
                input #q type="search" name="q" value=(q);
                label for="sort" { (t(l, "sort-by")) }
                select #sort name="sort" {
                    option value="updated" selected[sort != "title"] { (t(l, "sort-updated")) }
                    option value="title" selected[sort == "title"] { (t(l, "sort-title")) }
                }
                button type="submit" { (t(l, "search")) }
            }
            @if rows.is_empty() {
                p { (t(l, "no-plans")) }
            } @else {
                table.plans {
                    caption { (ta(l, "plans-count", &[("count", matching.into())])) }
                    thead { tr {
                        th scope="col" { (t(l, "col-title")) }
                        th scope="col" { (t(l, "col-template")) }
                        th scope="col" { (t(l, "col-role")) }
                        th scope="col" { (t(l, "col-updated")) }
                        th scope="col" { (t(l, "col-progress")) }
                        th scope="col" { (t(l, "col-documents")) }
                    } }
                    @let progress_label = t(l, "col-progress");
                    @let none_yet = t(l, "none-yet");
                    @let roles: Vec<(Role, String)> = [Role::Owner, Role::Editor, Role::Commenter, Role::Viewer]
                        .into_iter()
                        .map(|r| (r, role_name(l, r)))
                        .collect();
                    tbody {
                        @for r in &rows {
                            tr {
                                td { a href={ "/ui/plans/" (r.id) } {
                                    @if r.title.is_empty() { (t(l, "untitled")) } @else { (r.title) }
                                } }
                                td { (r.template) }
                                td {
                                    @if let Some((_, name)) = roles.iter().find(|(role, _)| *role == r.role) { (name) }
                                    @if r.role != Role::Owner { " · " (ta(l, "owned-by", &[("owner", r.owner.clone().into())])) }
                                }
                                td { (datetime(l, r.updated)) }
                                td {
                                    progress value=(r.answered) max=(r.total.max(1)) aria-label=(progress_label) {}
                                    " " (ta(l, "answered-of", &[("answered", r.answered.into()), ("total", r.total.into())]))
                                }
                                td {
                                    @if let Some(d) = &r.docx { a href=(d) { "DOCX" } " " }
                                    @if let Some(p) = &r.pdf { a href=(p) { "PDF" } }
                                    @if r.docx.is_none() && r.pdf.is_none() { (none_yet) }
                                }
                            }
                        }
                    }
                }
                @if pages > 1 {
                    nav.pages aria-label=(t(l, "pages")) {
                        @if page > 0 { a href=(link(page)) rel="prev" { (t(l, "previous-page")) } " " }
                        span { (ta(l, "page-of", &[("page", (page + 1).into()), ("pages", pages.into())])) }
                        @if page + 1 < pages { " " a href=(link(page + 2)) rel="next" { (t(l, "next-page")) } }
                    }
                }
            }
        },
    )
}

#[handler]
pub async fn new_page(state: Data<&ApiState>, req: &Request) -> Response {
    let lang = session::header_lang(req);
    let r = async {
        let ctx = session::ctx(&state, req).await?;
        ctx.user()?;
        let templates = state
            .run(|s| {
                let t = s.templates();
                Ok(t.names()
                    .into_iter()
                    .filter_map(|(n, _)| {
                        t.get(&n)
                            .ok()
                            .map(|(tpl, _)| (n, tpl.title.clone(), tpl.funder.clone()))
                    })
                    .collect::<Vec<_>>())
            })
            .await
            .map_err(Fail::from_api)?;
        Ok(new_form(&ctx, &templates, None))
    }
    .await;
    layout::finish(lang, r)
}

fn new_form(ctx: &Ctx, templates: &[(String, String, String)], error: Option<&str>) -> Response {
    let l = ctx.lang;
    let title = t(l, "new-plan-title");
    layout::page(
        ctx,
        &title,
        &[],
        html! {
            h1 { (title) }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            section aria-labelledby="from-template" {
                h2 #from-template { (t(l, "from-template")) }
                form.stack method="post" action="/ui/plans" {
                    (csrf(ctx))
                    label for="plan-name" { (t(l, "plan-title")) }
                    input #plan-name type="text" name="name" required maxlength="2000";
                    fieldset {
                        legend { (t(l, "template")) }
                        @for (i, (name, title, funder)) in templates.iter().enumerate() {
                            div.choice {
                                input type="radio" name="template" id={ "tpl-" (name) } value=(name) required checked[i == 0];
                                label for={ "tpl-" (name) } { (title) @if !funder.is_empty() { " (" (funder) ")" } }
                            }
                        }
                    }
                    button.primary type="submit" { (t(l, "create-plan")) }
                }
            }
            section aria-labelledby="from-import" {
                h2 #from-import { (t(l, "from-import")) }
                form.stack method="post" action="/ui/plans/import" enctype="multipart/form-data" {
                    (csrf(ctx))
                    label for="madmp-file" { (t(l, "madmp-file")) }
                    input #madmp-file type="file" name="file" accept=".json,application/json" required;
                    button type="submit" { (t(l, "import-plan")) }
                }
            }
        },
    )
}

#[derive(Deserialize)]
pub struct CreateForm {
    csrf: Option<String>,
    name: String,
    template: String,
}

#[handler]
pub async fn create(
    state: Data<&ApiState>,
    req: &Request,
    Form(form): Form<CreateForm>,
) -> Response {
    let lang = session::header_lang(req);
    let r = async {
        let ctx = session::ctx(&state, req).await?;
        let sess = checked(&ctx, req, form.csrf.as_deref())?;
        let body = serde_json::json!({"name": form.name.trim(), "template": form.template});
        let id = state
            .services
            .create_dmp_queued(&sess.caller, body)
            .await
            .map_err(Fail::from)?;
        Ok(see_other(&format!("/ui/plans/{id}")))
    }
    .await;
    layout::finish(lang, r)
}

/// A maDMP JSON file uploaded: imported as a new plan of the caller's.
#[handler]
pub async fn import(state: Data<&ApiState>, req: &Request, mut form: Multipart) -> Response {
    let lang = session::header_lang(req);
    let r = async {
        let ctx = session::ctx(&state, req).await?;
        let mut token = None;
        let mut file = None;
        while let Ok(Some(field)) = form.next_field().await {
            match field.name() {
                Some("csrf") => token = field.text().await.ok(),
                Some("file") => file = field.bytes().await.ok(),
                _ => {}
            }
        }
        let sess = checked(&ctx, req, token.as_deref())?;
        let l = ctx.lang;
        let doc: Value = match file.as_deref().map(serde_json::from_slice) {
            Some(Ok(v)) => v,
            _ => {
                return Err(Fail::status(
                    poem::http::StatusCode::BAD_REQUEST,
                    &t(l, "import-not-json"),
                ));
            }
        };
        let caller = sess.caller.clone();
        let served = state.served(req);
        let out = state
            .run(move |s| s.import_madmp(&caller, doc, &served))
            .await
            .map_err(Fail::from_api)?;
        Ok(see_other(&format!("/ui/plans/{}", out.id)))
    }
    .await;
    layout::finish(lang, r)
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf: Option<String>,
}

#[handler]
pub async fn delete(
    state: Data<&ApiState>,
    req: &Request,
    poem::web::Path(id): poem::web::Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    let lang = session::header_lang(req);
    let r = async {
        let ctx = session::ctx(&state, req).await?;
        let sess = checked(&ctx, req, form.csrf.as_deref())?;
        let id = layout::plan_id(&id)?;
        let caller = sess.caller.clone();
        state
            .run(move |s| s.delete_dmp(&caller, id))
            .await
            .map_err(Fail::from_api)?;
        Ok(see_other("/"))
    }
    .await;
    layout::finish(lang, r)
}

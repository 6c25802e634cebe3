//! A plan's documents: generating them (a task), its status, the DOCX and PDF downloads
//! (signed links, as the API hands out), the PDF previewed in the page, maDMP export.

use maud::html;
use poem::http::{StatusCode, header};
use poem::web::{Data, Form, Path, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;

use super::i18n::{datetime, t};
use super::layout::{self, Fail, csrf, plan_id};
use super::session::{self, checked, see_other};
use crate::api::ApiState;
use crate::domain::{FileKind, TaskStatus};
use crate::service::files::DownloadAuth;
use crate::service::tasks::{TaskFilter, TaskView};

#[derive(Deserialize, Default)]
pub struct DocQuery {
    download: Option<String>,
}

#[handler]
pub async fn page(
    state: Data<&ApiState>,
    req: &Request,
    Path(id): Path<String>,
    Query(q): Query<DocQuery>,
) -> Response {
    let lang = session::header_lang(req);
    let r = async {
        let ctx = session::ctx(&state, req).await?;
        let l = ctx.lang;
        let sess = ctx.user()?;
        let id = plan_id(&id)?;
        let caller = sess.caller.clone();
        let (view, tasks, links) = state
            .run(move |s| {
                let view = s.get_dmp(&caller, id)?;
                let tasks = s.list_tasks(
                    &caller,
                    &TaskFilter {
                        dmp: Some(id),
                        status: None,
                        limit: 5,
                    },
                )?;
                let latest = s.latest_documents(&caller, id)?;
                let done = latest.as_ref();
                let link = |kind: FileKind, f: Option<&String>| {
                    f.map(|f| {
                        format!(
                            "/resources/{}/{f}?sig={}",
                            kind.extension(),
                            s.sign_download(kind, f)
                        )
                    })
                };
                let links = (
                    link(FileKind::Docx, done.and_then(|t| t.docx.as_ref())),
                    link(FileKind::Pdf, done.and_then(|t| t.pdf.as_ref())),
                );
                Ok((view, tasks, links))
            })
            .await
            .map_err(Fail::from_api)?;
        match q.download.as_deref() {
            Some("docx") if links.0.is_some() => {
                return Ok(see_other(links.0.as_deref().unwrap_or("/")));
            }
            Some("pdf") if links.1.is_some() => {
                return Ok(see_other(links.1.as_deref().unwrap_or("/")));
            }
            _ => {}
        }
        let doc = super::plans::doc_map(&view.doc);
        let name = doc
            .get("name")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned();
        let title = t(l, "documents-title");
        let latest: Option<&TaskView> = tasks.first();
        let busy = latest.is_some_and(|t| matches!(t.status, TaskStatus::Pending | TaskStatus::Running));
        let status = |s: TaskStatus| match s {
            TaskStatus::Pending => t(l, "task-pending"),
            TaskStatus::Running => t(l, "task-running"),
            TaskStatus::Done => t(l, "task-done"),
            TaskStatus::Error => t(l, "task-error"),
        };
        let pid = id.to_string();
        Ok(layout::page(
            &ctx,
            &format!("{title} · {name}"),
            &[],
            html! {
                p { a href={ "/ui/plans/" (pid) } { (t(l, "back-to-editor")) } }
                h1 { (title) ": " (name) }
                @if q.download.is_some() { p.note role="status" { (t(l, "no-documents-yet")) } }
                form method="post" action={ "/ui/plans/" (pid) "/documents" } {
                    (csrf(&ctx))
                    button.primary type="submit" { (t(l, "generate-documents")) }
                }
                @match latest {
                    None => p { (t(l, "no-documents-yet")) },
                    Some(task) => {
                        p #task-status role="status" data-refresh=[busy.then_some("2000")] {
                            (t(l, "task-status")) ": " strong { (status(task.status)) }
                            " · " (datetime(l, task.updated))
                            @if let Some(e) = &task.error { " · " (e) }
                        }
                        @if busy { p { a href={ "/ui/plans/" (pid) "/documents" } { (t(l, "refresh-status")) } } }
                        @for w in &task.warnings { p.note { (w) } }
                    }
                }
                @if links.0.is_some() || links.1.is_some() {
                    p.downloads {
                        @if let Some(d) = &links.0 { a.button href=(d) { (t(l, "download-docx")) } " " }
                        @if let Some(p) = &links.1 { a.button href=(p) { (t(l, "download-pdf")) } }
                    }
                    @if links.1.is_some() {
                        h2 { (t(l, "pdf-preview")) }
                        iframe.pdf src={ "/ui/plans/" (pid) "/pdf" } title=(t(l, "pdf-preview")) {}
                    }
                }
                p { a href={ "/ui/plans/" (pid) "/madmp" } download { (t(l, "export-madmp")) } }
            },
        ))
    }
    .await;
    layout::finish(lang, r)
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    csrf: Option<String>,
}

#[handler]
pub async fn generate(
    state: Data<&ApiState>,
    req: &Request,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Response {
    let lang = session::header_lang(req);
    let r = async {
        let ctx = session::ctx(&state, req).await?;
        let sess = checked(&ctx, req, form.csrf.as_deref())?;
        let id = plan_id(&id)?;
        state
            .services
            .create_task_queued(&sess.caller, id, None)
            .await
            .map_err(Fail::from)?;
        Ok(see_other(&format!("/ui/plans/{id}/documents")))
    }
    .await;
    layout::finish(lang, r)
}

/// The newest PDF of the plan, inline (for the preview frame).
#[handler]
pub async fn pdf(state: Data<&ApiState>, req: &Request, Path(id): Path<String>) -> Response {
    let lang = session::header_lang(req);
    let r = async {
        let ctx = session::ctx(&state, req).await?;
        let sess = ctx.user()?;
        let id = plan_id(&id)?;
        let caller = sess.caller.clone();
        let bytes = state
            .run(move |s| {
                // The plan's latest documents, as the page's download links.
                let latest = s.latest_documents(&caller, id)?;
                let Some(file) = latest.and_then(|t| t.pdf) else {
                    return Err(crate::service::ServiceError::NotFound(
                        "no PDF for this plan yet".into(),
                    ));
                };
                let dl = s.open_download(FileKind::Pdf, &file, DownloadAuth::Caller(&caller))?;
                dl.read()
            })
            .await
            .map_err(Fail::from_api)?;
        Ok(Response::builder()
            .content_type("application/pdf")
            .header(header::CONTENT_DISPOSITION, "inline")
            .body(bytes))
    }
    .await;
    layout::finish(lang, r)
}

/// The plan as a maDMP JSON file.
#[handler]
pub async fn madmp(state: Data<&ApiState>, req: &Request, Path(id): Path<String>) -> Response {
    let lang = session::header_lang(req);
    let r = async {
        let ctx = session::ctx(&state, req).await?;
        let sess = ctx.user()?;
        plan_id(&id)?;
        let caller = sess.caller.clone();
        let served = state.served(req);
        let out = state
            .run(move |s| s.export_madmp(&caller, &id, &served))
            .await
            .map_err(Fail::from_api)?;
        let body = serde_json::to_string_pretty(&out.doc)
            .map_err(|_| Fail::status(StatusCode::INTERNAL_SERVER_ERROR, "internal error"))?;
        Ok(Response::builder()
            .content_type("application/json; charset=utf-8")
            .header(
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"madmp-{}.json\"", out.id),
            )
            .body(body))
    }
    .await;
    layout::finish(lang, r)
}

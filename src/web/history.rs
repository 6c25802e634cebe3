//! A plan's history: its revisions, the difference between any two (word runs as
//! `<ins>`/`<del>`), and restoring one (as a new revision).

use maud::{Markup, html};
use poem::web::{Data, Form, Path, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;
use serde_json::Value;

use super::i18n::{Lang, datetime, t, ta};
use super::layout::{self, Fail, csrf, plan_id};
use super::session::{self, checked, see_other};
use crate::api::ApiState;
use crate::domain::Precondition;
use crate::domain::diff::{Change, Op, RunOp};
use crate::domain::precondition::etag;

fn value(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(Value::Object(o)) => o
            .iter()
            .map(|(k, v)| format!("{k}: {}", value(Some(v))))
            .collect::<Vec<_>>()
            .join("; "),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| value(Some(v)))
            .collect::<Vec<_>>()
            .join("; "),
        Some(other) => other.to_string(),
    }
}

/// The changes as a list: where, and what was deleted and inserted.
pub fn changes(l: Lang, changes: &[Change]) -> Markup {
    html! {
        @if changes.is_empty() {
            p { (t(l, "no-changes")) }
        } @else {
            ul.diff {
                @for c in changes {
                    li {
                        code.pointer { (c.pointer) }
                        " "
                        @match c.op {
                            Op::Added => span.op { (t(l, "op-added")) },
                            Op::Removed => span.op { (t(l, "op-removed")) },
                            Op::Changed => span.op { (t(l, "op-changed")) },
                        }
                        div.words {
                            @if let Some(words) = &c.words {
                                @for w in words {
                                    @match w.op {
                                        RunOp::Same => span { (w.text) },
                                        RunOp::Inserted => ins { (w.text) },
                                        RunOp::Deleted => del { (w.text) },
                                    }
                                }
                            } @else {
                                @if c.old.is_some() { del { (value(c.old.as_ref())) } " " }
                                @if c.new.is_some() { ins { (value(c.new.as_ref())) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize, Default)]
pub struct DiffQuery {
    from: Option<u64>,
    to: Option<u64>,
}

/// The diff between two revisions as an HTML fragment (for the conflict dialog).
#[handler]
pub async fn diff_fragment(
    state: Data<&ApiState>,
    req: &Request,
    Path(id): Path<String>,
    Query(q): Query<DiffQuery>,
) -> Response {
    let lang = session::header_lang(req);
    let r = async {
        let ctx = session::ctx(&state, req).await?;
        let caller = ctx.user()?.caller.clone();
        let id = plan_id(&id)?;
        let (from, to) = (q.from.unwrap_or(1), q.to.unwrap_or(1));
        let d = state
            .run(move |s| s.diff_revisions(&caller, id, from, to))
            .await
            .map_err(Fail::from_api)?;
        Ok(layout::html_response(changes(ctx.lang, &d.changes)))
    }
    .await;
    layout::finish(lang, r)
}

#[handler]
pub async fn page(
    state: Data<&ApiState>,
    req: &Request,
    Path(id): Path<String>,
    Query(q): Query<DiffQuery>,
) -> Response {
    let lang = session::header_lang(req);
    let r = async {
        let ctx = session::ctx(&state, req).await?;
        let l = ctx.lang;
        let caller = ctx.user()?.caller.clone();
        let id = plan_id(&id)?;
        let (revs, diff, current) = state
            .run(move |s| {
                let (revs, _) = s.list_revisions(&caller, id, 0, 200)?;
                let current = s.get_dmp(&caller, id)?.version;
                let newest = revs.first().map_or(1, |r| r.number);
                let to = q.to.unwrap_or(newest);
                let from = q.from.unwrap_or(to.saturating_sub(1).max(1));
                let diff = s.diff_revisions(&caller, id, from, to)?;
                Ok((revs, diff, current))
            })
            .await
            .map_err(Fail::from_api)?;
        let title = t(l, "history-title");
        let pid = id.to_string();
        Ok(layout::page(
            &ctx,
            &title,
            &[],
            html! {
                p { a href={ "/ui/plans/" (pid) } { (t(l, "back-to-editor")) } }
                h1 { (title) }
                form.search method="get" action={ "/ui/plans/" (pid) "/history" } {
                    label for="from" { (t(l, "diff-from")) }
                    select #from name="from" {
                        @for r in &revs { option value=(r.number) selected[r.number == diff.from] { (r.number) } }
                    }
                    label for="to" { (t(l, "diff-to")) }
                    select #to name="to" {
                        @for r in &revs { option value=(r.number) selected[r.number == diff.to] { (r.number) } }
                    }
                    button type="submit" { (t(l, "compare")) }
                }
                h2 { (ta(l, "diff-heading", &[("from", diff.from.into()), ("to", diff.to.into())])) }
                (changes(l, &diff.changes))
                h2 { (t(l, "revisions")) }
                table {
                    caption { (t(l, "revisions")) }
                    thead { tr {
                        th scope="col" { (t(l, "revision")) }
                        th scope="col" { (t(l, "col-updated")) }
                        th scope="col" { (t(l, "author")) }
                        th scope="col" { (t(l, "changed-parts")) }
                        th scope="col" { (t(l, "actions")) }
                    } }
                    tbody {
                        @for r in &revs {
                            tr {
                                td { (r.number) @if let Some(f) = r.restored_from { " (" (ta(l, "restored-from", &[("n", f.into())])) ")" } }
                                td { (datetime(l, r.time)) }
                                td { (r.author) }
                                td { (r.changed.join(", ")) }
                                td {
                                    @if r.number != current {
                                        form.inline method="post" action={ "/ui/plans/" (pid) "/restore" } {
                                            (csrf(&ctx))
                                            input type="hidden" name="n" value=(r.number);
                                            input type="hidden" name="current" value=(current);
                                            button type="submit" { (ta(l, "restore-n", &[("n", r.number.into())])) }
                                        }
                                    } @else { (t(l, "current")) }
                                }
                            }
                        }
                    }
                }
            },
        ))
    }
    .await;
    layout::finish(lang, r)
}

#[derive(Deserialize)]
pub struct RestoreForm {
    csrf: Option<String>,
    n: u64,
    current: u64,
}

#[handler]
pub async fn restore(
    state: Data<&ApiState>,
    req: &Request,
    Path(id): Path<String>,
    Form(form): Form<RestoreForm>,
) -> Response {
    let lang = session::header_lang(req);
    let r = async {
        let ctx = session::ctx(&state, req).await?;
        let caller = checked(&ctx, req, form.csrf.as_deref())?.caller.clone();
        let id = plan_id(&id)?;
        let pre = Precondition::from_if_match(Some(etag(id, form.current)));
        let n = form.n;
        state
            .run(move |s| s.restore_revision(&caller, id, n, &pre))
            .await
            .map_err(Fail::from_api)?;
        Ok(see_other(&format!("/ui/plans/{id}?saved=1")))
    }
    .await;
    layout::finish(lang, r)
}

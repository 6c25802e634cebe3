//! Comments on a plan: threads on a question, a dataset or the plan, replies, resolve and
//! reopen, delete; and the plan's activity. Commenters and up write, every member reads
//! (the services decide).

use maud::{Markup, html};
use poem::web::{Data, Form, Path, Query};
use poem::{Request, Response, handler};
use serde::Deserialize;
use serde_json::Value;

use super::i18n::{datetime, t, ta};
use super::layout::{self, Fail, csrf, plan_id};
use super::session::{self, Ctx, checked, see_other};
use crate::api::ApiState;
use crate::domain::{DmpId, Role};
use crate::service::comments::{NewComment, Thread, ThreadFilter};
use crate::store::comments::Anchor;

#[derive(Deserialize, Default)]
pub struct PageQuery {
    /// The anchor a new comment is about (`question:<id>`, `dataset:<id>`, `plan`).
    on: Option<String>,
}

struct PageData {
    threads: Vec<Thread>,
    questions: Vec<(String, String)>,
    datasets: Vec<(String, String)>,
    activity: Vec<crate::service::activity::ActivityItem>,
    role: Role,
    title: String,
}

fn anchor_label(d: &PageData, a: &Anchor) -> String {
    match a {
        Anchor::Plan => String::new(),
        Anchor::Question(q) => d
            .questions
            .iter()
            .find(|(id, _)| id == q)
            .map_or_else(|| q.clone(), |(_, text)| text.clone()),
        Anchor::Dataset(ds) => d
            .datasets
            .iter()
            .find(|(id, _)| id == ds)
            .map_or_else(|| ds.clone(), |(_, title)| title.clone()),
    }
}

fn anchor_value(a: &Anchor) -> String {
    match a {
        Anchor::Plan => "plan".into(),
        Anchor::Question(q) => format!("question:{q}"),
        Anchor::Dataset(d) => format!("dataset:{d}"),
    }
}

fn thread(ctx: &Ctx, pid: &str, d: &PageData, th: &Thread) -> Markup {
    let l = ctx.lang;
    let c = &th.comment;
    let may_write = d.role >= Role::Commenter || ctx.sess.as_ref().is_some_and(|s| s.caller.admin);
    let heading = match &c.anchor {
        Anchor::Plan => t(l, "on-the-plan"),
        Anchor::Question(_) => ta(
            l,
            "on-question",
            &[("what", anchor_label(d, &c.anchor).into())],
        ),
        Anchor::Dataset(_) => ta(
            l,
            "on-dataset",
            &[("what", anchor_label(d, &c.anchor).into())],
        ),
    };
    html! {
        article.thread id={ "c-" (c.id) } aria-labelledby={ "ch-" (c.id) } {
            h3 id={ "ch-" (c.id) } { (heading) }
            @if c.resolved { p.note { (t(l, "resolved")) @if let Some(by) = &c.resolved_by { " · " (by) } } }
            @for one in std::iter::once(c).chain(th.replies.iter()) {
                div.comment {
                    p.meta { strong { (one.author) } " · " (datetime(l, one.created)) " · " (ta(l, "revision-n", &[("n", one.revision.into())])) }
                    (super::editor::markdown(&one.text))
                }
            }
            @if may_write {
                form.stack method="post" action={ "/ui/plans/" (pid) "/comments" } {
                    (csrf(ctx))
                    input type="hidden" name="action" value="reply";
                    input type="hidden" name="comment" value=(c.id);
                    label for={ "reply-" (c.id) } { (t(l, "reply")) }
                    textarea id={ "reply-" (c.id) } name="text" rows="2" required {}
                    button type="submit" { (t(l, "reply")) }
                }
                form.inline method="post" action={ "/ui/plans/" (pid) "/comments" } {
                    (csrf(ctx))
                    input type="hidden" name="comment" value=(c.id);
                    @if c.resolved {
                        input type="hidden" name="action" value="reopen";
                        button type="submit" { (t(l, "reopen")) }
                    } @else {
                        input type="hidden" name="action" value="resolve";
                        button type="submit" { (t(l, "resolve")) }
                    }
                }
            }
        }
    }
}

fn activity_kind(l: super::i18n::Lang, kind: &str) -> String {
    let id = format!("activity-{kind}");
    let text = t(l, &id);
    if text == id { kind.to_owned() } else { text }
}

fn render(ctx: &Ctx, id: DmpId, d: &PageData, on: Option<&str>, error: Option<&str>) -> Response {
    let l = ctx.lang;
    let pid = id.to_string();
    let title = t(l, "comments-title");
    let may_write = d.role >= Role::Commenter || ctx.sess.as_ref().is_some_and(|s| s.caller.admin);
    let open: Vec<&Thread> = d.threads.iter().filter(|t| !t.comment.resolved).collect();
    let resolved: Vec<&Thread> = d.threads.iter().filter(|t| t.comment.resolved).collect();
    layout::page(
        ctx,
        &format!("{title} · {}", d.title),
        &[],
        html! {
            p { a href={ "/ui/plans/" (pid) } { (t(l, "back-to-editor")) } }
            h1 { (title) ": " (d.title) }
            @if let Some(e) = error { p.error role="alert" { (e) } }
            @if may_write {
                h2 { (t(l, "new-comment")) }
                form.stack method="post" action={ "/ui/plans/" (pid) "/comments" } {
                    (csrf(ctx))
                    input type="hidden" name="action" value="add";
                    label for="comment-on" { (t(l, "comment-on")) }
                    select #comment-on name="on" {
                        option value="plan" { (t(l, "on-the-plan")) }
                        @for (q, text) in &d.questions {
                            @let v = format!("question:{q}");
                            option value=(v) selected[on == Some(v.as_str())] { (text) }
                        }
                        @for (ds, title) in &d.datasets {
                            @let v = format!("dataset:{ds}");
                            option value=(v) selected[on == Some(v.as_str())] { (t(l, "dataset")) ": " (title) }
                        }
                    }
                    label for="comment-text" { (t(l, "comment")) }
                    textarea #comment-text name="text" rows="3" required {}
                    button.primary type="submit" { (t(l, "add-comment")) }
                }
            }
            h2 { (t(l, "open-threads")) }
            @if open.is_empty() { p { (t(l, "no-comments")) } }
            @for th in &open { (thread(ctx, &pid, d, th)) }
            @if !resolved.is_empty() {
                h2 { (t(l, "resolved-threads")) }
                @for th in &resolved { (thread(ctx, &pid, d, th)) }
            }
            h2 { (t(l, "activity")) }
            ul.activity {
                @for a in &d.activity {
                    li { (datetime(l, a.time)) " · " strong { (a.actor) } " · " (activity_kind(l, &a.kind)) }
                }
            }
        },
    )
}

async fn load(state: &ApiState, ctx: &Ctx, id: DmpId) -> Result<PageData, Fail> {
    let caller = ctx.user()?.caller.clone();
    state
        .run(move |s| {
            let view = s.get_dmp(&caller, id)?;
            let doc = super::plans::doc_map(&view.doc);
            let threads = s.list_comments(&caller, id, &ThreadFilter::default())?;
            let mut questions = Vec::new();
            if let Ok((tpl, _)) = s.templates().get(&super::plans::template_name(&doc)) {
                tpl.each_question(&mut |q| {
                    questions.push((q.id.clone(), q.question.clone()));
                });
            }
            let datasets = doc
                .get("datasets")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|d| {
                            let id = d.get("id")?.as_str()?.to_owned();
                            let title = d
                                .get("title")
                                .and_then(Value::as_str)
                                .unwrap_or(&id)
                                .to_owned();
                            Some((id, title))
                        })
                        .collect()
                })
                .unwrap_or_default();
            let activity = s.dmp_activity(&caller, id, 0, 50)?.items;
            Ok(PageData {
                threads,
                questions,
                datasets,
                activity,
                role: view.role.unwrap_or(Role::Owner),
                title: doc
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
            })
        })
        .await
        .map_err(Fail::from_api)
}

#[handler]
pub async fn page(
    state: Data<&ApiState>,
    req: &Request,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    let lang = session::header_lang(req);
    let r = async {
        let ctx = session::ctx(&state, req).await?;
        let id = plan_id(&id)?;
        let d = load(&state, &ctx, id).await?;
        Ok(render(&ctx, id, &d, q.on.as_deref(), None))
    }
    .await;
    layout::finish(lang, r)
}

#[derive(Deserialize)]
pub struct CommentForm {
    csrf: Option<String>,
    action: String,
    on: Option<String>,
    text: Option<String>,
    comment: Option<String>,
}

#[handler]
pub async fn act(
    state: Data<&ApiState>,
    req: &Request,
    Path(id): Path<String>,
    Form(f): Form<CommentForm>,
) -> Response {
    let lang = session::header_lang(req);
    let r = async {
        let ctx = session::ctx(&state, req).await?;
        let caller = checked(&ctx, req, f.csrf.as_deref())?.caller.clone();
        let id = plan_id(&id)?;
        let (action, on, text, comment) = (
            f.action.clone(),
            f.on.clone().unwrap_or_default(),
            f.text.clone().unwrap_or_default(),
            f.comment.clone().unwrap_or_default(),
        );
        let result = state
            .run(move |s| match action.as_str() {
                "add" => {
                    let (question, dataset) = match on.split_once(':') {
                        Some(("question", q)) => (Some(q.to_owned()), None),
                        Some(("dataset", d)) => (None, Some(d.to_owned())),
                        _ => (None, None),
                    };
                    s.add_comment(
                        &caller,
                        id,
                        &NewComment {
                            text,
                            question,
                            dataset,
                        },
                    )
                    .map(|c| c.id)
                }
                "reply" => s
                    .reply_to_comment(&caller, id, &comment, &text)
                    .map(|c| c.id),
                "resolve" => s
                    .resolve_comment(&caller, id, &comment, true)
                    .map(|t| t.comment.id),
                "reopen" => s
                    .resolve_comment(&caller, id, &comment, false)
                    .map(|t| t.comment.id),
                _ => Err(crate::service::ServiceError::Invalid(
                    "unknown action".into(),
                )),
            })
            .await;
        match result {
            Ok(cid) => Ok(see_other(&format!("/ui/plans/{id}/comments#c-{cid}"))),
            Err(e) => {
                let fail = Fail::from_api(e);
                let d = load(&state, &ctx, id).await?;
                let mut resp = render(&ctx, id, &d, f.on.as_deref(), Some(&fail.message));
                resp.set_status(fail.status);
                Ok(resp)
            }
        }
    }
    .await;
    layout::finish(lang, r)
}

/// How many open threads each anchor has (for the editor's links).
pub fn open_counts(threads: &[Thread]) -> std::collections::HashMap<String, usize> {
    let mut out = std::collections::HashMap::new();
    for th in threads.iter().filter(|t| !t.comment.resolved) {
        *out.entry(anchor_value(&th.comment.anchor)).or_insert(0) += 1;
    }
    out
}

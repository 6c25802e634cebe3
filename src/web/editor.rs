//! The editor of one plan: the structured parts (project and funding, contributors,
//! datasets, costs), then the template's sections and questions with their official
//! wording and guidance, an answer box per question and the flat fields the template reads
//! (those its visibility conditions hide are hidden). One form: saved by a plain POST, or by
//! the autosave script with `If-Match`; a refusal keeps what was typed.

use std::collections::{BTreeSet, HashMap, HashSet};

use maud::{Markup, html};
use poem::http::{StatusCode, header};
use poem::web::{Data, Form, Path};
use poem::{Request, Response, handler};
use serde_json::{Map, Value, json};

use super::i18n::{Lang, datetime, t, ta};
use super::layout::{self, Fail, csrf};
use super::plans::{doc_map, role_name, template_name};
use super::session::{self, Ctx, checked, see_other};
use crate::api::ApiState;
use crate::domain::precondition::etag;
use crate::domain::{DmpId, Precondition, Role};
use crate::render::template::{Condition, Question, Section, Template, value_text};

/// Keys the editor writes itself, never as flat fields.
const NOT_FLAT: [&str; 5] = ["name", "answers", "template", "language", "dissemination"];

const ROLES: [&str; 8] = [
    "contact",
    "dmp_author",
    "data_steward",
    "principal_investigator",
    "project_coordinator",
    "data_manager",
    "researcher",
    "other",
];

const GRANT_FIELDS: [&str; 9] = [
    "title",
    "acronym",
    "grant_number",
    "funder.name",
    "programme",
    "call",
    "start",
    "end",
    "coordinator",
];

const CONTRIBUTOR_FIELDS: [&str; 4] = ["name", "email", "orcid", "affiliation"];

const DATASET_FIELDS: [&str; 15] = [
    "title",
    "description",
    "type",
    "expected_size",
    "personal_data",
    "sensitive_data",
    "reused_from",
    "repository.name",
    "repository.url",
    "pid_type",
    "license",
    "access",
    "embargo_date",
    "metadata_standard",
    "preservation",
];

const COST_FIELDS: [&str; 5] = ["title", "description", "amount", "currency", "covered_by"];

/// The choices of a field that has a fixed set, "" (not answered) first.
fn choices(key: &str) -> Option<&'static [&'static str]> {
    match key {
        "personal_data" | "sensitive_data" => Some(&["", "yes", "no", "unknown"]),
        "access" => Some(&["", "open", "restricted", "closed"]),
        "pid_type" => Some(&["", "doi", "handle", "ark", "purl", "urn", "other", "none"]),
        _ => None,
    }
}

fn input_type(key: &str) -> &'static str {
    match key {
        "start" | "end" | "embargo_date" => "date",
        "email" => "email",
        "amount" => "number",
        "repository.url" => "url",
        _ => "text",
    }
}

/// The message of a field's label: `field-<key>` (dots and underscores as dashes).
fn label_id(key: &str) -> String {
    format!("field-{}", key.replace(['.', '_'], "-"))
}

fn get_path<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

fn text_at(v: &Value, path: &str) -> String {
    text_of(get_path(v, path))
}

/// A value as the text a form field shows.
fn text_of(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| value_text(Some(x)))
            .collect::<Vec<_>>()
            .join(", "),
        Some(other) => value_text(Some(other)),
    }
}

/// Sets (or, for "", removes) `path` inside object `v`; numbers for `amount`.
fn set_path(v: &mut Value, path: &str, text: &str) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let Some(last) = parts.pop() else { return };
    let mut cur = v;
    for p in parts {
        if !cur.get(p).is_some_and(Value::is_object) {
            if text.trim().is_empty() {
                return;
            }
            if let Some(o) = cur.as_object_mut() {
                o.insert(p.to_owned(), json!({}));
            }
        }
        match cur.get_mut(p) {
            Some(next) => cur = next,
            None => return,
        }
    }
    let Some(obj) = cur.as_object_mut() else {
        return;
    };
    let text = text.trim();
    if text.is_empty() {
        obj.remove(last);
    } else if last == "amount" {
        match text.replace(',', ".").parse::<f64>() {
            Ok(n) => obj.insert(last.to_owned(), json!(n)),
            Err(_) => obj.insert(last.to_owned(), json!(text)),
        };
    } else {
        obj.insert(last.to_owned(), json!(text));
    }
}

/// The choices of each field the template's conditions compare only with yes/no-like
/// values (a choice list for it), worked out once per page.
fn yes_no_fields(tpl: &Template) -> HashMap<String, Vec<String>> {
    let mut conditions: Vec<(&str, &Condition)> = Vec::new();
    for conds in tpl.visibility.values() {
        conditions.extend(conds.iter().map(|(f, c)| (f.as_str(), c)));
    }
    tpl.each_question(&mut |q| {
        for p in q.answers.iter().filter(|p| p.each.is_none()) {
            conditions.extend(p.when.iter().map(|(f, c)| (f.as_str(), c)));
        }
    });
    let mut seen: HashMap<&str, BTreeSet<String>> = HashMap::new();
    for (field, c) in conditions {
        let slot = seen.entry(field).or_default();
        match c {
            Condition::One(s) => {
                slot.insert(s.trim().to_lowercase());
            }
            Condition::AnyOf(l) => slot.extend(l.iter().map(|s| s.trim().to_lowercase())),
        }
    }
    let mut out = HashMap::new();
    for (field, mut values) in seen {
        values.remove("");
        if values.is_empty()
            || !values
                .iter()
                .all(|v| ["yes", "no", "not sure", "unknown"].contains(&v.as_str()))
        {
            continue;
        }
        let mut opts = vec![String::new(), "yes".into(), "no".into()];
        for extra in ["not sure", "unknown"] {
            if values.contains(extra) {
                opts.push(extra.into());
            }
        }
        out.insert(field.to_owned(), opts);
    }
    out
}

fn option_label(l: Lang, v: &str) -> String {
    match v {
        "" => t(l, "opt-none"),
        "yes" => t(l, "opt-yes"),
        "no" => t(l, "opt-no"),
        "not sure" => t(l, "opt-not-sure"),
        "unknown" => t(l, "opt-unknown"),
        "open" => t(l, "opt-open"),
        "restricted" => t(l, "opt-restricted"),
        "closed" => t(l, "opt-closed"),
        other => other.to_owned(),
    }
}

/// A field's label: its message, or the key made readable.
fn field_label(l: Lang, key: &str) -> String {
    let id = label_id(key);
    let text = t(l, &id);
    if text == id {
        let plain = key.replace(['_', '.'], " ");
        let mut c = plain.chars();
        c.next()
            .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
            .unwrap_or_default()
    } else {
        text
    }
}

fn select_or_input(
    l: Lang,
    id: &str,
    name: &str,
    value: &str,
    options: Option<&[String]>,
    ty: &str,
    disabled: bool,
) -> Markup {
    html! {
        @if let Some(opts) = options {
            select id=(id) name=(name) disabled[disabled] {
                @for o in opts {
                    option value=(o) selected[value.trim().eq_ignore_ascii_case(o)] { (option_label(l, o)) }
                }
                @if !value.is_empty() && !opts.iter().any(|o| value.trim().eq_ignore_ascii_case(o)) {
                    option value=(value) selected { (value) }
                }
            }
        } @else {
            input id=(id) type=(ty) name=(name) value=(value) disabled[disabled] step=[(ty == "number").then_some("any")];
        }
    }
}

/// What the editor page shows besides the plan.
#[derive(Default)]
pub struct Notice {
    pub saved: bool,
    pub error: Option<String>,
    /// A conflict: the parts the other person changed, and the revision they made.
    pub conflict: Option<(Vec<String>, u64, u64)>,
}

struct Plan {
    id: DmpId,
    role: Role,
    owner: String,
    revision: u64,
    updated: i64,
    /// The document; only its `name` and `template` while `raw` holds the rest unread.
    doc: Map<String, Value>,
    raw: Option<Box<serde_json::value::RawValue>>,
    template: std::sync::Arc<Template>,
    /// Open comment threads by anchor (`question:<id>`).
    comments: std::collections::HashMap<String, usize>,
}

impl Plan {
    /// The whole document (read now if it was left unread).
    fn full_doc(&self) -> std::borrow::Cow<'_, Map<String, Value>> {
        match &self.raw {
            Some(raw) => std::borrow::Cow::Owned(doc_map(raw)),
            None => std::borrow::Cow::Borrowed(&self.doc),
        }
    }
}

/// What a page shows of a plan before its form: read without building the document.
#[derive(serde::Deserialize, Default)]
struct Heading {
    #[serde(default)]
    name: Option<Value>,
    #[serde(default)]
    template: Option<Value>,
}

async fn load(state: &ApiState, ctx: &Ctx, id: &str) -> Result<Plan, Fail> {
    let sess = ctx.user()?;
    let id = super::layout::plan_id(id)?;
    let caller = sess.caller.clone();
    state
        .run(move |s| read_plan(s, &caller, id, true))
        .await
        .map_err(Fail::from_api)
}

/// The plan with its template and open comment threads, as the caller may read it; its
/// whole document read when `full`, else only its heading (the rest when needed).
fn read_plan(
    s: &crate::service::Services,
    caller: &crate::service::Caller,
    id: DmpId,
    full: bool,
) -> crate::service::Result<Plan> {
    let v = s.get_dmp(caller, id)?;
    let (doc, raw) = if full {
        (doc_map(&v.doc), None)
    } else {
        let h: Heading = serde_json::from_str(v.doc.get()).unwrap_or_default();
        let mut doc = Map::new();
        doc.extend(h.name.map(|n| ("name".to_owned(), n)));
        doc.extend(h.template.map(|t| ("template".to_owned(), t)));
        (doc, Some(v.doc))
    };
    let (template, _) = s
        .templates()
        .get(&template_name(&doc))
        .or_else(|_| s.templates().get(crate::render::template::DEFAULT_TEMPLATE))
        .map_err(crate::service::ServiceError::Template)?;
    let threads = s.list_comments(
        caller,
        id,
        &crate::service::comments::ThreadFilter::default(),
    )?;
    Ok(Plan {
        comments: super::comments::open_counts(&threads),
        id,
        role: v.role.unwrap_or(Role::Owner),
        owner: v.owner_name,
        revision: v.version,
        updated: v.updated,
        doc,
        raw,
        template,
    })
}

#[derive(serde::Deserialize, Default)]
pub struct PageQuery {
    saved: Option<String>,
    /// Lists to show one new, blank row of (`contributors,datasets`).
    blank: Option<String>,
}

#[handler]
pub async fn page(
    state: Data<&ApiState>,
    req: &Request,
    Path(id): Path<String>,
    poem::web::Query(q): poem::web::Query<PageQuery>,
) -> Response {
    let lang = session::header_lang(req);
    let r = async {
        // The session and the plan in one read.
        let parsed = DmpId::parse(&id).ok();
        // Blank rows are added to the document itself: it is read whole then.
        let full = q.blank.is_some();
        let (ctx, read) = session::ctx_then(&state, req, move |s, caller| {
            parsed.map(|id| read_plan(s, caller, id, full)).transpose()
        })
        .await?;
        ctx.user()?;
        let mut plan = read.flatten().ok_or_else(Fail::not_found)?;
        let mut stored = true;
        for list in q.blank.as_deref().unwrap_or("").split(',') {
            let (key, row) = match list {
                "contributors" => ("contributors", json!({"name": ""})),
                "datasets" | "costs" => (list, json!({"title": ""})),
                _ => continue,
            };
            let mut rows = items(&plan.doc, key);
            rows.push(row);
            plan.doc.insert(key.into(), Value::Array(rows));
            stored = false;
        }
        let notice = Notice {
            saved: q.saved.is_some(),
            ..Notice::default()
        };
        Ok(render(&ctx, &plan, &notice, stored))
    }
    .await;
    layout::finish(lang, r)
}

/// The plan's form (its fields, lists and the template's questions) as HTML, with the
/// questions answered and asked.
struct PlanForm {
    html: Markup,
    answered: usize,
    total: usize,
}

fn plan_form(l: Lang, plan: &Plan, id: &str) -> PlanForm {
    let doc = &*plan.full_doc();
    let tpl = &plan.template;
    let mut answered_ids: HashSet<&str> = HashSet::new();
    let mut total = 0;
    tpl.each_question(&mut |q| {
        total += 1;
        if tpl.is_answered(q, doc) {
            answered_ids.insert(q.id.as_str());
        }
    });
    let yes_no = yes_no_fields(tpl);
    let parts = PageParts {
        pid: id,
        comments: &plan.comments,
        answered: &answered_ids,
        yes_no: &yes_no,
    };
    let mut shown_fields: BTreeSet<String> = BTreeSet::new();
    let html = html! {
        section aria-labelledby="h-details" {
            h2 #h-details { (t(l, "plan-details")) }
            div.field {
                label for="f-name" { (t(l, "plan-title")) }
                input #f-name type="text" name="name" value=(text_of(doc.get("name")));
            }
        }
        (grant_editor(l, doc))
        (list_editor(l, doc, "contributors"))
        (list_editor_datasets(l, tpl, doc))
        (list_editor(l, doc, "costs"))
        @for s in &tpl.sections {
            (section(l, tpl, doc, s, 2, &mut shown_fields, &parts))
        }
    };
    PlanForm {
        html,
        answered: answered_ids.len(),
        total,
    }
}

/// Rendered forms of plans as stored, by everything a form is made of: the plan's version,
/// the template (the same `Arc` while its file is unchanged), the language and the open
/// comment threads. A plan opened again (by a colleague, or coming back from its history,
/// sharing or comments pages) is then not rendered again until one of those changes.
mod forms {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock, PoisonError};

    use super::super::i18n::Lang;
    use crate::render::template::Template;

    /// A plan's version and the time it was written: a version number alone could name
    /// other content after a backup is restored and the plan edited again.
    #[derive(PartialEq, Eq, Hash)]
    pub struct Key {
        pub plan: [u8; 12],
        pub version: u64,
        pub updated: i64,
        pub lang: Lang,
    }

    struct Entry {
        template: Arc<Template>,
        comments: Vec<(String, usize)>,
        html: Arc<str>,
        answered: usize,
        total: usize,
    }

    /// Past this many bytes of HTML kept, the cache starts over.
    const MAX_BYTES: usize = 32 << 20;

    #[derive(Default)]
    struct Forms {
        entries: HashMap<Key, Entry>,
        bytes: usize,
    }

    fn forms() -> &'static Mutex<Forms> {
        static FORMS: OnceLock<Mutex<Forms>> = OnceLock::new();
        FORMS.get_or_init(Default::default)
    }

    pub fn sorted(comments: &HashMap<String, usize>) -> Vec<(String, usize)> {
        let mut v: Vec<(String, usize)> = comments.iter().map(|(k, n)| (k.clone(), *n)).collect();
        v.sort();
        v
    }

    /// A form's HTML, shared (rendered into the page without a copy of its own).
    pub struct Html(pub Arc<str>);

    impl maud::Render for Html {
        fn render_to(&self, buffer: &mut String) {
            buffer.push_str(&self.0);
        }
    }

    pub fn get(
        key: &Key,
        template: &Arc<Template>,
        comments: &[(String, usize)],
    ) -> Option<(Html, usize, usize)> {
        let forms = forms().lock().unwrap_or_else(PoisonError::into_inner);
        let e = forms.entries.get(key)?;
        (Arc::ptr_eq(&e.template, template) && e.comments == comments)
            .then(|| (Html(e.html.clone()), e.answered, e.total))
    }

    pub fn put(
        key: Key,
        template: &Arc<Template>,
        comments: Vec<(String, usize)>,
        html: Arc<str>,
        (answered, total): (usize, usize),
    ) {
        let mut forms = forms().lock().unwrap_or_else(PoisonError::into_inner);
        if forms.bytes + html.len() > MAX_BYTES {
            forms.entries.clear();
            forms.bytes = 0;
        }
        forms.bytes += html.len();
        let entry = Entry {
            template: template.clone(),
            comments,
            html,
            answered,
            total,
        };
        if let Some(old) = forms.entries.insert(key, entry) {
            forms.bytes -= old.html.len();
        }
    }
}

/// The editor page. `stored` says the plan is as stored at its revision (not a form sent
/// back with what was typed), so its form may come from, and go to, the `forms` cache.
fn render(ctx: &Ctx, plan: &Plan, notice: &Notice, stored: bool) -> Response {
    let l = ctx.lang;
    let doc = &plan.doc;
    let tpl = &plan.template;
    let id = plan.id.to_string();
    let ro = plan.role < Role::Editor;
    let title = doc
        .get("name")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map_or_else(|| t(l, "untitled"), str::to_owned);
    let key = forms::Key {
        plan: plan.id.bytes(),
        version: plan.revision,
        updated: plan.updated,
        lang: l,
    };
    let comments = forms::sorted(&plan.comments);
    let cached = if stored {
        forms::get(&key, tpl, &comments)
    } else {
        None
    };
    let (fields, answered, total) = match cached {
        Some(hit) => hit,
        None => {
            let f = plan_form(l, plan, &id);
            let html: std::sync::Arc<str> = std::sync::Arc::from(f.html.0);
            if stored {
                forms::put(key, tpl, comments, html.clone(), (f.answered, f.total));
            }
            (forms::Html(html), f.answered, f.total)
        }
    };
    let body = html! {
        h1 { (title) }
        p.meta {
            (tpl.title) " · " (role_name(l, plan.role))
            @if plan.role != Role::Owner { " · " (ta(l, "owned-by", &[("owner", plan.owner.clone().into())])) }
            " · " (ta(l, "revision-n", &[("n", plan.revision.into())]))
            " · " (datetime(l, plan.updated))
            " · " (ta(l, "answered-of", &[("answered", answered.into()), ("total", total.into())]))
        }
        div.toolbar role="toolbar" aria-label=(t(l, "plan-actions")) {
            @if !ro { button.primary type="submit" form="plan-form" { (t(l, "save")) } }
            button type="submit" form="gen-form" { (t(l, "generate-documents")) }
            button type="submit" form="dl-docx" { (t(l, "download-docx")) }
            button type="submit" form="dl-pdf" { (t(l, "download-pdf")) }
            button type="submit" form="share-form" { (t(l, "share")) }
            button type="submit" form="history-form" { (t(l, "history")) }
            button type="submit" form="comments-form" { (t(l, "comments")) }
            a href={ "/ui/plans/" (id) "/madmp" } download { (t(l, "export-madmp")) }
            span #save-status role="status" aria-live="polite" {
                @if notice.saved { (t(l, "saved")) }
            }
        }
        @if let Some(e) = &notice.error { p.error role="alert" { (e) } }
        @if let Some((changed, from, to)) = &notice.conflict {
            div.conflict role="alert" {
                h2 { (t(l, "conflict-title")) }
                p { (t(l, "conflict-text")) }
                ul { @for c in changed { li { code { (c) } } } }
                p { a href={ "/ui/plans/" (id) "/history?from=" (from) "&to=" (to) } { (t(l, "conflict-see-diff")) } }
                p { (t(l, "conflict-keep-hint")) " " a href={ "/ui/plans/" (id) } { (t(l, "reload")) } }
            }
        }
        @if ro { p.note { (t(l, "read-only")) } }
        form #plan-form.editor method="post" action={ "/ui/plans/" (id) }
            data-plan=(id) data-csrf=(ctx.sess.as_ref().map(|s| s.csrf.as_str()).unwrap_or(""))
            data-msg-saving=(t(l, "saving")) data-msg-saved=(t(l, "saved")) data-msg-failed=(t(l, "save-failed"))
            data-msg-preview=(t(l, "preview")) {
            (csrf(ctx))
            input #revision type="hidden" name="revision" value=(plan.revision);
            fieldset.plain disabled[ro] {
                legend.visually-hidden { (t(l, "plan-form")) }
                (fields)
            }
            @if !ro { p { button.primary type="submit" { (t(l, "save")) } } }
        }
        form #gen-form method="post" action={ "/ui/plans/" (id) "/documents" } { (csrf(ctx)) }
        form #dl-docx method="get" action={ "/ui/plans/" (id) "/documents" } { input type="hidden" name="download" value="docx"; }
        form #dl-pdf method="get" action={ "/ui/plans/" (id) "/documents" } { input type="hidden" name="download" value="pdf"; }
        form #share-form method="get" action={ "/ui/plans/" (id) "/share" } {}
        form #history-form method="get" action={ "/ui/plans/" (id) "/history" } {}
        form #comments-form method="get" action={ "/ui/plans/" (id) "/comments" } {}
        dialog #conflict-dialog aria-labelledby="conflict-h" {
            h2 #conflict-h { (t(l, "conflict-title")) }
            p { (t(l, "conflict-text")) }
            div #conflict-diff {}
            p.actions {
                button type="button" #conflict-reload { (t(l, "reload")) }
                button.primary type="button" #conflict-keep { (t(l, "keep-mine")) }
            }
        }
    };
    layout::page(ctx, &title, &["editor.js"], body)
}

fn grant_editor(l: Lang, doc: &Map<String, Value>) -> Markup {
    let grant = doc.get("grant").cloned().unwrap_or(json!({}));
    html! {
        section aria-labelledby="h-grant" {
            h2 #h-grant { (t(l, "project-funding")) }
            div.grid {
                @for f in GRANT_FIELDS {
                    div.field {
                        label for={ "grant-" (f) } { (field_label(l, &format!("grant.{f}"))) }
                        input id={ "grant-" (f) } type=(input_type(f)) name={ "grant." (f) } value=(text_at(&grant, f));
                    }
                }
            }
        }
    }
}

fn items(doc: &Map<String, Value>, key: &str) -> Vec<Value> {
    doc.get(key)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn row_buttons(l: Lang, list: &str, i: usize, n: usize, what: &str) -> Markup {
    html! {
        div.row-actions {
            @if i > 0 { button type="submit" name="action" value={ "up:" (list) ":" (i) } { (ta(l, "move-up", &[("what", what.into())])) } }
            @if i + 1 < n { button type="submit" name="action" value={ "down:" (list) ":" (i) } { (ta(l, "move-down", &[("what", what.into())])) } }
            button type="submit" name="action" value={ "remove:" (list) ":" (i) } { (ta(l, "remove-item", &[("what", what.into())])) }
        }
    }
}

fn list_editor(l: Lang, doc: &Map<String, Value>, list: &str) -> Markup {
    let rows = items(doc, list);
    let (heading, one, fields): (String, String, &[&str]) = match list {
        "contributors" => (
            t(l, "contributors"),
            t(l, "contributor"),
            &CONTRIBUTOR_FIELDS,
        ),
        _ => (t(l, "costs"), t(l, "cost"), &COST_FIELDS),
    };
    html! {
        section aria-labelledby={ "h-" (list) } {
            h2 id={ "h-" (list) } { (heading) }
            input type="hidden" name={ (list) ".count" } value=(rows.len());
            @for (i, item) in rows.iter().enumerate() {
                @let what = format!("{one} {}", i + 1);
                fieldset.item {
                    legend { (what) }
                    div.grid {
                        @for f in fields {
                            div.field {
                                label for={ (list) "-" (i) "-" (f) } { (field_label(l, f)) }
                                @if list == "costs" && *f == "amount" {
                                    input id={ (list) "-" (i) "-" (f) } type="number" step="any" min="0" name={ (list) "." (i) "." (f) } value=(text_at(item, f));
                                } @else {
                                    input id={ (list) "-" (i) "-" (f) } type=(input_type(f)) name={ (list) "." (i) "." (f) } value=(text_at(item, f));
                                }
                            }
                        }
                    }
                    @if list == "contributors" {
                        fieldset.roles {
                            legend { (t(l, "field-roles")) }
                            @let held: Vec<String> = item.get("roles").and_then(Value::as_array).map(|a| a.iter().filter_map(|r| r.as_str().map(str::to_owned)).collect()).unwrap_or_default();
                            @for r in ROLES {
                                span.choice {
                                    input type="checkbox" id={ "contributors-" (i) "-role-" (r) } name={ "contributors." (i) ".roles" } value=(r) checked[held.iter().any(|h| h == r)];
                                    label for={ "contributors-" (i) "-role-" (r) } { (t(l, &format!("contributor-role-{}", r.replace('_', "-")))) }
                                }
                            }
                        }
                    }
                    (row_buttons(l, list, i, rows.len(), &what))
                }
            }
            p { button type="submit" name="action" value={ "add:" (list) } { (ta(l, "add-item", &[("what", one.clone().into())])) } }
        }
    }
}

fn list_editor_datasets(l: Lang, tpl: &Template, doc: &Map<String, Value>) -> Markup {
    let rows = items(doc, "datasets");
    let mut per_dataset = Vec::new();
    tpl.each_question(&mut |q| {
        if q.per_dataset {
            per_dataset.push(q);
        }
    });
    html! {
        section aria-labelledby="h-datasets" {
            h2 #h-datasets { (t(l, "datasets")) }
            input type="hidden" name="datasets.count" value=(rows.len());
            @for (i, item) in rows.iter().enumerate() {
                @let what = format!("{} {}", t(l, "dataset"), i + 1);
                fieldset.item {
                    legend { (what) }
                    input type="hidden" name={ "datasets." (i) ".id" } value=(text_at(item, "id"));
                    div.grid {
                        @for f in DATASET_FIELDS {
                            div.field {
                                label for={ "datasets-" (i) "-" (f) } { (field_label(l, f)) }
                                @let opts: Option<Vec<String>> = choices(f).map(|c| c.iter().map(|s| (*s).to_owned()).collect());
                                (select_or_input(l, &format!("datasets-{i}-{f}"), &format!("datasets.{i}.{f}"), &text_at(item, f), opts.as_deref(), input_type(f), false))
                            }
                        }
                        div.field {
                            label for={ "datasets-" (i) "-formats" } { (t(l, "field-formats")) }
                            input id={ "datasets-" (i) "-formats" } type="text" name={ "datasets." (i) ".formats" } value=(text_at(item, "formats")) aria-describedby="formats-hint";
                        }
                    }
                    @for q in &per_dataset {
                        div.field {
                            label for={ "datasets-" (i) "-answer-" (q.id) } { (q.question) }
                            textarea id={ "datasets-" (i) "-answer-" (q.id) } name={ "datasets." (i) ".answers." (q.id) } rows="3" {
                                (item.get("answers").map(|a| text_at(a, &q.id)).unwrap_or_default())
                            }
                        }
                    }
                    (row_buttons(l, "datasets", i, rows.len(), &what))
                }
            }
            p #formats-hint.hint { (t(l, "formats-hint")) }
            p { button type="submit" name="action" value="add:datasets" { (ta(l, "add-item", &[("what", t(l, "dataset").into())])) } }
        }
    }
}

/// What every question of the page needs, worked out once per page.
struct PageParts<'a> {
    /// The plan's id, for the links.
    pid: &'a str,
    /// Open comment threads by anchor (`question:<id>`).
    comments: &'a HashMap<String, usize>,
    /// The ids of the questions the plan answers.
    answered: &'a HashSet<&'a str>,
    /// See `yes_no_fields`.
    yes_no: &'a HashMap<String, Vec<String>>,
}

fn section(
    l: Lang,
    tpl: &Template,
    doc: &Map<String, Value>,
    s: &Section,
    level: u8,
    shown: &mut BTreeSet<String>,
    parts: &PageParts<'_>,
) -> Markup {
    let heading = match &s.number {
        Some(n) => format!("{n} {}", s.title),
        None => s.title.clone(),
    };
    let slug: String = heading
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let questions: Vec<Markup> = s
        .questions
        .iter()
        .map(|q| question(l, tpl, doc, q, shown, parts))
        .collect();
    let subs: Vec<Markup> = s
        .subsections
        .iter()
        .map(|sub| section(l, tpl, doc, sub, level + 1, shown, parts))
        .collect();
    html! {
        section.tpl aria-labelledby={ "s-" (slug) } {
            @if level <= 2 { h2 id={ "s-" (slug) } { (heading) } }
            @else { h3 id={ "s-" (slug) } { (heading) } }
            @for q in questions { (q) }
            @for sub in subs { (sub) }
        }
    }
}

fn question(
    l: Lang,
    tpl: &Template,
    doc: &Map<String, Value>,
    q: &Question,
    shown: &mut BTreeSet<String>,
    parts: &PageParts<'_>,
) -> Markup {
    let (pid, counts) = (parts.pid, parts.comments);
    let answered = parts.answered.contains(q.id.as_str());
    let own = doc
        .get("answers")
        .map(|a| text_at(a, &q.id))
        .unwrap_or_default();
    let fields: Vec<String> = q
        .fields()
        .into_iter()
        .filter(|f| {
            !NOT_FLAT.contains(&f.as_str())
                && !crate::domain::plan::STRUCTURED_KEYS.contains(&f.as_str())
        })
        .filter(|f| shown.insert(f.clone()))
        .collect();
    let aid = format!("a-{}", q.id);
    html! {
        div.question id={ "q-" (q.id) } data-answered=(if answered { "yes" } else { "no" }) {
            @if let Some(g) = &q.group { p.group { (g) } }
            label.q for=(aid) { (q.question) }
            @if !answered { span.badge { (t(l, "not-answered")) } }
            @if let Some(g) = &q.guidance {
                details {
                    summary { (t(l, "guidance")) }
                    @for para in g.split("\n\n") { p { (para) } }
                }
            }
            textarea id=(aid) name={ "answers." (q.id) } rows="4" data-preview={ "pv-" (q.id) } { (own) }
            @let open = counts.get(&format!("question:{}", q.id)).copied().unwrap_or(0);
            p.comments-link {
                a href={ "/ui/plans/" (pid) "/comments?on=question:" (q.id) } {
                    @if open > 0 { (ta(l, "open-comments", &[("count", open.into())])) } @else { (t(l, "comment-on-question")) }
                    span.visually-hidden { ": " (q.question) }
                }
            }
            div.preview id={ "pv-" (q.id) } hidden aria-live="polite" {}
            @if !fields.is_empty() {
                div.fields {
                    @for f in &fields {
                        @let visible = tpl.visible(doc, f);
                        @let when = tpl.visibility.get(f.as_str()).and_then(|c| serde_json::to_string(c).ok());
                        div.field data-when=[when] hidden[!visible] {
                            label for={ "f-" (f) } { (field_label(l, f)) }
                            @let opts = parts.yes_no.get(f.as_str()).map(Vec::as_slice);
                            @let value = value_text(doc.get(f.as_str()));
                            (select_or_input(l, &format!("f-{f}"), &format!("f.{f}"), &value, opts, "text", false))
                        }
                    }
                }
            }
        }
    }
}

/// The form's pairs in order.
type Pairs = Vec<(String, String)>;

fn field<'a>(form: &'a Pairs, name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The changes a submitted form makes to `doc`: a patch of top-level keys.
fn patch_of(form: &Pairs, doc: &Map<String, Value>) -> Map<String, Value> {
    let mut patch = Map::new();
    if let Some(name) = field(form, "name") {
        patch.insert("name".into(), json!(name.trim()));
    }
    let mut answers = doc
        .get("answers")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut any_answer = false;
    let mut grant = doc
        .get("grant")
        .cloned()
        .filter(Value::is_object)
        .unwrap_or(json!({}));
    let mut any_grant = false;
    for (k, v) in form {
        if let Some(q) = k.strip_prefix("answers.") {
            any_answer = true;
            if v.trim().is_empty() {
                answers.remove(q);
            } else {
                answers.insert(q.to_owned(), json!(v.replace("\r\n", "\n")));
            }
        } else if let Some(f) = k.strip_prefix("f.") {
            patch.insert(f.to_owned(), json!(v.trim()));
        } else if let Some(g) = k.strip_prefix("grant.") {
            any_grant = true;
            set_path(&mut grant, g, v);
        }
    }
    if any_answer {
        patch.insert("answers".into(), Value::Object(answers));
    }
    if any_grant {
        let empty = grant.as_object().is_some_and(Map::is_empty);
        patch.insert("grant".into(), if empty { Value::Null } else { grant });
    }
    for list in ["contributors", "datasets", "costs"] {
        let Some(count) =
            field(form, &format!("{list}.count")).and_then(|c| c.parse::<usize>().ok())
        else {
            continue;
        };
        let current = items(doc, list);
        let mut out = Vec::with_capacity(count);
        for i in 0..count.min(500) {
            let mut item = current
                .get(i)
                .cloned()
                .filter(Value::is_object)
                .unwrap_or(json!({}));
            let prefix = format!("{list}.{i}.");
            let mut roles = Vec::new();
            let mut formats_seen = false;
            let mut item_answers = item
                .get("answers")
                .cloned()
                .filter(Value::is_object)
                .unwrap_or(json!({}));
            let mut any_item_answer = false;
            for (k, v) in form {
                let Some(key) = k.strip_prefix(&prefix) else {
                    continue;
                };
                match key {
                    "roles" => roles.push(json!(v)),
                    "formats" => {
                        formats_seen = true;
                        let list: Vec<Value> = v
                            .split(',')
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(|s| json!(s))
                            .collect();
                        if let Some(o) = item.as_object_mut() {
                            if list.is_empty() {
                                o.remove("formats");
                            } else {
                                o.insert("formats".into(), Value::Array(list));
                            }
                        }
                    }
                    k if k.starts_with("answers.") => {
                        any_item_answer = true;
                        set_path(&mut item_answers, &k["answers.".len()..], v);
                    }
                    k => set_path(&mut item, k, v),
                }
            }
            let _ = formats_seen;
            if let Some(o) = item.as_object_mut() {
                if list == "contributors" {
                    if roles.is_empty() {
                        o.remove("roles");
                    } else {
                        o.insert("roles".into(), Value::Array(roles));
                    }
                }
                if any_item_answer {
                    if item_answers.as_object().is_some_and(Map::is_empty) {
                        o.remove("answers");
                    } else {
                        o.insert("answers".into(), item_answers);
                    }
                }
            }
            out.push(item);
        }
        if list == "datasets" {
            let mut used: BTreeSet<String> = out.iter().map(|d| text_at(d, "id")).collect();
            for (n, d) in out.iter_mut().enumerate() {
                if text_at(d, "id").is_empty() {
                    let mut k = n + 1;
                    while used.contains(&format!("dataset-{k}")) {
                        k += 1;
                    }
                    used.insert(format!("dataset-{k}"));
                    set_path(d, "id", &format!("dataset-{k}"));
                }
            }
        }
        patch.insert(list.into(), Value::Array(out));
    }
    if let Some(action) = field(form, "action") {
        apply_action(&mut patch, action);
    }
    patch
}

/// The row buttons: `add:<list>`, `remove:<list>:<i>`, `up:<list>:<i>`, `down:<list>:<i>`.
fn apply_action(patch: &mut Map<String, Value>, action: &str) {
    let mut bits = action.split(':');
    let (Some(op), Some(list)) = (bits.next(), bits.next()) else {
        return;
    };
    if !["contributors", "datasets", "costs"].contains(&list) {
        return;
    }
    let i: Option<usize> = bits.next().and_then(|n| n.parse().ok());
    let Some(Value::Array(rows)) = patch.get_mut(list) else {
        return;
    };
    match (op, i) {
        ("add", _) => {
            let fresh = match list {
                "contributors" => json!({"name": ""}),
                _ => json!({"title": ""}),
            };
            rows.push(fresh);
        }
        ("remove", Some(i)) if i < rows.len() => {
            rows.remove(i);
        }
        ("up", Some(i)) if i > 0 && i < rows.len() => rows.swap(i, i - 1),
        ("down", Some(i)) if i + 1 < rows.len() => rows.swap(i, i + 1),
        _ => {}
    }
}

/// A new row's required field is empty until typed: the schema wants it, so a plan keeps
/// such rows out of what it sends, and the page shows them again.
fn split_blank_rows(patch: &mut Map<String, Value>) -> Vec<(String, usize)> {
    let mut blanks = Vec::new();
    for (list, key) in [
        ("contributors", "name"),
        ("datasets", "title"),
        ("costs", "title"),
    ] {
        if let Some(Value::Array(rows)) = patch.get_mut(list) {
            for (i, r) in rows.iter_mut().enumerate() {
                if text_at(r, key).trim().is_empty() {
                    blanks.push((list.to_owned(), i));
                    if let Some(o) = r.as_object_mut() {
                        o.insert(key.into(), json!(""));
                    }
                }
            }
        }
    }
    blanks
}

#[handler]
pub async fn save(
    state: Data<&ApiState>,
    req: &Request,
    Path(id): Path<String>,
    Form(form): Form<Pairs>,
) -> Response {
    let lang = session::header_lang(req);
    let wants_json = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"));
    let r = save_inner(&state, req, &id, &form, wants_json).await;
    match r {
        Ok(resp) => resp,
        Err(f) if wants_json => json_fail(&f),
        Err(f) => f.page(lang),
    }
}

fn json_fail(f: &Fail) -> Response {
    let mut body = json!({"error": f.message});
    if let Some(r) = f.revision {
        body["revision"] = json!(r);
    }
    if let Some(c) = &f.changed {
        body["changed"] = json!(c);
    }
    Response::builder()
        .status(f.status)
        .content_type("application/json; charset=utf-8")
        .body(body.to_string())
}

async fn save_inner(
    state: &ApiState,
    req: &Request,
    id: &str,
    form: &Pairs,
    wants_json: bool,
) -> Result<Response, Fail> {
    let ctx = session::ctx(state, req).await?;
    let sess = checked(&ctx, req, field(form, "csrf"))?;
    let plan = load(state, &ctx, id).await?;
    let mut patch = patch_of(form, &plan.doc);
    // Rows just added have no required name or title yet: they are kept on the page only.
    let blanks = split_blank_rows(&mut patch);
    let mut stored = patch.clone();
    for (list, _) in blanks.iter().rev() {
        if let Some(Value::Array(rows)) = stored.get_mut(list.as_str()) {
            rows.retain(|r| {
                let key = if list == "contributors" {
                    "name"
                } else {
                    "title"
                };
                !text_at(r, key).trim().is_empty()
            });
        }
    }
    let if_match = req
        .headers()
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| {
            field(form, "revision")
                .and_then(|r| r.parse::<u64>().ok())
                .map(|r| etag(plan.id, r))
        });
    let named = field(form, "revision").and_then(|r| r.parse::<u64>().ok());
    let pre = Precondition::from_if_match(if_match);
    let result = state
        .services
        .update_dmp_queued(&sess.caller, plan.id, Value::Object(stored), pre)
        .await;
    match result {
        Ok(rev) if wants_json => Ok(Response::builder()
            .content_type("application/json; charset=utf-8")
            .header(header::ETAG, etag(plan.id, rev.revision))
            .body(json!({"revision": rev.revision}).to_string())),
        Ok(_) => {
            // Rows just added (still blank) come back on the page through the query, so
            // the answer is a redirect and reloading it posts nothing again.
            let mut lists: Vec<&str> = blanks.iter().map(|(l, _)| l.as_str()).collect();
            lists.dedup();
            if lists.is_empty() {
                return Ok(see_other(&format!("/ui/plans/{}?saved=1", plan.id)));
            }
            Ok(see_other(&format!(
                "/ui/plans/{}?saved=1&blank={}",
                plan.id,
                lists.join(",")
            )))
        }
        Err(e) if wants_json => Err(Fail::from(e)),
        Err(e) => {
            let fail = Fail::from(e);
            if !matches!(fail.status.as_u16(), 400 | 412) {
                return Err(fail);
            }
            // What was typed stays on the page: nothing is lost.
            let mut doc = plan.doc.clone();
            doc.extend(patch);
            let conflict = (fail.status == StatusCode::PRECONDITION_FAILED).then(|| {
                (
                    fail.changed.clone().unwrap_or_default(),
                    named.unwrap_or(plan.revision),
                    fail.revision.unwrap_or(plan.revision),
                )
            });
            let revision = match &conflict {
                Some((_, _, current)) => *current,
                None => named.unwrap_or(plan.revision),
            };
            let notice = Notice {
                saved: false,
                error: conflict.is_none().then(|| fail.message.clone()),
                conflict,
            };
            let shown = Plan {
                revision,
                doc,
                ..plan
            };
            let mut resp = render(&ctx, &shown, &notice, false);
            resp.set_status(fail.status);
            Ok(resp)
        }
    }
}

#[derive(serde::Deserialize)]
pub struct PreviewForm {
    text: String,
}

/// The Markdown preview of an answer, as an HTML fragment (the autosave script asks).
#[handler]
pub async fn preview(
    state: Data<&ApiState>,
    req: &Request,
    Form(form): Form<PreviewForm>,
) -> Response {
    let lang = session::header_lang(req);
    let r = async {
        let ctx = session::ctx(&state, req).await?;
        checked(&ctx, req, None)?;
        Ok(layout::html_response(markdown(&form.text)))
    }
    .await;
    layout::finish(lang, r)
}

/// The plan model's Markdown subset as HTML (escaped by maud; links only to http(s)).
pub fn markdown(text: &str) -> Markup {
    use crate::render::markdown::{MdBlock, Run, parse};
    fn runs(rs: &[Run]) -> Markup {
        html! {
            @for r in rs {
                @let inner = html! {
                    @if r.code { code { (r.text) } }
                    @else if r.bold && r.italic { strong { em { (r.text) } } }
                    @else if r.bold { strong { (r.text) } }
                    @else if r.italic { em { (r.text) } }
                    @else { (r.text) }
                };
                @match &r.link {
                    Some(href) if href.starts_with("https://") || href.starts_with("http://") => a href=(href) rel="noopener noreferrer" { (inner) },
                    _ => (inner),
                }
            }
        }
    }
    html! {
        @for b in parse(text) {
            @match b {
                MdBlock::Paragraph(rs) => p { (runs(&rs)) },
                MdBlock::List { ordered: true, start, items } => ol start=(start) { @for i in &items { li { (runs(i)) } } },
                MdBlock::List { ordered: false, items, .. } => ul { @for i in &items { li { (runs(i)) } } },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_becomes_a_patch_keeping_what_it_does_not_show() {
        let doc = json!({
            "answers": {"a": "old", "b": "kept"},
            "grant": {"title": "T", "extra": 1},
            "contributors": [{"name": "Ann", "x": true}]
        });
        let doc = doc.as_object().unwrap();
        let pairs = |v: &[(&str, &str)]| -> Pairs {
            v.iter()
                .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
                .collect()
        };
        let form = pairs(&[
            ("answers.a", "new"),
            ("grant.funder.name", "EC"),
            ("grant.title", ""),
            ("contributors.count", "1"),
            ("contributors.0.name", "Ann B"),
            ("contributors.0.roles", "contact"),
            ("f.reuse", "yes"),
        ]);
        let p = patch_of(&form, doc);
        assert_eq!(p["answers"], json!({"a": "new", "b": "kept"}));
        assert_eq!(p["grant"], json!({"extra": 1, "funder": {"name": "EC"}}));
        assert_eq!(
            p["contributors"],
            json!([{"name": "Ann B", "x": true, "roles": ["contact"]}])
        );
        assert_eq!(p["reuse"], json!("yes"));
        let mut form = form;
        form.push(("action".into(), "add:contributors".into()));
        assert_eq!(
            patch_of(&form, doc)["contributors"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn markdown_preview_escapes_and_keeps_only_web_links() {
        let html = markdown(
            "**b** <script>x</script>\n\n- [l](https://e.org)\n- [j](javascript:alert(1))",
        )
        .into_string();
        assert!(html.contains("<strong>b</strong>"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(html.contains("href=\"https://e.org\""), "{html}");
        assert!(!html.contains("href=\"javascript"), "{html}");
    }
}

//! Comments on a plan: threads anchored to a template question, a dataset or the plan as a
//! whole, with replies, resolved and reopened. Members from `commenter` up write them, every
//! member reads them; a comment is deleted by its author or the plan's owner (or an
//! administrator). Each write is one transaction with its event in the plan's activity.
//!
//! A comment keeps the revision of the plan it was made on and outlives later revisions: it
//! is not tied to the text it was about, so an edit never removes a comment.

use std::collections::HashMap;

use redb::WriteTransaction;
use serde_json::{Map, Value, json};

use super::error::{Result, ServiceError};
use super::{Caller, Services, access};
use crate::domain::time::now_millis;
use crate::domain::{DmpId, ObjectId, Role};
use crate::render::template::{DEFAULT_TEMPLATE, Section, TemplateError};
use crate::store::comments::{self, Anchor, CommentRecord};
use crate::store::events::{self, EventRecord};
use crate::store::tables::Oid;
use crate::store::{ReadTx, users};

/// Most characters of a comment's text (after trimming).
pub const MAX_TEXT_CHARS: usize = 10_000;

/// A comment as shown. Times are milliseconds since the epoch; usernames stand for ids.
#[derive(Debug, Clone, PartialEq)]
pub struct CommentView {
    pub id: String,
    pub author: String,
    pub created: i64,
    pub updated: i64,
    pub anchor: Anchor,
    pub text: String,
    /// The thread's first comment, for a reply.
    pub parent: Option<String>,
    /// The plan's revision when the comment was made.
    pub revision: u64,
    pub resolved: bool,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<i64>,
}

/// A thread: its first comment and the replies, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Thread {
    pub comment: CommentView,
    pub replies: Vec<CommentView>,
}

/// Which threads a listing shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ThreadFilter {
    pub anchor: Option<Anchor>,
    pub resolved: Option<bool>,
}

/// What a new thread is about, as asked: a question id, a dataset id, or neither (the plan).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewComment {
    pub text: String,
    pub question: Option<String>,
    pub dataset: Option<String>,
}

/// What deleting a comment removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deleted {
    /// The comment and, for a thread's first comment, its replies.
    pub comments: usize,
}

/// Parses an anchor as a listing filter names it: `plan`, `question:<id>`, `dataset:<id>`.
pub fn parse_anchor(s: &str) -> Result<Anchor> {
    let s = s.trim();
    if s == "plan" {
        return Ok(Anchor::Plan);
    }
    match s.split_once(':') {
        Some(("question", id)) if !id.trim().is_empty() => {
            Ok(Anchor::Question(id.trim().to_owned()))
        }
        Some(("dataset", id)) if !id.trim().is_empty() => Ok(Anchor::Dataset(id.trim().to_owned())),
        _ => Err(ServiceError::Invalid(format!(
            "anchor must be plan, question:<id> or dataset:<id> (not {:?})",
            s.chars().take(80).collect::<String>()
        ))),
    }
}

/// A comment's text as kept: line ends made `\n`, trimmed, 1 to 10 000 characters, no
/// control characters but newline and tab.
pub fn clean_text(text: &str) -> Result<String> {
    let text = text.replace("\r\n", "\n");
    let text = text.trim();
    if text.is_empty() {
        return Err(ServiceError::Invalid("a comment needs some text".into()));
    }
    let n = text.chars().count();
    if n > MAX_TEXT_CHARS {
        return Err(ServiceError::Invalid(format!(
            "a comment has at most {MAX_TEXT_CHARS} characters (this one has {n})"
        )));
    }
    if let Some(c) = text
        .chars()
        .find(|c| c.is_control() && *c != '\n' && *c != '\t')
    {
        return Err(ServiceError::Invalid(format!(
            "a comment cannot hold the control character U+{:04X}",
            u32::from(c)
        )));
    }
    Ok(text.to_owned())
}

/// A comment id from the URL.
fn comment_id(s: &str) -> Result<Oid> {
    ObjectId::parse(s).map(|o| o.bytes()).map_err(|_| {
        ServiceError::Invalid(format!(
            "'{}' is not a valid comment id (24 hex characters expected)",
            s.chars().take(40).collect::<String>()
        ))
    })
}

fn no_comment(id: DmpId, cid: &str) -> ServiceError {
    ServiceError::NotFound(format!("DMP {id} has no comment with id {cid}"))
}

fn hex(oid: Oid) -> String {
    ObjectId::from_bytes(oid).to_string()
}

/// Usernames by id, read once each; 0 is the administrator's command line.
struct Names<'a, T: ReadTx> {
    tx: &'a T,
    known: HashMap<u64, String>,
}

impl<'a, T: ReadTx> Names<'a, T> {
    fn new(tx: &'a T) -> Self {
        Self {
            tx,
            known: HashMap::new(),
        }
    }

    fn of(&mut self, id: u64) -> Result<String> {
        if let Some(n) = self.known.get(&id) {
            return Ok(n.clone());
        }
        let name = user_name(self.tx, id)?;
        self.known.insert(id, name.clone());
        Ok(name)
    }
}

/// A user's name as activity and comments show it: `administrator` for the command line
/// (id 0), `deleted user` for an account that is gone.
pub(crate) fn user_name(tx: &impl ReadTx, id: u64) -> Result<String> {
    if id == 0 {
        return Ok("administrator".into());
    }
    Ok(users::get(tx, id)?
        .map(|u| u.username)
        .unwrap_or_else(|| "deleted user".into()))
}

fn view<T: ReadTx>(names: &mut Names<'_, T>, id: Oid, rec: &CommentRecord) -> Result<CommentView> {
    Ok(CommentView {
        id: hex(id),
        author: names.of(rec.author)?,
        created: rec.created,
        updated: rec.updated,
        anchor: rec.anchor.clone(),
        text: rec.text.clone(),
        parent: rec.parent.clone(),
        revision: rec.revision,
        resolved: rec.resolved,
        resolved_by: rec.resolved_by.map(|u| names.of(u)).transpose()?,
        resolved_at: rec.resolved_at,
    })
}

/// The first comment of comment `cid`'s thread (itself, unless it is a reply), with its record.
fn thread_root(tx: &impl ReadTx, id: DmpId, cid: &str) -> Result<(Oid, CommentRecord)> {
    let oid = comment_id(cid)?;
    let rec = comments::get(tx, id.bytes(), oid)?.ok_or_else(|| no_comment(id, cid))?;
    match rec.parent.clone() {
        None => Ok((oid, rec)),
        Some(parent) => {
            let root = comment_id(&parent)?;
            let root_rec = comments::get(tx, id.bytes(), root)?.ok_or_else(|| {
                ServiceError::fault(format!("comment {cid} names a missing thread {parent}"))
            })?;
            Ok((root, root_rec))
        }
    }
}

/// The whole thread of a first comment, as shown.
fn thread_of(tx: &impl ReadTx, id: DmpId, root: Oid) -> Result<Thread> {
    let root_hex = hex(root);
    let mut names = Names::new(tx);
    let mut first = None;
    let mut replies = Vec::new();
    for (cid, rec) in comments::of_dmp(tx, id.bytes())? {
        if cid == root {
            first = Some(view(&mut names, cid, &rec)?);
        } else if rec.parent.as_deref() == Some(root_hex.as_str()) {
            replies.push(view(&mut names, cid, &rec)?);
        }
    }
    let comment = first.ok_or_else(|| no_comment(id, &root_hex))?;
    Ok(Thread { comment, replies })
}

/// Every question id of a template's sections, in order.
fn question_ids(sections: &[Section], out: &mut Vec<String>) {
    for s in sections {
        out.extend(s.questions.iter().map(|q| q.id.clone()));
        question_ids(&s.subsections, out);
    }
}

/// The name of the template a plan is written against (its `template`, else the default).
fn template_name(doc: &Map<String, Value>) -> String {
    match doc.get("template") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        _ => DEFAULT_TEMPLATE.to_owned(),
    }
}

/// Whether a plan has a dataset with identifier `id`.
fn has_dataset(doc: &Map<String, Value>, id: &str) -> bool {
    doc.get("datasets")
        .and_then(Value::as_array)
        .is_some_and(|list| {
            list.iter()
                .any(|d| d.get("id").and_then(Value::as_str) == Some(id))
        })
}

fn has_answer(doc: &Map<String, Value>, id: &str) -> bool {
    doc.get("answers")
        .and_then(Value::as_object)
        .is_some_and(|a| a.contains_key(id))
}

fn append_event(
    tx: &WriteTransaction,
    id: DmpId,
    caller: &Caller,
    time: i64,
    kind: &str,
    detail: Value,
) -> Result<()> {
    events::append(
        tx,
        id.bytes(),
        &EventRecord {
            time,
            actor: caller.id.0,
            kind: kind.into(),
            detail,
        },
    )?;
    Ok(())
}

/// What an event says of a comment's anchor.
fn anchor_detail(anchor: &Anchor) -> Value {
    match anchor {
        Anchor::Plan => json!({ "anchor": "plan" }),
        Anchor::Question(q) => json!({ "anchor": "question", "question": q }),
        Anchor::Dataset(d) => json!({ "anchor": "dataset", "dataset": d }),
    }
}

fn event_detail(cid: &str, thread: Option<&str>, anchor: &Anchor) -> Value {
    let mut detail = anchor_detail(anchor);
    detail["comment"] = cid.into();
    if let Some(t) = thread {
        detail["thread"] = t.into();
    }
    detail
}

impl Services {
    /// The question ids of the template plan `doc` names (none when it names no template
    /// there is).
    fn template_questions(&self, doc: &Map<String, Value>) -> Result<Vec<String>> {
        match self.templates().get(&template_name(doc)) {
            Ok((t, _)) => {
                let mut out = Vec::new();
                question_ids(&t.sections, &mut out);
                Ok(out)
            }
            Err(TemplateError::Unknown { .. }) => Ok(Vec::new()),
            Err(e) => Err(ServiceError::Template(e)),
        }
    }

    /// Every thread of a plan the caller may read, oldest first, each with its replies.
    pub fn list_comments(
        &self,
        caller: &Caller,
        id: DmpId,
        filter: &ThreadFilter,
    ) -> Result<Vec<Thread>> {
        self.store.read(|tx| {
            access::check(tx, caller, id, Role::Viewer)?;
            let mut names = Names::new(tx);
            let mut threads: Vec<Thread> = Vec::new();
            let mut index: HashMap<String, usize> = HashMap::new();
            let mut orphans = Vec::new();
            for (cid, rec) in comments::of_dmp(tx, id.bytes())? {
                let v = view(&mut names, cid, &rec)?;
                match &v.parent {
                    None => {
                        index.insert(v.id.clone(), threads.len());
                        threads.push(Thread {
                            comment: v,
                            replies: Vec::new(),
                        });
                    }
                    Some(p) => match index.get(p) {
                        Some(&i) => threads[i].replies.push(v),
                        None => orphans.push(v),
                    },
                }
            }
            // A reply is newer than its thread's first comment, so it comes after it; one
            // that does not (a clock set back) still finds its thread here.
            for v in orphans {
                if let Some(&i) = v.parent.as_ref().and_then(|p| index.get(p)) {
                    threads[i].replies.push(v);
                }
            }
            threads.retain(|t| {
                filter
                    .anchor
                    .as_ref()
                    .is_none_or(|a| *a == t.comment.anchor)
                    && filter.resolved.is_none_or(|r| r == t.comment.resolved)
            });
            Ok(threads)
        })
    }

    /// Starts a thread on the plan, a question or a dataset (commenter and up).
    pub fn add_comment(&self, caller: &Caller, id: DmpId, new: &NewComment) -> Result<CommentView> {
        let text = clean_text(&new.text)?;
        let anchor = match (&new.question, &new.dataset) {
            (Some(_), Some(_)) => {
                return Err(ServiceError::Invalid(
                    "a comment is about a question or a dataset, not both".into(),
                ));
            }
            (Some(q), None) => Anchor::Question(q.trim().to_owned()),
            (None, Some(d)) => Anchor::Dataset(d.trim().to_owned()),
            (None, None) => Anchor::Plan,
        };
        // The template's questions, read before the write (they come from files).
        let template_questions = match &anchor {
            Anchor::Question(_) => {
                let (rec, _) = self
                    .store
                    .read(|tx| access::load(tx, caller, id, Role::Commenter))?;
                self.template_questions(&rec.doc)?
            }
            _ => Vec::new(),
        };
        self.store.write(|tx| {
            let (rec, _) = access::load(tx, caller, id, Role::Commenter)?;
            match &anchor {
                Anchor::Plan => {}
                Anchor::Question(q) => {
                    if !template_questions.contains(q) && !has_answer(&rec.doc, q) {
                        return Err(ServiceError::Invalid(format!(
                            "the plan's template ({}) has no question '{}' and the plan no answer to it",
                            template_name(&rec.doc),
                            q.chars().take(80).collect::<String>()
                        )));
                    }
                }
                Anchor::Dataset(d) => {
                    if !has_dataset(&rec.doc, d) {
                        return Err(ServiceError::Invalid(format!(
                            "the plan has no dataset with id '{}'",
                            d.chars().take(80).collect::<String>()
                        )));
                    }
                }
            }
            let now = now_millis();
            let cid = comments::new_id(tx, id.bytes())?;
            let comment = CommentRecord {
                author: caller.id.0,
                created: now,
                updated: now,
                anchor: anchor.clone(),
                text: text.clone(),
                parent: None,
                revision: rec.version,
                resolved: false,
                resolved_by: None,
                resolved_at: None,
            };
            comments::put(tx, id.bytes(), cid, &comment)?;
            append_event(
                tx,
                id,
                caller,
                now,
                "commented",
                event_detail(&hex(cid), None, &anchor),
            )?;
            view(&mut Names::new(tx), cid, &comment)
        })
    }

    /// Replies to a comment's thread (a reply to a reply joins the same thread).
    pub fn reply_to_comment(
        &self,
        caller: &Caller,
        id: DmpId,
        to: &str,
        text: &str,
    ) -> Result<CommentView> {
        let text = clean_text(text)?;
        self.store.write(|tx| {
            let (rec, _) = access::load(tx, caller, id, Role::Commenter)?;
            let (root, root_rec) = thread_root(tx, id, to)?;
            let now = now_millis();
            let cid = comments::new_id(tx, id.bytes())?;
            let reply = CommentRecord {
                author: caller.id.0,
                created: now,
                updated: now,
                anchor: root_rec.anchor.clone(),
                text: text.clone(),
                parent: Some(hex(root)),
                revision: rec.version,
                resolved: false,
                resolved_by: None,
                resolved_at: None,
            };
            comments::put(tx, id.bytes(), cid, &reply)?;
            append_event(
                tx,
                id,
                caller,
                now,
                "replied",
                event_detail(&hex(cid), Some(&hex(root)), &root_rec.anchor),
            )?;
            view(&mut Names::new(tx), cid, &reply)
        })
    }

    /// Resolves or reopens the thread of a comment (commenter and up). Asking for the state
    /// the thread is in changes nothing and records nothing.
    pub fn resolve_comment(
        &self,
        caller: &Caller,
        id: DmpId,
        cid: &str,
        resolved: bool,
    ) -> Result<Thread> {
        self.store.write(|tx| {
            access::check(tx, caller, id, Role::Commenter)?;
            let (root, mut rec) = thread_root(tx, id, cid)?;
            if rec.resolved != resolved {
                let now = now_millis();
                rec.resolved = resolved;
                rec.resolved_by = resolved.then_some(caller.id.0);
                rec.resolved_at = resolved.then_some(now);
                rec.updated = now;
                comments::put(tx, id.bytes(), root, &rec)?;
                append_event(
                    tx,
                    id,
                    caller,
                    now,
                    if resolved { "resolved" } else { "reopened" },
                    event_detail(&hex(root), None, &rec.anchor),
                )?;
            }
            thread_of(tx, id, root)
        })
    }

    /// Deletes a comment: its author may, and the plan's owner or an administrator. A
    /// thread's first comment takes its replies along.
    pub fn delete_comment(&self, caller: &Caller, id: DmpId, cid: &str) -> Result<Deleted> {
        self.store.write(|tx| {
            let role = access::check(tx, caller, id, Role::Viewer)?;
            let oid = comment_id(cid)?;
            let rec = comments::get(tx, id.bytes(), oid)?.ok_or_else(|| no_comment(id, cid))?;
            if rec.author != caller.id.0 && role < Role::Owner && !caller.admin {
                return Err(ServiceError::Forbidden(format!(
                    "only the comment's author ({}) or the plan's owner may delete it",
                    user_name(tx, rec.author)?
                )));
            }
            let mut removed = 1;
            comments::remove(tx, id.bytes(), oid)?;
            if rec.parent.is_none() {
                let own = hex(oid);
                for (reply, r) in comments::of_dmp(tx, id.bytes())? {
                    if r.parent.as_deref() == Some(own.as_str()) {
                        comments::remove(tx, id.bytes(), reply)?;
                        removed += 1;
                    }
                }
            }
            let mut detail = event_detail(&hex(oid), rec.parent.as_deref(), &rec.anchor);
            if removed > 1 {
                detail["replies"] = (removed - 1).into();
            }
            append_event(tx, id, caller, now_millis(), "comment-deleted", detail)?;
            Ok(Deleted { comments: removed })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_bounded_and_free_of_control_characters() {
        assert_eq!(clean_text("  hi\r\nthere\t! ").unwrap(), "hi\nthere\t!");
        assert!(clean_text(" \n\t ").is_err());
        assert!(clean_text(&"é".repeat(MAX_TEXT_CHARS)).is_ok());
        let long = clean_text(&"é".repeat(MAX_TEXT_CHARS + 1)).unwrap_err();
        assert!(long.to_string().contains("10000"), "{long}");
        let bell = clean_text("ring \u{7} ring").unwrap_err();
        assert!(bell.to_string().contains("U+0007"), "{bell}");
        assert!(
            clean_text("a\rb").is_err(),
            "a lone CR is a control character"
        );
    }

    #[test]
    fn anchors_parse_from_their_filter_form() {
        assert_eq!(parse_anchor("plan").unwrap(), Anchor::Plan);
        assert_eq!(
            parse_anchor("question:data_summary").unwrap(),
            Anchor::Question("data_summary".into())
        );
        assert_eq!(
            parse_anchor("dataset:ds-1").unwrap(),
            Anchor::Dataset("ds-1".into())
        );
        for bad in ["", "question:", "dataset", "answer:x", "plans"] {
            assert!(parse_anchor(bad).is_err(), "{bad:?}");
        }
    }
}

//! The plan list of the web editor's home page: the caller's own plans and those shared
//! with them, searched by title, sorted, a page at a time, each with its progress and its
//! latest documents.
//!
//! It reads the plans' summaries (`store::dmps::summary`, schema 6), not their documents:
//! the default order (last changed first) reads the summaries of one page of the caller's
//! own plans from the modification-time index, plus those of the plans shared with them; a
//! search or the title order reads every summary of theirs. A plan's document is read only
//! to count its progress the first time after it or its template changed (`ProgressMemo`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use super::{Caller, Result, Services};
use crate::domain::{DmpId, Role};
use crate::render::template::{DEFAULT_TEMPLATE, Template};
use crate::store::records::DmpSummary;
use crate::store::tables::Oid;
use crate::store::{ReadTx, dmps, tasks, users};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PlanOrder {
    /// Last changed first.
    #[default]
    Updated,
    /// By title, ignoring case.
    Title,
}

#[derive(Debug, Clone, Default)]
pub struct PlanQuery {
    /// Listed are the plans whose title contains this, ignoring case (all when empty).
    pub search: String,
    pub order: PlanOrder,
    pub offset: usize,
    pub limit: usize,
}

/// One plan of a list.
#[derive(Debug, Clone)]
pub struct ListedPlan {
    pub id: DmpId,
    pub title: String,
    /// The template's title (its name when no template has it).
    pub template: String,
    pub owner_name: String,
    pub role: Role,
    pub updated: i64,
    pub version: u64,
    /// Questions answered, and asked (0 and 0 for a template that is gone).
    pub answered: usize,
    pub total: usize,
    /// The file ids of the latest documents made of it.
    pub docx: Option<String>,
    pub pdf: Option<String>,
}

/// Progress counts by plan, remembered with the version (and the time it was written: after
/// a backup is restored, a version number alone could name other content) and the template
/// they were counted for: a template is shared (`Arc`) while its file is unchanged (see
/// `render::template::Templates::get`), so a changed template counts anew.
#[derive(Default)]
pub struct ProgressMemo(Mutex<HashMap<Oid, Counted>>);

/// The version and its time, the template counted for, and the counts.
type Counted = ((u64, i64), Arc<Template>, (usize, usize));

/// A plan of a list before its page is made: its id, the caller's role, its summary.
type Listed = (Oid, Role, DmpSummary);

/// Past this many plans remembered, the memo starts over (about 100 bytes each).
const MEMO_MAX: usize = 100_000;

impl ProgressMemo {
    fn get(&self, id: Oid, version: (u64, i64), tpl: &Arc<Template>) -> Option<(usize, usize)> {
        let memo = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match memo.get(&id) {
            Some((v, t, counts)) if *v == version && Arc::ptr_eq(t, tpl) => Some(*counts),
            _ => None,
        }
    }

    fn put(&self, id: Oid, version: (u64, i64), tpl: &Arc<Template>, counts: (usize, usize)) {
        let mut memo = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if memo.len() >= MEMO_MAX {
            memo.clear();
        }
        memo.insert(id, (version, tpl.clone(), counts));
    }
}

impl Services {
    /// One page of the caller's plans and those shared with them, and how many match.
    pub fn plan_list(&self, caller: &Caller, q: &PlanQuery) -> Result<(Vec<ListedPlan>, usize)> {
        self.store.read(|tx| {
            let (page, matching) = self.page_of_summaries(tx, caller, q)?;
            let latest_done = tasks::latest_done_of(tx)?;
            let mut templates: HashMap<String, Option<Arc<Template>>> = HashMap::new();
            let mut out = Vec::with_capacity(page.len());
            for (id, role, sum) in page {
                let name = if sum.template.is_empty() {
                    DEFAULT_TEMPLATE
                } else {
                    sum.template.as_str()
                };
                let tpl = templates
                    .entry(name.to_owned())
                    .or_insert_with(|| self.templates().get(name).ok().map(|(t, _)| t))
                    .clone();
                let (answered, total) = match &tpl {
                    Some(t) => self.progress_of(tx, id, (sum.version, sum.updated), t)?,
                    None => (0, 0),
                };
                let owner_name = if sum.owner == caller.id.0 {
                    caller.username.clone()
                } else {
                    users::get(tx, sum.owner)?
                        .map(|u| u.username)
                        .unwrap_or_default()
                };
                let latest = latest_done(id)?.map(|(_, t)| t);
                out.push(ListedPlan {
                    id: DmpId::from_bytes(id),
                    template: tpl.map_or_else(|| name.to_owned(), |t| t.title.clone()),
                    title: sum.title,
                    owner_name,
                    role,
                    updated: sum.updated,
                    version: sum.version,
                    answered,
                    total,
                    docx: latest.as_ref().and_then(|t| t.docx.clone()),
                    pdf: latest.and_then(|t| t.pdf),
                });
            }
            Ok((out, matching))
        })
    }

    /// The summaries of the page asked for, with the caller's role, and how many match.
    fn page_of_summaries(
        &self,
        tx: &impl ReadTx,
        caller: &Caller,
        q: &PlanQuery,
    ) -> Result<(Vec<Listed>, usize)> {
        let me = caller.id.0;
        let summary = dmps::summaries(tx)?;
        let with = |id: Oid, role: Role| -> Result<Option<Listed>> {
            Ok(summary(id)?.map(|s| (id, role, s)))
        };
        let mut listed = Vec::new();
        let matching = if q.search.is_empty() && q.order == PlanOrder::Updated {
            // A page of the own plans needs no more than the first `offset + limit` of them
            // by the index; the shared ones are merged in by their time.
            let want = q.offset.saturating_add(q.limit);
            for (_, id) in dmps::recent_by_owner(tx, me, want)? {
                listed.extend(with(id, Role::Owner)?);
            }
            let own_total = usize::try_from(dmps::count_by_owner(tx, me)?).unwrap_or(usize::MAX);
            let before = listed.len();
            for (id, role) in super::dmps::shared_with(tx, me)? {
                listed.extend(with(id, role)?);
            }
            own_total + (listed.len() - before)
        } else {
            let needle = q.search.to_lowercase();
            for id in dmps::ids_by_owner(tx, me)? {
                listed.extend(with(id, Role::Owner)?);
            }
            for (id, role) in super::dmps::shared_with(tx, me)? {
                listed.extend(with(id, role)?);
            }
            if !needle.is_empty() {
                listed.retain(|(_, _, s)| s.title.to_lowercase().contains(&needle));
            }
            listed.len()
        };
        match q.order {
            PlanOrder::Updated => {
                listed.sort_by_key(|(id, _, s)| std::cmp::Reverse((s.updated, *id)));
            }
            PlanOrder::Title => {
                listed.sort_by_cached_key(|(id, _, s)| (s.title.to_lowercase(), *id));
            }
        }
        let page = listed.into_iter().skip(q.offset).take(q.limit).collect();
        Ok((page, matching))
    }

    /// A plan's progress at `version` (and its time) under `tpl`, counted from its document
    /// once.
    fn progress_of(
        &self,
        tx: &impl ReadTx,
        id: Oid,
        version: (u64, i64),
        tpl: &Arc<Template>,
    ) -> Result<(usize, usize)> {
        if let Some(counts) = self.progress.get(id, version, tpl) {
            return Ok(counts);
        }
        let Some(rec) = dmps::get(tx, id)? else {
            return Ok((0, 0));
        };
        let counts = tpl.progress(&rec.doc);
        self.progress
            .put(id, (rec.version, rec.updated), tpl, counts);
        Ok(counts)
    }
}

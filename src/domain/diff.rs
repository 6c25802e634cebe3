//! A semantic diff of two plan documents (docs/plan-model.md, "Diff"): the values added,
//! removed and changed, each named by its RFC 6901 JSON pointer, and for two texts the
//! word-level runs that turn one into the other.
//!
//! - Objects recurse key by key; a value whose JSON type differs is one `changed` with both
//!   values; equal values give nothing.
//! - Lists of the plan model are matched by what identifies an element, not by position:
//!   `datasets` by `id`, then `title`; `contributors` by `orcid` (bare or as a URL), then
//!   `email` (any case), then `name`; `costs` by `title`; `versions` by `version`; a
//!   dataset's `formats` and a contributor's `roles` by value. Each identifier is tried in
//!   turn among the elements still unmatched, and two elements whose earlier identifier
//!   differs (two ids) are never paired by a later one (a title). Elements with none of the
//!   identifiers are paired by position among themselves. Every other list is compared by
//!   position.
//! - A matched element is diffed at its index in the newer document. An element that only
//!   moved (same identifier, equal otherwise, another index) is not a change: there is no
//!   `moved` op.
//! - Two strings that differ give `words` (their runs; `old`/`new` are left out, the runs
//!   carry both texts exactly), so a one-word edit of a 100 KB answer costs about 100 KB, not
//!   three times that, and two unrelated texts cost their own size.
//!
//! Pure code: no I/O. The only outside input is the clock, which bounds the time the word
//! diffs of one call may take ([`TEXT_BUDGET`]); past it the remaining texts are still
//! diffed exactly, only more coarsely (common start and end, one deleted and one inserted
//! run between).

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use similar::{Algorithm, DiffOp};
use unicode_script::{Script, UnicodeScript};

/// How long the word diffs of one [`diff`] call may search for the finest runs.
pub const TEXT_BUDGET: Duration = Duration::from_secs(1);

/// One difference between two plan documents.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Change {
    /// RFC 6901 JSON pointer into the NEWER document for added/changed, the OLDER for removed
    /// (for a matched array element: its index in the newer document).
    pub pointer: String,
    pub op: Op,
    /// The older value: for `removed`, and for `changed` unless both values are strings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old: Option<Value>,
    /// The newer value: for `added`, and for `changed` unless both values are strings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<Value>,
    /// For two strings: the word-level runs, in order. `same` + `deleted` joined is the old
    /// text, `same` + `inserted` the new ([`old_text`], [`new_text`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub words: Option<Vec<Run>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Added,
    Removed,
    Changed,
}

/// A stretch of text the two versions share, or that only one of them has. Adjacent runs
/// never have the same op, and no run is empty.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Run {
    pub op: RunOp,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunOp {
    Same,
    Inserted,
    Deleted,
}

/// The differences from `old` to `new`: per level, the removed values first (in the older
/// document's order), then the newer document's values in its order.
pub fn diff(old: &Map<String, Value>, new: &Map<String, Value>) -> Vec<Change> {
    let mut d = Differ::new(true);
    let mut pointer = String::new();
    d.object(&mut pointer, old, new, Place::Root);
    d.out
}

/// The parts that differ, for a revision's summary: top-level keys (escaped as pointer
/// tokens), except that `answers` is reported per question as `answers/<qid>` (and
/// `datasets` as `datasets` once). Sorted, unique. A list whose elements only moved is not
/// a changed part, as in [`diff`].
pub fn changed_parts(old: &Map<String, Value>, new: &Map<String, Value>) -> Vec<String> {
    let mut parts = BTreeSet::new();
    let keys = old
        .keys()
        .chain(new.keys().filter(|k| !old.contains_key(*k)));
    for key in keys {
        let (o, n) = (old.get(key), new.get(key));
        if o == n {
            continue;
        }
        fn answers(v: Option<&Value>) -> Option<Option<&Map<String, Value>>> {
            match v {
                None => Some(None),
                Some(Value::Object(m)) => Some(Some(m)),
                Some(_) => None,
            }
        }
        if key == "answers"
            && let (Some(oa), Some(na)) = (answers(o), answers(n))
        {
            let empty = Map::new();
            let (oa, na) = (oa.unwrap_or(&empty), na.unwrap_or(&empty));
            for qid in oa.keys().chain(na.keys()) {
                if oa.get(qid) != na.get(qid) {
                    let mut part = String::from("answers");
                    push_token(&mut part, qid);
                    parts.insert(part);
                }
            }
            continue;
        }
        let differs = match (o, n) {
            (Some(o), Some(n)) => {
                let mut d = Differ::new(false);
                d.value(&mut String::new(), o, n, Place::Root, key);
                !d.out.is_empty()
            }
            _ => true,
        };
        if differs {
            let mut part = String::new();
            push_token(&mut part, key);
            parts.insert(part.split_off(1));
        }
    }
    parts.into_iter().collect()
}

/// The old text of a string change: its `same` and `deleted` runs joined.
pub fn old_text(runs: &[Run]) -> String {
    joined(runs, RunOp::Deleted)
}

/// The new text of a string change: its `same` and `inserted` runs joined.
pub fn new_text(runs: &[Run]) -> String {
    joined(runs, RunOp::Inserted)
}

fn joined(runs: &[Run], side: RunOp) -> String {
    runs.iter()
        .filter(|r| r.op == RunOp::Same || r.op == side)
        .map(|r| r.text.as_str())
        .collect()
}

/// The word-level runs from `old` to `new` (see [`Change::words`]), searched for at most
/// until `deadline`.
pub fn word_runs<'a>(old: &'a str, new: &'a str, deadline: Option<Instant>) -> Vec<Run> {
    let (old_cuts, new_cuts) = (cuts(old), cuts(new));
    // Tokens as numbers: Myers compares them often.
    let mut numbers: HashMap<&str, u32> = HashMap::new();
    let mut number = |text: &'a str, cuts: &[usize]| -> Vec<u32> {
        cuts.windows(2)
            .map(|w| {
                let next = u32::try_from(numbers.len()).unwrap_or(u32::MAX);
                *numbers.entry(&text[w[0]..w[1]]).or_insert(next)
            })
            .collect()
    };
    let (ot, nt) = (number(old, &old_cuts), number(new, &new_cuts));
    let ops = similar::capture_diff_slices_deadline(Algorithm::Myers, &ot, &nt, deadline);
    let old_span = |start: usize, len: usize| &old[old_cuts[start]..old_cuts[start + len]];
    let new_span = |start: usize, len: usize| &new[new_cuts[start]..new_cuts[start + len]];
    let mut segments = Segments::default();
    for op in ops {
        match op {
            DiffOp::Equal { old_index, len, .. } => segments.same(old_span(old_index, len)),
            DiffOp::Delete {
                old_index, old_len, ..
            } => segments.edit(old_span(old_index, old_len), ""),
            DiffOp::Insert {
                new_index, new_len, ..
            } => segments.edit("", new_span(new_index, new_len)),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => segments.edit(old_span(old_index, old_len), new_span(new_index, new_len)),
        }
    }
    segments.runs()
}

/// Where in the plan model a value sits, for how its lists are matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Root,
    Dataset,
    Contributor,
    Other,
}

/// What identifies an element of a list.
#[derive(Debug, Clone, Copy)]
enum Ident {
    /// A field of an object element, normalised.
    Field(&'static str, Norm),
    /// A scalar element itself.
    Itself,
}

#[derive(Debug, Clone, Copy)]
enum Norm {
    Plain,
    Orcid,
    Email,
}

const DATASET_IDS: &[Ident] = &[
    Ident::Field("id", Norm::Plain),
    Ident::Field("title", Norm::Plain),
];
const CONTRIBUTOR_IDS: &[Ident] = &[
    Ident::Field("orcid", Norm::Orcid),
    Ident::Field("email", Norm::Email),
    Ident::Field("name", Norm::Plain),
];
const COST_IDS: &[Ident] = &[Ident::Field("title", Norm::Plain)];
const VERSION_IDS: &[Ident] = &[Ident::Field("version", Norm::Plain)];
const VALUE_IDS: &[Ident] = &[Ident::Itself];

/// How the elements of the list at `key` inside `parent` are paired, and where its elements
/// sit; `None`: by position.
fn list_matching(parent: Place, key: &str) -> Option<(&'static [Ident], Place)> {
    Some(match (parent, key) {
        (Place::Root, "datasets") => (DATASET_IDS, Place::Dataset),
        (Place::Root, "contributors") => (CONTRIBUTOR_IDS, Place::Contributor),
        (Place::Root, "costs") => (COST_IDS, Place::Other),
        (Place::Root, "versions") => (VERSION_IDS, Place::Other),
        (Place::Dataset, "formats") | (Place::Contributor, "roles") => (VALUE_IDS, Place::Other),
        _ => return None,
    })
}

fn ident_of(element: &Value, ident: Ident) -> Option<String> {
    let scalar = |v: &Value| match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    match ident {
        Ident::Itself => match element {
            // Keep a string apart from a number that prints the same.
            Value::String(_) => scalar(element).map(|s| format!("s{s}")),
            Value::Number(_) | Value::Bool(_) => scalar(element).map(|s| format!("n{s}")),
            _ => None,
        },
        Ident::Field(field, norm) => {
            let s = scalar(element.get(field)?)?;
            Some(match norm {
                Norm::Plain => s,
                Norm::Orcid => s
                    .strip_prefix("https://orcid.org/")
                    .or_else(|| s.strip_prefix("http://orcid.org/"))
                    .unwrap_or(&s)
                    .to_uppercase(),
                Norm::Email => s.to_lowercase(),
            })
        }
    }
}

/// Pairs the elements of two lists by `idents` (see the module's doc): for each old index,
/// the new index it is paired with.
fn pair(old: &[Value], new: &[Value], idents: &[Ident]) -> Vec<Option<usize>> {
    let ids = |list: &[Value]| -> Vec<Vec<Option<String>>> {
        list.iter()
            .map(|e| idents.iter().map(|i| ident_of(e, *i)).collect())
            .collect()
    };
    let (old_ids, new_ids) = (ids(old), ids(new));
    let mut old_to_new: Vec<Option<usize>> = vec![None; old.len()];
    let mut new_taken = vec![false; new.len()];
    for k in 0..idents.len() {
        let mut by_id: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, id) in old_ids.iter().enumerate() {
            if old_to_new[i].is_none()
                && let Some(v) = &id[k]
            {
                by_id.entry(v.as_str()).or_default().push(i);
            }
        }
        for (j, id) in new_ids.iter().enumerate() {
            let Some(v) = &id[k] else { continue };
            if new_taken[j] {
                continue;
            }
            let Some(candidates) = by_id.get_mut(v.as_str()) else {
                continue;
            };
            let compatible = |i: usize| {
                (0..k).all(|l| match (&old_ids[i][l], &new_ids[j][l]) {
                    (Some(a), Some(b)) => a == b,
                    _ => true,
                })
            };
            if let Some(at) = candidates.iter().position(|&i| compatible(i)) {
                let i = candidates.remove(at);
                old_to_new[i] = Some(j);
                new_taken[j] = true;
            }
        }
    }
    let keyless = |ids: &[Vec<Option<String>>], j: usize| ids[j].iter().all(Option::is_none);
    let new_keyless: Vec<usize> = (0..new.len())
        .filter(|&j| !new_taken[j] && keyless(&new_ids, j))
        .collect();
    let old_keyless: Vec<usize> = (0..old.len())
        .filter(|&i| old_to_new[i].is_none() && keyless(&old_ids, i))
        .collect();
    for (i, j) in old_keyless.into_iter().zip(new_keyless) {
        old_to_new[i] = Some(j);
    }
    old_to_new
}

struct Differ {
    out: Vec<Change>,
    /// Whether two strings are diffed word by word (else `old`/`new` are given).
    words: bool,
    deadline: Option<Instant>,
}

impl Differ {
    fn new(words: bool) -> Self {
        Differ {
            out: Vec::new(),
            words,
            deadline: Instant::now().checked_add(TEXT_BUDGET),
        }
    }

    fn emit(&mut self, pointer: &str, op: Op, old: Option<&Value>, new: Option<&Value>) {
        self.out.push(Change {
            pointer: pointer.to_owned(),
            op,
            old: old.cloned(),
            new: new.cloned(),
            words: None,
        });
    }

    fn object(
        &mut self,
        pointer: &mut String,
        old: &Map<String, Value>,
        new: &Map<String, Value>,
        place: Place,
    ) {
        let len = pointer.len();
        for (key, o) in old {
            if !new.contains_key(key) {
                push_token(pointer, key);
                self.emit(pointer, Op::Removed, Some(o), None);
                pointer.truncate(len);
            }
        }
        for (key, n) in new {
            push_token(pointer, key);
            match old.get(key) {
                Some(o) => self.value(pointer, o, n, place, key),
                None => self.emit(pointer, Op::Added, None, Some(n)),
            }
            pointer.truncate(len);
        }
    }

    /// The value at `pointer`, which is `key` inside an object at `parent`.
    fn value(&mut self, pointer: &mut String, old: &Value, new: &Value, parent: Place, key: &str) {
        if old == new {
            return;
        }
        match (old, new) {
            // A nested object (`grant`, a dataset's `repository`): its lists are plain.
            (Value::Object(o), Value::Object(n)) => self.object(pointer, o, n, Place::Other),
            (Value::Array(o), Value::Array(n)) => match list_matching(parent, key) {
                Some((idents, place)) => self.matched_list(pointer, o, n, idents, place),
                None => self.positional_list(pointer, o, n),
            },
            (Value::String(o), Value::String(n)) if self.words => {
                self.out.push(Change {
                    pointer: pointer.clone(),
                    op: Op::Changed,
                    old: None,
                    new: None,
                    words: Some(word_runs(o, n, self.deadline)),
                });
            }
            _ => self.emit(pointer, Op::Changed, Some(old), Some(new)),
        }
    }

    /// An element of a list (never itself keyed by the plan model: lists of lists are
    /// compared by position).
    fn element(&mut self, pointer: &mut String, old: &Value, new: &Value, place: Place) {
        match (old, new) {
            (Value::Object(o), Value::Object(n)) if old != new => {
                self.object(pointer, o, n, place);
            }
            _ => self.value(pointer, old, new, Place::Other, ""),
        }
    }

    fn positional_list(&mut self, pointer: &mut String, old: &[Value], new: &[Value]) {
        let len = pointer.len();
        for (i, (o, n)) in old.iter().zip(new).enumerate() {
            push_index(pointer, i);
            self.element(pointer, o, n, Place::Other);
            pointer.truncate(len);
        }
        for (i, o) in old.iter().enumerate().skip(new.len()) {
            push_index(pointer, i);
            self.emit(pointer, Op::Removed, Some(o), None);
            pointer.truncate(len);
        }
        for (i, n) in new.iter().enumerate().skip(old.len()) {
            push_index(pointer, i);
            self.emit(pointer, Op::Added, None, Some(n));
            pointer.truncate(len);
        }
    }

    fn matched_list(
        &mut self,
        pointer: &mut String,
        old: &[Value],
        new: &[Value],
        idents: &[Ident],
        place: Place,
    ) {
        let old_to_new = pair(old, new, idents);
        let mut new_to_old: Vec<Option<usize>> = vec![None; new.len()];
        let len = pointer.len();
        for (i, paired) in old_to_new.iter().enumerate() {
            match paired {
                Some(j) => new_to_old[*j] = Some(i),
                None => {
                    push_index(pointer, i);
                    self.emit(pointer, Op::Removed, Some(&old[i]), None);
                    pointer.truncate(len);
                }
            }
        }
        for (j, n) in new.iter().enumerate() {
            push_index(pointer, j);
            match new_to_old[j] {
                Some(i) => self.element(pointer, &old[i], n, place),
                None => self.emit(pointer, Op::Added, None, Some(n)),
            }
            pointer.truncate(len);
        }
    }
}

/// Appends `/token` to a JSON pointer, `~` and `/` escaped as RFC 6901 says.
fn push_token(pointer: &mut String, token: &str) {
    pointer.push('/');
    for c in token.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

fn push_index(pointer: &mut String, index: usize) {
    pointer.push('/');
    pointer.push_str(&index.to_string());
}

/// How a character takes part in a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Part of a run of letters, digits, marks, symbols (emoji included).
    Word,
    /// Part of a run of white space.
    Space,
    /// A token by itself: punctuation, and the letters of scripts written without spaces
    /// between words (Han, kana, Thai, Lao, Khmer, Myanmar).
    Alone,
}

fn class(c: char) -> Class {
    if c.is_whitespace() {
        return Class::Space;
    }
    if is_punctuation(c) {
        return Class::Alone;
    }
    // The scripts below start at Thai (U+0E00): no table look-up for the alphabets before.
    if c < '\u{0E00}' {
        return Class::Word;
    }
    match c.script() {
        Script::Han
        | Script::Hiragana
        | Script::Katakana
        | Script::Thai
        | Script::Lao
        | Script::Khmer
        | Script::Myanmar => Class::Alone,
        _ => Class::Word,
    }
}

/// ASCII punctuation and the common punctuation of other scripts (Arabic, CJK, typographic
/// quotes and dashes). Joiners (U+200C, U+200D) are not: they belong to their word.
fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(c,
            '\u{00A1}' | '\u{00A7}' | '\u{00AB}' | '\u{00B6}' | '\u{00B7}' | '\u{00BB}' | '\u{00BF}'
            | '\u{060C}' | '\u{061B}' | '\u{061F}' | '\u{06D4}'
            | '\u{2010}'..='\u{2027}' | '\u{2030}'..='\u{205E}'
            | '\u{3001}'..='\u{3003}' | '\u{3008}'..='\u{3011}' | '\u{3014}'..='\u{301F}'
            | '\u{FF01}'..='\u{FF0F}' | '\u{FF1A}'..='\u{FF20}' | '\u{FF3B}'..='\u{FF40}'
            | '\u{FF5B}'..='\u{FF65}')
}

/// The byte offsets where the tokens of `text` start, and its length last.
fn cuts(text: &str) -> Vec<usize> {
    let mut cuts = Vec::new();
    let mut prev: Option<Class> = None;
    for (at, c) in text.char_indices() {
        let now = class(c);
        if prev != Some(now) || now == Class::Alone {
            cuts.push(at);
        }
        prev = Some(now);
    }
    cuts.push(text.len());
    cuts
}

/// The runs of a word diff as they are built: shared text and edits alternate. A short
/// shared stretch between two edits at least as long (a space, "the") is folded into
/// them, as diff-match-patch's semantic clean-up does, so two unrelated texts give one
/// deleted and one inserted run, not a run per word.
#[derive(Default)]
struct Segments {
    list: Vec<Segment>,
}

enum Segment {
    Same(String, usize),
    Edit(Edit),
}

#[derive(Default)]
struct Edit {
    deleted: String,
    deleted_chars: usize,
    inserted: String,
    inserted_chars: usize,
}

impl Edit {
    fn size(&self) -> usize {
        self.deleted_chars.max(self.inserted_chars)
    }

    fn append(&mut self, deleted: &str, inserted: &str) {
        self.deleted.push_str(deleted);
        self.deleted_chars += deleted.chars().count();
        self.inserted.push_str(inserted);
        self.inserted_chars += inserted.chars().count();
    }
}

impl Segments {
    fn same(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        match self.list.last_mut() {
            Some(Segment::Same(s, n)) => {
                s.push_str(text);
                *n += text.chars().count();
            }
            _ => self
                .list
                .push(Segment::Same(text.to_owned(), text.chars().count())),
        }
    }

    fn edit(&mut self, deleted: &str, inserted: &str) {
        if deleted.is_empty() && inserted.is_empty() {
            return;
        }
        if let Some(Segment::Edit(last)) = self.list.last_mut() {
            last.append(deleted, inserted);
        } else {
            let mut edit = Edit::default();
            edit.append(deleted, inserted);
            self.list.push(Segment::Edit(edit));
        }
        self.fold();
    }

    /// Folds `[Edit a, Same s, Edit b]` at the end into one edit while `s` is no longer
    /// than either edit.
    fn fold(&mut self) {
        while let [
            ..,
            Segment::Edit(a),
            Segment::Same(_, s_chars),
            Segment::Edit(b),
        ] = self.list.as_slice()
        {
            if *s_chars > a.size() || *s_chars > b.size() {
                return;
            }
            let (Some(Segment::Edit(b)), Some(Segment::Same(s, _))) =
                (self.list.pop(), self.list.pop())
            else {
                return;
            };
            if let Some(Segment::Edit(a)) = self.list.last_mut() {
                a.append(&s, &s);
                a.append(&b.deleted, &b.inserted);
            }
        }
    }

    fn runs(self) -> Vec<Run> {
        let mut runs = Vec::new();
        for segment in self.list {
            match segment {
                Segment::Same(text, _) => runs.push(Run {
                    op: RunOp::Same,
                    text,
                }),
                Segment::Edit(edit) => {
                    if !edit.deleted.is_empty() {
                        runs.push(Run {
                            op: RunOp::Deleted,
                            text: edit.deleted,
                        });
                    }
                    if !edit.inserted.is_empty() {
                        runs.push(Run {
                            op: RunOp::Inserted,
                            text: edit.inserted,
                        });
                    }
                }
            }
        }
        runs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            other => panic!("not an object: {other}"),
        }
    }

    fn run(old: Value, new: Value) -> Vec<Change> {
        diff(&map(old), &map(new))
    }

    fn changed(pointer: &str, old: Value, new: Value) -> Change {
        Change {
            pointer: pointer.into(),
            op: Op::Changed,
            old: Some(old),
            new: Some(new),
            words: None,
        }
    }

    fn added(pointer: &str, new: Value) -> Change {
        Change {
            pointer: pointer.into(),
            op: Op::Added,
            old: None,
            new: Some(new),
            words: None,
        }
    }

    fn removed(pointer: &str, old: Value) -> Change {
        Change {
            pointer: pointer.into(),
            op: Op::Removed,
            old: Some(old),
            new: None,
            words: None,
        }
    }

    /// The pointers and ops of a diff, and for string changes the texts they reassemble.
    fn summary(changes: &[Change]) -> Vec<String> {
        changes
            .iter()
            .map(|c| match &c.words {
                Some(w) => format!(
                    "{} {:?} {:?} -> {:?}",
                    c.pointer,
                    c.op,
                    old_text(w),
                    new_text(w)
                ),
                None => format!("{} {:?}", c.pointer, c.op),
            })
            .collect()
    }

    fn r(op: RunOp, text: &str) -> Run {
        Run {
            op,
            text: text.into(),
        }
    }

    /// The runs reassemble both texts, none is empty, no two neighbours share an op.
    fn check_runs(old: &str, new: &str) -> Vec<Run> {
        let runs = word_runs(old, new, None);
        assert_eq!(old_text(&runs), old, "old of {runs:?}");
        assert_eq!(new_text(&runs), new, "new of {runs:?}");
        assert!(runs.iter().all(|r| !r.text.is_empty()), "{runs:?}");
        assert!(runs.windows(2).all(|w| w[0].op != w[1].op), "{runs:?}");
        runs
    }

    #[test]
    fn equal_documents_give_nothing() {
        let plan =
            json!({"name": "A", "datasets": [{"id": "a", "title": "T"}], "answers": {"q": "x"}});
        assert_eq!(run(plan.clone(), plan), vec![]);
        assert_eq!(run(json!({}), json!({})), vec![]);
    }

    #[test]
    fn scalars_added_removed_and_changed() {
        let changes = run(
            json!({"amount": 1, "flag": true, "gone": "x", "same": 5}),
            json!({"amount": 2, "flag": false, "same": 5, "new": null}),
        );
        assert_eq!(
            changes,
            vec![
                removed("/gone", json!("x")),
                changed("/amount", json!(1), json!(2)),
                changed("/flag", json!(true), json!(false)),
                added("/new", json!(null)),
            ]
        );
        let text = run(
            json!({"name": "Night sky"}),
            json!({"name": "Night sky survey"}),
        );
        assert_eq!(
            text,
            vec![Change {
                pointer: "/name".into(),
                op: Op::Changed,
                old: None,
                new: None,
                words: Some(vec![
                    r(RunOp::Same, "Night sky"),
                    r(RunOp::Inserted, " survey")
                ]),
            }]
        );
        let wire = serde_json::to_value(&text[0]).unwrap();
        assert_eq!(
            wire,
            json!({"pointer": "/name", "op": "changed", "words": [
                {"op": "same", "text": "Night sky"}, {"op": "inserted", "text": " survey"}]})
        );
        assert_eq!(
            serde_json::to_value(removed("/x", json!(1))).unwrap(),
            json!({"pointer": "/x", "op": "removed", "old": 1})
        );
    }

    #[test]
    fn nested_objects_recurse() {
        let changes = run(
            json!({"grant": {"title": "T", "funder": {"name": "EC", "ror": "00k4n6c32"}, "call": "C1"}}),
            json!({"grant": {"title": "T", "funder": {"name": "EC", "ror": "02p0gd045"}, "start": "2024-01-01"}}),
        );
        assert_eq!(
            summary(&changes),
            [
                "/grant/call Removed",
                "/grant/funder/ror Changed \"00k4n6c32\" -> \"02p0gd045\"",
                "/grant/start Added",
            ]
        );
    }

    #[test]
    fn type_changes_are_one_change() {
        let changes = run(
            json!({"a": "1", "b": {"x": 1}, "c": [1], "d": null, "answers": {"q": null}}),
            json!({"a": 1, "b": [1], "c": {"x": 1}, "d": "now", "answers": {"q": "text"}}),
        );
        assert_eq!(
            changes,
            vec![
                changed("/a", json!("1"), json!(1)),
                changed("/b", json!({"x": 1}), json!([1])),
                changed("/c", json!([1]), json!({"x": 1})),
                changed("/d", json!(null), json!("now")),
                changed("/answers/q", json!(null), json!("text")),
            ]
        );
    }

    #[test]
    fn datasets_are_matched_by_id_not_position() {
        let a = json!({"id": "a", "title": "Photometry", "description": "Light curves", "formats": ["csv"]});
        let b = json!({"id": "b", "title": "Spectra", "access": "open"});
        let c = json!({"id": "c", "title": "Images"});
        let mut a2 = a.clone();
        a2["description"] = json!("Light curves of 300 stars");
        // Reordered, one edited: only the edited field, at its index in the newer document.
        let changes = run(
            json!({"datasets": [a.clone(), b.clone(), c.clone()]}),
            json!({"datasets": [c.clone(), a2.clone(), b.clone()]}),
        );
        assert_eq!(
            summary(&changes),
            ["/datasets/1/description Changed \"Light curves\" -> \"Light curves of 300 stars\""]
        );
        // Moved only: no change at all.
        assert_eq!(
            run(
                json!({"datasets": [a.clone(), b.clone(), c.clone()]}),
                json!({"datasets": [b.clone(), c.clone(), a.clone()]})
            ),
            vec![]
        );
        // One removed, one added: the removed at its old index, the added at its new one.
        let changes = run(
            json!({"datasets": [a.clone(), b.clone(), c.clone()]}),
            json!({"datasets": [c.clone(), json!({"id": "d", "title": "Spectra"}), a.clone()]}),
        );
        assert_eq!(
            changes,
            vec![
                removed("/datasets/1", b.clone()),
                added("/datasets/1", json!({"id": "d", "title": "Spectra"})),
            ],
            "a different id is another dataset, even with the same title"
        );
    }

    #[test]
    fn datasets_without_id_fall_back_to_title_then_position() {
        let changes = run(
            json!({"datasets": [{"title": "A", "type": "x"}, {"title": "B"}, {"type": "p"}, {"type": "q"}]}),
            json!({"datasets": [{"type": "p2"}, {"title": "B", "type": "y"}, {"id": "a", "title": "A", "type": "x"}, {"type": "q"}]}),
        );
        assert_eq!(
            summary(&changes),
            [
                // The first keyless with the first keyless (the second stays equal).
                "/datasets/0/type Changed \"p\" -> \"p2\"",
                "/datasets/1/type Added",
                // Gained an id: still paired, by title.
                "/datasets/2/id Added",
            ]
        );
    }

    #[test]
    fn contributors_costs_versions_and_value_lists() {
        let changes = run(
            json!({
                "contributors": [
                    {"name": "Ana", "email": "Ana@Example.org", "roles": ["contact", "data_steward"]},
                    {"name": "Bo", "orcid": "0000-0002-1825-0097"},
                    {"name": "Cy"}
                ],
                "costs": [{"title": "Storage", "amount": 10}, {"title": "Staff", "amount": 5}],
                "versions": [{"version": "1.0", "changes": "First"}]
            }),
            json!({
                "contributors": [
                    {"name": "Cy", "affiliation": "UCM"},
                    {"name": "Bo Li", "orcid": "https://orcid.org/0000-0002-1825-0097"},
                    {"name": "Ana", "email": "ana@example.org", "orcid": "0000-0001-5109-3700", "roles": ["data_steward"]}
                ],
                "costs": [{"title": "Staff", "amount": 5}, {"title": "Storage", "amount": 12}],
                "versions": [{"version": "0.9"}, {"version": "1.0", "changes": "First"}]
            }),
        );
        assert_eq!(
            summary(&changes),
            [
                "/contributors/0/affiliation Added",
                "/contributors/1/name Changed \"Bo\" -> \"Bo Li\"",
                "/contributors/1/orcid Changed \"0000-0002-1825-0097\" -> \"https://orcid.org/0000-0002-1825-0097\"",
                "/contributors/2/email Changed \"Ana@Example.org\" -> \"ana@example.org\"",
                "/contributors/2/orcid Added",
                "/contributors/2/roles/0 Removed",
                "/costs/1/amount Changed",
                "/versions/0 Added",
            ]
        );
        assert_eq!(
            changes[5],
            removed("/contributors/2/roles/0", json!("contact"))
        );
    }

    #[test]
    fn unknown_keys_are_diffed_generically() {
        let changes = run(
            json!({"extra": {"list": [1, 2, 3], "deep": {"k": "v"}}, "tags": ["a", "b"], "gone": [1]}),
            json!({"extra": {"list": [1, 3], "deep": {"k": "v", "k2": 2}}, "tags": ["b", "a"]}),
        );
        assert_eq!(
            changes,
            vec![
                removed("/gone", json!([1])),
                changed("/extra/list/1", json!(2), json!(3)),
                removed("/extra/list/2", json!(3)),
                added("/extra/deep/k2", json!(2)),
                Change {
                    pointer: "/tags/0".into(),
                    op: Op::Changed,
                    old: None,
                    new: None,
                    words: Some(vec![r(RunOp::Deleted, "a"), r(RunOp::Inserted, "b")]),
                },
                Change {
                    pointer: "/tags/1".into(),
                    op: Op::Changed,
                    old: None,
                    new: None,
                    words: Some(vec![r(RunOp::Deleted, "b"), r(RunOp::Inserted, "a")]),
                },
            ],
            "unknown lists go by position"
        );
        // A list inside a dataset's nested object is not a plan-model list.
        let changes = run(
            json!({"datasets": [{"id": "a", "repository": {"formats": ["x", "y"]}, "formats": ["x", "y"]}]}),
            json!({"datasets": [{"id": "a", "repository": {"formats": ["y"]}, "formats": ["y"]}]}),
        );
        assert_eq!(
            summary(&changes),
            [
                "/datasets/0/repository/formats/0 Changed \"x\" -> \"y\"",
                "/datasets/0/repository/formats/1 Removed",
                "/datasets/0/formats/0 Removed",
            ]
        );
    }

    #[test]
    fn pointers_escape_tilde_and_slash() {
        let changes = run(
            json!({"answers": {"a/b": "one", "c~d": "x"}, "k/~": 1}),
            json!({"answers": {"a/b": "two", "c~d": "x", "~/": "new"}, "k/~": 2}),
        );
        let pointers: Vec<&str> = changes.iter().map(|c| c.pointer.as_str()).collect();
        assert_eq!(pointers, ["/answers/a~1b", "/answers/~0~1", "/k~1~0"]);
        let doc = json!({"answers": {"a/b": "two", "~/": "new"}, "k/~": 2});
        for c in &changes {
            assert!(doc.pointer(&c.pointer).is_some(), "{}", c.pointer);
        }
    }

    #[test]
    fn answers_get_a_word_diff_that_reassembles_both_texts() {
        let old = "We keep the data for **ten** years in Zenodo.\n\n- raw\n- processed";
        let new =
            "We keep the data for **fifteen** years in Zenodo, then review.\n\n- raw\n- processed";
        let changes = run(
            json!({"answers": {"q1": old}}),
            json!({"answers": {"q1": new}}),
        );
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].pointer, "/answers/q1");
        let words = changes[0].words.clone().unwrap();
        assert_eq!(old_text(&words), old);
        assert_eq!(new_text(&words), new);
        assert_eq!(
            words,
            vec![
                r(RunOp::Same, "We keep the data for **"),
                r(RunOp::Deleted, "ten"),
                r(RunOp::Inserted, "fifteen"),
                r(RunOp::Same, "** years in Zenodo"),
                r(RunOp::Inserted, ", then review"),
                r(RunOp::Same, ".\n\n- raw\n- processed"),
            ]
        );
    }

    #[test]
    fn word_runs_reassemble_any_text() {
        for (old, new) in [
            ("", ""),
            ("", "new text"),
            ("old text", ""),
            ("a b c", "a c"),
            ("one two three", "four five six"),
            ("tab\tand  spaces\n", "tab and spaces\r\n"),
            (
                "نحفظ البيانات لمدة عشر سنوات.",
                "نحفظ البيانات لمدة خمس عشرة سنة، ثم نراجعها.",
            ),
            ("نَحْفَظُ البَيَانَات", "نَحْفَظُ البَيَانَاتِ"),
            ("数据保存十年。", "数据保存十五年，然后审查。"),
            ("データを十年間保存します", "データを五年間保存します"),
            ("데이터를 10년 보관", "데이터를 15년 보관합니다"),
            ("ข้อมูลเก็บไว้สิบปี", "ข้อมูลเก็บไว้ห้าปี"),
            ("Done 👍 today 🇪🇸", "Done 👍🏽 today 🇫🇷!"),
            ("family 👨‍👩‍👧 here", "family 👨‍👩‍👦 here"),
            ("mixed 中文 and English", "mixed 中国 and english"),
            ("e\u{301}te\u{301}", "e\u{301}te"),
        ] {
            check_runs(old, new);
            check_runs(new, old);
        }
        assert_eq!(
            check_runs("数据保存十年。", "数据保存十五年。"),
            vec![
                r(RunOp::Same, "数据保存十"),
                r(RunOp::Inserted, "五"),
                r(RunOp::Same, "年。")
            ],
            "CJK goes per character"
        );
        assert_eq!(
            check_runs(
                "نحفظ البيانات لمدة عشر سنوات",
                "نحفظ البيانات لمدة خمس سنوات"
            ),
            vec![
                r(RunOp::Same, "نحفظ البيانات لمدة "),
                r(RunOp::Deleted, "عشر"),
                r(RunOp::Inserted, "خمس"),
                r(RunOp::Same, " سنوات"),
            ]
        );
    }

    /// A 100 KB text of distinct words.
    fn long_text(seed: u64, bytes: usize) -> String {
        let mut text = String::with_capacity(bytes + 16);
        let mut x = seed;
        while text.len() < bytes {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let len = 2 + (x >> 60) as usize;
            for k in 0..len {
                text.push(char::from(b'a' + (x.rotate_right(k as u32 * 5) % 26) as u8));
            }
            text.push(if (x >> 40).is_multiple_of(13) {
                '\n'
            } else {
                ' '
            });
        }
        text
    }

    #[test]
    fn a_100_kb_answer_with_one_word_changed() {
        let old = long_text(1, 100_000);
        let at = old[50_000..].find(' ').unwrap() + 50_001;
        let end = at + old[at..].find([' ', '\n']).unwrap();
        let new = format!("{}CHANGED{}", &old[..at], &old[end..]);
        let started = Instant::now();
        let changes = run(
            json!({"answers": {"q": old}}),
            json!({"answers": {"q": new}}),
        );
        eprintln!("100 KB answer, one word changed: {:?}", started.elapsed());
        let words = changes[0].words.clone().unwrap();
        assert_eq!(
            words,
            vec![
                r(RunOp::Same, &old[..at]),
                r(RunOp::Deleted, &old[at..end]),
                r(RunOp::Inserted, "CHANGED"),
                r(RunOp::Same, &old[end..]),
            ]
        );
    }

    #[test]
    fn unrelated_long_texts_cost_no_more_than_themselves() {
        let (old, new) = (long_text(1, 100_000), long_text(2, 100_000));
        let started = Instant::now();
        let changes = run(
            json!({"answers": {"q": old}}),
            json!({"answers": {"q": new}}),
        );
        eprintln!("two unrelated 100 KB answers: {:?}", started.elapsed());
        let words = changes[0].words.clone().unwrap();
        assert_eq!(old_text(&words), old);
        assert_eq!(new_text(&words), new);
        // Bounded by the two texts as JSON strings (a newline is two bytes there) and the
        // few bytes a run and the change add.
        let texts = |a: &str, b: &str| {
            serde_json::to_string(a).unwrap().len() + serde_json::to_string(b).unwrap().len()
        };
        let size = serde_json::to_string(&changes).unwrap().len();
        eprintln!("{} runs, {size} bytes of JSON", words.len());
        assert!(
            size <= texts(&old, &new) + 200,
            "{size} bytes, {} runs",
            words.len()
        );
        // Text with many small shared words folds them into the edits too.
        let (old, new) = (
            "the cat and the dog ".repeat(2_000),
            "a fox or the hen ".repeat(2_000),
        );
        let runs = check_runs(&old, &new);
        let size = serde_json::to_string(&runs).unwrap().len();
        assert!(
            size <= texts(&old, &new) + 200,
            "{size} bytes, {} runs",
            runs.len()
        );
    }

    #[test]
    fn past_the_deadline_texts_are_still_exact_only_coarser() {
        let old = "Keep the data ten years, then review the data.";
        let new = "Keep the data five years, then delete the data.";
        let runs = word_runs(old, new, Some(Instant::now()));
        assert_eq!(old_text(&runs), old);
        assert_eq!(new_text(&runs), new);
        assert_eq!(runs.first(), Some(&r(RunOp::Same, "Keep the data ")));
        assert_eq!(runs.last(), Some(&r(RunOp::Same, " the data.")));
    }

    #[test]
    fn changed_parts_name_answers_per_question() {
        let old = json!({
            "name": "A", "purpose": "p", "k/x": 1,
            "datasets": [{"id": "a", "title": "A"}, {"id": "b", "title": "B"}],
            "contributors": [{"name": "X"}, {"name": "Y"}],
            "answers": {"q1": "one", "q2": "two", "a/b": "x", "gone": "y"}
        });
        let new = json!({
            "name": "A", "purpose": "p2", "k/x": 2, "language": "es",
            "datasets": [{"id": "a", "title": "A2"}, {"id": "b", "title": "B2"}],
            "contributors": [{"name": "Y"}, {"name": "X"}],
            "answers": {"q1": "one", "q2": "TWO", "a/b": "z", "q3": null}
        });
        assert_eq!(
            changed_parts(&map(old.clone()), &map(new.clone())),
            [
                "answers/a~1b",
                "answers/gone",
                "answers/q2",
                "answers/q3",
                "datasets",
                "k~1x",
                "language",
                "purpose"
            ]
        );
        assert_eq!(
            changed_parts(&map(new.clone()), &map(new.clone())),
            Vec::<String>::new()
        );
        // Answers added or removed as a whole still count per question; a non-object once.
        assert_eq!(
            changed_parts(
                &map(json!({})),
                &map(json!({"answers": {"q1": "x", "q2": null}}))
            ),
            ["answers/q1", "answers/q2"]
        );
        assert_eq!(
            changed_parts(
                &map(json!({"answers": 5})),
                &map(json!({"answers": {"q1": "x"}}))
            ),
            ["answers"]
        );
    }
}

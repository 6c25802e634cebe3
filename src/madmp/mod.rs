//! The RDA DMP Common Standard, maDMP 1.3 (and 1.2 on request): a DMP as a maDMP
//! document and back. Documents are kept and built in 1.3 form; a 1.2 export is the 1.3
//! one written down to 1.2 (`versions`), and a 1.2 import is lifted to 1.3 first.
//!
//! A DMP's answers export into one maDMP `dmp` with one `dataset` (see `mapping` for each
//! field, and docs/madmp.md). Every answer also travels in the extension block
//! `dmp.x_dmptool.answers`, so no text is lost. An imported document is kept whole in the
//! DMP (key `madmp`); exporting such a DMP starts from that document and rewrites only
//! the parts whose answers have changed since, so an imported plan comes back out as it
//! went in. Nothing here knows about storage or HTTP.

pub mod funders;
pub mod license;
pub mod mapping;
pub mod schema;
pub mod versions;

use serde_json::{Map, Value, json};

use crate::domain::time::{iso8601, parse_iso8601};
use mapping::{UNITS, Unit, UnitCtx};
pub use schema::{MadmpError, Version, Violation};

type Obj = Map<String, Value>;

/// The media type of maDMP 1.2 documents (RDA Common maDMP API).
pub const MEDIA_TYPE_1_2: &str = "application/vnd.org.rd-alliance.dmp-common.v1.2+json";
/// The media type of maDMP 1.3 documents, the Common maDMP API 1.0.0's default.
pub const MEDIA_TYPE: &str = "application/vnd.org.rd-alliance.dmp-common.v1.3+json";
/// The DMP key that keeps an imported maDMP document whole.
pub const STORED_KEY: &str = "madmp";
/// The extension block in `dmp` that carries every questionnaire answer.
pub const EXTENSION: &str = "x_dmptool";

/// The keys the frontend's questionnaire sends, all text except `tags` (a list).
pub const QUESTIONNAIRE_KEYS: [&str; 32] = [
    "name",
    "purpose",
    "description",
    "project",
    "project_description",
    "reuse",
    "reuse_url",
    "use_data",
    "use_data_url",
    "contribution_size",
    "number_contributions",
    "interest",
    "community",
    "sharing",
    "keywords",
    "tags",
    "embargo",
    "embargo_date",
    "reason",
    "license",
    "conditions",
    "vocabulary",
    "vocabulary_text",
    "data_used",
    "list_projects",
    "quality",
    "quality_text",
    "personal",
    "personal_text",
    "protected_geolocation",
    "protected_geolocation_text",
    "size_dataset",
];

/// What an export needs to know besides the DMP's answers.
pub struct ExportCtx<'a> {
    /// This DMP's URL on this server: its `dmp_id` unless it carries a registered one.
    pub dmp_url: &'a str,
    /// The owner's identifier (a URL of this server): the contact's `contact_id`.
    pub contact_url: &'a str,
    /// The base URL assumed for identifiers when no `public_url` is configured (said in
    /// `x_dmptool.assumed_base_url`); `None` when the base is configured.
    pub assumed_base: Option<&'a str>,
    /// The owner, the plan's contact.
    pub owner_name: &'a str,
    pub owner_email: Option<&'a str>,
    /// Milliseconds since the epoch.
    pub created: i64,
    pub modified: i64,
}

/// A DMP built from a maDMP document.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The DMP's fields: questionnaire answers plus the whole document under `madmp`.
    pub fields: Obj,
    /// The plan's creation time, from the document.
    pub created: Option<i64>,
}

/// The answers of a DMP: its fields without the stored document.
fn answers_of(fields: &Obj) -> Obj {
    let mut a = fields.clone();
    a.remove(STORED_KEY);
    a
}

/// A DMP as a maDMP document of `version` that validates against that version's
/// official schema (an `Err` is a fault of ours).
pub fn export(fields: &Obj, ctx: &ExportCtx, version: Version) -> Result<Value, MadmpError> {
    let mut doc = export_1_3(fields, ctx)?;
    match version {
        Version::V1_3 => {
            funders::prefer_ror(&mut doc);
            Ok(doc)
        }
        Version::V1_2 => {
            let doc = versions::down_to_1_2(doc);
            schema::validate_as(&doc, Version::V1_2).map_err(MadmpError::in_export)?;
            Ok(doc)
        }
    }
}

/// The 1.3 document, validated against the official 1.3 schema.
fn export_1_3(fields: &Obj, ctx: &ExportCtx) -> Result<Value, MadmpError> {
    let answers = answers_of(fields);
    let created_date = iso8601(ctx.created);
    let unit_ctx = UnitCtx {
        created_date: created_date.get(..10).unwrap_or("1970-01-01"),
    };
    if let Some(base) = fields
        .get(STORED_KEY)
        .filter(|b| b.pointer("/dmp").is_some_and(Value::is_object))
    {
        let mut out = overlay(base.clone(), &answers, ctx, &unit_ctx);
        versions::for_output(&mut out, ctx.assumed_base);
        if schema::validate(&out).is_ok() {
            return Ok(out);
        }
        // The stored document was changed into something invalid: start afresh.
    }
    let mut out = fresh(&answers, ctx, &unit_ctx);
    versions::for_output(&mut out, ctx.assumed_base);
    schema::validate(&out).map_err(MadmpError::in_export)?;
    Ok(out)
}

fn fresh(answers: &Obj, ctx: &ExportCtx, unit_ctx: &UnitCtx) -> Value {
    let mut dmp = Obj::new();
    dmp.insert("title".into(), json!(mapping::title_text(answers)));
    dmp.insert(
        "dmp_id".into(),
        json!({"identifier": ctx.dmp_url, "type": "url"}),
    );
    dmp.insert(
        "contact".into(),
        json!({
            "name": ctx.owner_name,
            "mbox": mailbox(ctx),
            "contact_id": {"identifier": ctx.contact_url, "type": "url"},
        }),
    );
    dmp.insert("created".into(), json!(iso8601(ctx.created)));
    let title = mapping::title_text(answers).to_owned();
    let dataset_id = mapping::dataset_id_for(Some(ctx.dmp_url));
    dmp.insert(
        "dataset".into(),
        json!([mapping::new_dataset(&title, dataset_id)]),
    );
    for unit in UNITS {
        (unit.export)(answers, &mut dmp, unit_ctx);
    }
    finish(&mut dmp, answers, ctx);
    json!({ "dmp": dmp })
}

/// The contact's address: the owner's e-mail. The schema requires one; an account without
/// an address gets its username when that is an address, else `<username>@users.invalid`
/// (a reserved domain, RFC 2606: plainly no real mailbox).
fn mailbox(ctx: &ExportCtx) -> String {
    if let Some(email) = ctx.owner_email.filter(|e| !e.trim().is_empty()) {
        return email.to_owned();
    }
    if crate::domain::values::Email::parse(ctx.owner_name).is_ok() {
        return ctx.owner_name.to_owned();
    }
    let local: String = ctx
        .owner_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let local = if local.is_empty() {
        "owner".to_owned()
    } else {
        local
    };
    format!("{local}@users.invalid")
}

/// Brings a stored document up to date: units whose answers differ from what the
/// document says are rewritten; everything else stays as the document has it.
fn overlay(mut base: Value, answers: &Obj, ctx: &ExportCtx, unit_ctx: &UnitCtx) -> Value {
    let said = import_answers(&base);
    if let Some(dmp) = base.get_mut("dmp").and_then(Value::as_object_mut) {
        for unit in UNITS {
            if unit
                .keys
                .iter()
                .any(|k| norm(answers.get(*k)) != norm(said.get(*k)))
            {
                (unit.export)(answers, dmp, unit_ctx);
            }
        }
        // The plan's creation time is the record's; keep the document's spelling of it.
        let same = dmp
            .get("created")
            .and_then(Value::as_str)
            .and_then(parse_iso8601)
            == Some(ctx.created);
        if !same {
            dmp.insert("created".into(), json!(iso8601(ctx.created)));
        }
        finish(dmp, answers, ctx);
    }
    base
}

/// What the server always sets: the modification time and the answers block.
fn finish(dmp: &mut Obj, answers: &Obj, ctx: &ExportCtx) {
    dmp.insert("modified".into(), json!(iso8601(ctx.modified)));
    let notes = mapping::notes(answers);
    if notes.is_empty() {
        dmp.insert(EXTENSION.into(), json!({ "answers": answers }));
    } else {
        dmp.insert(
            EXTENSION.into(),
            json!({ "answers": answers, "notes": notes }),
        );
    }
}

/// Answers compare as text: absent, null and "" are the same.
fn norm(v: Option<&Value>) -> Value {
    match v {
        None | Some(Value::Null) => Value::String(String::new()),
        Some(Value::String(s)) => Value::String(s.trim().to_owned()),
        Some(v) => v.clone(),
    }
}

/// The answers a document gives. Each unit reads its part of the document; where the
/// document's extension block carries answers that write that part exactly as it is,
/// those answers are taken instead (they are what a dmptool export put there).
fn import_answers(doc: &Value) -> Obj {
    let mut answers = Obj::new();
    for k in QUESTIONNAIRE_KEYS {
        let empty = if k == "tags" { json!([]) } else { json!("") };
        answers.insert(k.into(), empty);
    }
    let Some(dmp) = doc.get("dmp").and_then(Value::as_object) else {
        return answers;
    };
    let ext: Option<Obj> = dmp
        .get(EXTENSION)
        .and_then(|e| e.get("answers"))
        .and_then(Value::as_object)
        .map(|a| {
            let mut a = a.clone();
            a.remove(STORED_KEY);
            for k in crate::domain::dmp::RESERVED_KEYS {
                a.remove(k);
            }
            a
        });
    if let Some(ext) = &ext {
        for (k, v) in ext {
            answers.insert(k.clone(), v.clone());
        }
    }
    let created = dmp.get("created").and_then(Value::as_str).unwrap_or("");
    let unit_ctx = UnitCtx {
        created_date: created.get(..10).unwrap_or(""),
    };
    for unit in UNITS {
        let mut from_doc = Obj::new();
        (unit.import)(dmp, &mut from_doc);
        let take_ext = ext
            .as_ref()
            .is_some_and(|ext| writes_same(unit, ext, dmp, &unit_ctx));
        if !take_ext {
            answers.extend(from_doc);
        }
    }
    answers
}

fn writes_same(unit: &Unit, answers: &Obj, dmp: &Obj, ctx: &UnitCtx) -> bool {
    let mut copy = dmp.clone();
    (unit.export)(answers, &mut copy, ctx);
    copy == *dmp
}

/// Checks a maDMP document of `version` (with any `pid_system` value) and turns it into
/// DMP fields; the document is kept in 1.3 form (`shared` becomes `restricted`).
pub fn import(doc: Value, version: Version) -> Result<Imported, MadmpError> {
    schema::validate_input(&doc, version)?;
    let mut doc = doc;
    versions::up_to_1_3(&mut doc);
    let mut fields = import_answers(&doc);
    let created = doc
        .pointer("/dmp/created")
        .and_then(Value::as_str)
        .and_then(parse_iso8601);
    fields.insert(STORED_KEY.into(), doc);
    Ok(Imported { fields, created })
}

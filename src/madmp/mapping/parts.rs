//! The structured parts of a complete plan (docs/plan-model.md) in both directions:
//! `grant` ↔ the project's dates and funding, `contributors` ↔ `contributor`, `costs` ↔
//! `cost`, `datasets` ↔ the datasets after the first (the first is the questionnaire's
//! own, written by the units in `units.rs`).

use serde_json::{Value, json};

use super::json::*;
use super::units::{DEFAULT_LANGUAGE, parse_size};
use super::{Obj, UnitCtx};
use crate::madmp::license;

/// A plan part's items that are objects.
fn items<'a>(a: &'a Obj, key: &str) -> Vec<&'a Obj> {
    match a.get(key) {
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_object).collect(),
        _ => Vec::new(),
    }
}

/// A trimmed text member of an object ("" when absent or not text).
fn s<'a>(o: &'a Obj, key: &str) -> &'a str {
    o.get(key).and_then(Value::as_str).map_or("", str::trim)
}

fn obj<'a>(o: &'a Obj, key: &str) -> Option<&'a Obj> {
    o.get(key).and_then(Value::as_object)
}

fn insert_text(o: &mut Obj, key: &str, value: &str) {
    if !value.is_empty() {
        o.insert(key.to_owned(), json!(value));
    }
}

fn is_date(v: &str) -> bool {
    crate::domain::time::is_full_date(v)
}

/// A bare ROR id from `https://ror.org/00k4n6c32` or `00k4n6c32`.
fn bare_ror(id: &str) -> &str {
    id.trim().trim_start_matches("https://ror.org/")
}

// ---- grant ↔ project dates and funding -------------------------------------------------

pub(super) fn grant_out(a: &Obj, dmp: &mut Obj, _: &UnitCtx) {
    if let Some(p) = dmp
        .get_mut("project")
        .and_then(Value::as_array_mut)
        .and_then(|l| l.first_mut())
        .and_then(Value::as_object_mut)
    {
        for k in ["start", "end", "funding"] {
            p.remove(k);
        }
    }
    let Some(g) = obj(a, "grant") else { return };
    let title = s(g, "title");
    let (start, end) = (s(g, "start"), s(g, "end"));
    let funder = obj(g, "funder");
    let (funder_name, ror) = funder.map_or(("", ""), |f| (s(f, "name"), bare_ror(s(f, "ror"))));
    let grant_number = s(g, "grant_number");
    let funder_id = if !ror.is_empty() {
        Some(json!({"identifier": ror, "type": "ror"}))
    } else if !funder_name.is_empty() {
        Some(json!({"identifier": funder_name, "type": "other"}))
    } else {
        None
    };
    if title.is_empty() && !is_date(start) && !is_date(end) && funder_id.is_none() {
        return;
    }
    let flat = text(a, "project").to_owned();
    let project = first_mut(dmp, "project", || {
        let mut p = Obj::new();
        let t = if flat.is_empty() {
            "Untitled project"
        } else {
            &flat
        };
        p.insert("title".into(), json!(t));
        p
    });
    insert_text(project, "title", title);
    if is_date(start) {
        project.insert("start".into(), json!(start));
    }
    if is_date(end) {
        project.insert("end".into(), json!(end));
    }
    if let Some(funder_id) = funder_id {
        let mut funding = Obj::new();
        funding.insert("funder_id".into(), funder_id);
        let status = if grant_number.is_empty() {
            "planned"
        } else {
            "granted"
        };
        funding.insert("funding_status".into(), json!(status));
        if !grant_number.is_empty() {
            let kind =
                if grant_number.starts_with("https://") || grant_number.starts_with("http://") {
                    "url"
                } else {
                    "other"
                };
            funding.insert(
                "grant_id".into(),
                json!({"identifier": grant_number, "type": kind}),
            );
        }
        project.insert("funding".into(), json!([funding]));
    }
}

pub(super) fn grant_in(dmp: &Obj, a: &mut Obj) {
    let Some(p) = first(dmp, "project") else {
        return;
    };
    let mut g = Obj::new();
    for k in ["start", "end"] {
        if let Some(d) = p.get(k).and_then(Value::as_str).filter(|d| is_date(d)) {
            g.insert(k.into(), json!(d));
        }
    }
    if let Some(f) = first(p, "funding") {
        if let Some(id) = obj(f, "funder_id") {
            let ident = s(id, "identifier");
            match s(id, "type") {
                "ror" if !ident.is_empty() => {
                    g.insert(
                        "funder".into(),
                        json!({"ror": format!("https://ror.org/{}", bare_ror(ident))}),
                    );
                }
                _ if !ident.is_empty() => {
                    g.insert("funder".into(), json!({"name": ident}));
                }
                _ => {}
            }
        }
        if let Some(grant) = obj(f, "grant_id") {
            insert_text(&mut g, "grant_number", s(grant, "identifier"));
        }
    }
    if !g.is_empty() {
        a.insert("grant".into(), Value::Object(g));
    }
}

// ---- contributors ↔ contributor --------------------------------------------------------

/// Plan role ↔ maDMP role (DataCite contributor types where one fits).
const ROLES: &[(&str, &str)] = &[
    ("contact", "ContactPerson"),
    ("data_steward", "DataCurator"),
    ("data_manager", "DataManager"),
    ("principal_investigator", "ProjectLeader"),
    ("project_coordinator", "ProjectManager"),
    ("researcher", "Researcher"),
    ("dmp_author", "dmp_author"),
    ("other", "Other"),
];

fn role_out(role: &str) -> Option<&'static str> {
    ROLES.iter().find(|(r, _)| *r == role).map(|(_, m)| *m)
}

fn role_in(role: &str) -> &'static str {
    let squash = |x: &str| {
        x.chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase()
    };
    let r = squash(role.rsplit('/').next().unwrap_or(role));
    ROLES
        .iter()
        .find(|(ours, theirs)| squash(ours) == r || squash(theirs) == r)
        .map_or("other", |(ours, _)| *ours)
}

pub(super) fn contributors_out(a: &Obj, dmp: &mut Obj, _: &UnitCtx) {
    let people = items(a, "contributors");
    let out: Vec<Value> = people
        .iter()
        .filter(|p| !s(p, "name").is_empty())
        .map(|p| {
            let mut c = Obj::new();
            c.insert("name".into(), json!(s(p, "name")));
            let email = s(p, "email");
            insert_text(&mut c, "mbox", email);
            let orcid = s(p, "orcid");
            let id = if !orcid.is_empty() {
                let bare = orcid.trim_start_matches("https://orcid.org/");
                json!({"identifier": format!("https://orcid.org/{bare}"), "type": "orcid"})
            } else if !email.is_empty() {
                json!({"identifier": format!("mailto:{email}"), "type": "other"})
            } else {
                json!({"identifier": s(p, "name"), "type": "other"})
            };
            c.insert("contributor_id".into(), id);
            let mut roles: Vec<&str> = match p.get("roles") {
                Some(Value::Array(r)) => r.iter().filter_map(Value::as_str).filter_map(role_out).collect(),
                _ => Vec::new(),
            };
            roles.dedup();
            if roles.is_empty() {
                roles.push("Other");
            }
            c.insert("role".into(), json!(roles));
            let affiliation = s(p, "affiliation");
            if !affiliation.is_empty() {
                c.insert(
                    "affiliation".into(),
                    json!([{"name": affiliation, "affiliation_id": {"identifier": affiliation, "type": "other"}}]),
                );
            }
            Value::Object(c)
        })
        .collect();
    if out.is_empty() {
        dmp.remove("contributor");
    } else {
        dmp.insert("contributor".into(), Value::Array(out));
    }
}

pub(super) fn contributors_in(dmp: &Obj, a: &mut Obj) {
    let Some(Value::Array(list)) = dmp.get("contributor") else {
        return;
    };
    let people: Vec<Value> = list
        .iter()
        .filter_map(Value::as_object)
        .filter(|c| !s(c, "name").is_empty())
        .map(|c| {
            let mut p = Obj::new();
            p.insert("name".into(), json!(s(c, "name")));
            insert_text(&mut p, "email", s(c, "mbox"));
            let ids: Vec<&Obj> = match c.get("contributor_id") {
                Some(Value::Array(l)) => l.iter().filter_map(Value::as_object).collect(),
                Some(Value::Object(o)) => vec![o],
                _ => Vec::new(),
            };
            if let Some(orcid) = ids
                .iter()
                .filter(|i| s(i, "type").eq_ignore_ascii_case("orcid"))
                .map(|i| s(i, "identifier"))
                .find(|i| {
                    crate::domain::plan::orcid_checks(i.trim_start_matches("http://orcid.org/"))
                })
            {
                let bare = orcid
                    .trim_start_matches("https://orcid.org/")
                    .trim_start_matches("http://orcid.org/");
                p.insert("orcid".into(), json!(format!("https://orcid.org/{bare}")));
            }
            if let Some(aff) = first(c, "affiliation") {
                insert_text(&mut p, "affiliation", s(aff, "name"));
            }
            let mut roles: Vec<&str> = match c.get("role") {
                Some(Value::Array(r)) => r.iter().filter_map(Value::as_str).map(role_in).collect(),
                _ => Vec::new(),
            };
            roles.sort_unstable();
            roles.dedup();
            p.insert("roles".into(), json!(roles));
            Value::Object(p)
        })
        .collect();
    if !people.is_empty() {
        a.insert("contributors".into(), Value::Array(people));
    }
}

// ---- costs ↔ cost ----------------------------------------------------------------------

const COVERED_BY: &str = "Covered by: ";

pub(super) fn costs_out(a: &Obj, dmp: &mut Obj, _: &UnitCtx) {
    let out: Vec<Value> = items(a, "costs")
        .iter()
        .filter(|c| !s(c, "title").is_empty())
        .map(|c| {
            let mut o = Obj::new();
            o.insert("title".into(), json!(s(c, "title")));
            let mut description = s(c, "description").to_owned();
            let covered = s(c, "covered_by");
            if !covered.is_empty() {
                if !description.is_empty() {
                    description.push('\n');
                }
                description.push_str(&format!("{COVERED_BY}{covered}"));
            }
            insert_text(&mut o, "description", &description);
            if let Some(v) = c.get("amount").filter(|v| v.is_number()) {
                o.insert("value".into(), v.clone());
            }
            let currency = s(c, "currency");
            if crate::madmp::schema::is_currency(currency) {
                o.insert("currency_code".into(), json!(currency));
            }
            Value::Object(o)
        })
        .collect();
    if out.is_empty() {
        dmp.remove("cost");
    } else {
        dmp.insert("cost".into(), Value::Array(out));
    }
}

pub(super) fn costs_in(dmp: &Obj, a: &mut Obj) {
    let Some(Value::Array(list)) = dmp.get("cost") else {
        return;
    };
    let costs: Vec<Value> = list
        .iter()
        .filter_map(Value::as_object)
        .filter(|c| !s(c, "title").is_empty())
        .map(|c| {
            let mut o = Obj::new();
            o.insert("title".into(), json!(s(c, "title")));
            let description = s(c, "description");
            let (description, covered) = match description.rsplit_once(COVERED_BY) {
                Some((before, who)) if !who.contains('\n') => (before.trim_end(), who.trim()),
                _ => (description, ""),
            };
            insert_text(&mut o, "description", description);
            insert_text(&mut o, "covered_by", covered);
            if let Some(v) = c
                .get("value")
                .filter(|v| v.as_f64().is_some_and(|x| x >= 0.0))
            {
                o.insert("amount".into(), v.clone());
            }
            insert_text(&mut o, "currency", s(c, "currency_code"));
            Value::Object(o)
        })
        .collect();
    if !costs.is_empty() {
        a.insert("costs".into(), Value::Array(costs));
    }
}

// ---- datasets ↔ the datasets after the first -------------------------------------------

/// The identifier prefix of the plan's datasets in its maDMP document, and its type.
fn dataset_prefix(dmp: &Obj) -> (String, &'static str) {
    let id = dmp
        .get("dmp_id")
        .and_then(|d| d.get("identifier"))
        .and_then(Value::as_str)
        .filter(|d| d.starts_with("http://") || d.starts_with("https://"));
    match id {
        Some(url) => (format!("{url}#datasets/"), "url"),
        None => ("datasets/".to_owned(), "other"),
    }
}

fn dataset_identifier(d: &Obj) -> &str {
    obj(d, "dataset_id").map_or("", |i| s(i, "identifier"))
}

/// Bytes as a size a person reads ("20 GB", decimal units).
fn size_text(bytes: f64) -> String {
    let units = [(1e12, "TB"), (1e9, "GB"), (1e6, "MB"), (1e3, "KB")];
    for (factor, unit) in units {
        if bytes >= factor {
            let n = bytes / factor;
            return if (n - n.round()).abs() < 1e-9 {
                format!("{} {unit}", n.round())
            } else {
                format!("{n:.1} {unit}")
            };
        }
    }
    format!("{} B", bytes.round())
}

fn yes_no_unknown(v: &str) -> &'static str {
    match v {
        "yes" => "yes",
        "no" => "no",
        _ => "unknown",
    }
}

fn dataset_out(
    d: &Obj,
    key: &str,
    prefix: &(String, &'static str),
    ctx: &UnitCtx,
    lang: &str,
) -> Value {
    let mut o = Obj::new();
    o.insert("title".into(), json!(s(d, "title")));
    o.insert(
        "dataset_id".into(),
        json!({"identifier": format!("{}{key}", prefix.0), "type": prefix.1}),
    );
    insert_text(&mut o, "description", s(d, "description"));
    insert_text(&mut o, "type", s(d, "type"));
    o.insert(
        "personal_data".into(),
        json!(yes_no_unknown(s(d, "personal_data"))),
    );
    o.insert(
        "sensitive_data".into(),
        json!(yes_no_unknown(s(d, "sensitive_data"))),
    );
    insert_text(&mut o, "preservation_statement", s(d, "preservation"));
    if !s(d, "reused_from").is_empty() {
        o.insert("is_reused".into(), json!(true));
    }
    let standard = s(d, "metadata_standard");
    if !standard.is_empty() {
        let kind = if standard.starts_with("http://") || standard.starts_with("https://") {
            "url"
        } else {
            "other"
        };
        o.insert(
            "metadata".into(),
            json!([{"description": standard, "language": lang,
                    "metadata_standard_id": {"identifier": standard, "type": kind}}]),
        );
    }
    let formats: Vec<&str> = match d.get("formats") {
        Some(Value::Array(f)) => f.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let repo = obj(d, "repository");
    let (repo_name, repo_url) = repo.map_or(("", ""), |r| (s(r, "name"), s(r, "url")));
    let licence = license::url_of(s(d, "license"));
    let access = s(d, "access");
    let size = parse_size(s(d, "expected_size")).filter(|b| (0.0..9.0e18).contains(b));
    let says_something = !formats.is_empty()
        || !repo_name.is_empty()
        || !repo_url.is_empty()
        || licence.is_some()
        || !access.is_empty()
        || size.is_some();
    if says_something {
        let mut dist = Obj::new();
        dist.insert("title".into(), json!(s(d, "title")));
        let data_access = match access {
            "open" | "restricted" => access,
            _ => "closed",
        };
        dist.insert("data_access".into(), json!(data_access));
        insert_text(&mut dist, "description", s(d, "access_reason"));
        if !formats.is_empty() {
            dist.insert("format".into(), json!(formats));
        }
        if let Some(bytes) = size {
            dist.insert("byte_size".into(), json!(bytes.round() as i64));
        }
        if !repo_name.is_empty() || !repo_url.is_empty() {
            let mut host = Obj::new();
            host.insert(
                "title".into(),
                json!(if repo_name.is_empty() {
                    repo_url
                } else {
                    repo_name
                }),
            );
            insert_text(&mut host, "url", repo_url);
            dist.insert("host".into(), Value::Object(host));
        }
        if let Some(url) = licence {
            let embargo = s(d, "embargo_date");
            let start = if is_date(embargo) {
                embargo
            } else {
                ctx.created_date
            };
            dist.insert(
                "license".into(),
                json!([{"license_ref": url, "start_date": start}]),
            );
        }
        o.insert("distribution".into(), json!([dist]));
    }
    Value::Object(o)
}

pub(super) fn datasets_out(a: &Obj, dmp: &mut Obj, ctx: &UnitCtx) {
    let prefix = dataset_prefix(dmp);
    let lang = match str_at(dmp, "language") {
        "" => DEFAULT_LANGUAGE,
        l => l,
    }
    .to_owned();
    let fresh: Vec<Value> = items(a, "datasets")
        .iter()
        .enumerate()
        .filter(|(_, d)| !s(d, "title").is_empty())
        .map(|(i, d)| {
            let key = match s(d, "id") {
                "" => format!("item-{}", i + 1),
                id => id.to_owned(),
            };
            dataset_out(d, &key, &prefix, ctx, &lang)
        })
        .collect();
    let list = dmp.entry("dataset").or_insert_with(|| json!([]));
    if !list.is_array() {
        *list = json!([]);
    }
    if let Value::Array(list) = list {
        // The first dataset is the questionnaire's; the rest that carry the plan's prefix
        // are this unit's, replaced as a whole. Others (from an import) are kept.
        let mut kept: Vec<Value> = Vec::new();
        for (i, d) in list.drain(..).enumerate() {
            let ours = d
                .as_object()
                .is_some_and(|o| dataset_identifier(o).starts_with(&prefix.0));
            if i == 0 || !ours {
                kept.push(d);
            }
        }
        kept.extend(fresh);
        *list = kept;
    }
}

pub(super) fn datasets_in(dmp: &Obj, a: &mut Obj) {
    let Some(Value::Array(list)) = dmp.get("dataset") else {
        return;
    };
    let (prefix, _) = dataset_prefix(dmp);
    let datasets: Vec<Value> = list
        .iter()
        .skip(1)
        .filter_map(Value::as_object)
        .map(|d| {
            let mut o = Obj::new();
            let key = dataset_identifier(d).strip_prefix(&prefix).unwrap_or("");
            if !key.is_empty()
                && key.len() <= 64
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                && !key.starts_with("item-")
            {
                o.insert("id".into(), json!(key));
            }
            let title = match s(d, "title") {
                "" => "Dataset",
                t => t,
            };
            o.insert("title".into(), json!(title));
            insert_text(&mut o, "description", s(d, "description"));
            insert_text(&mut o, "type", s(d, "type"));
            for k in ["personal_data", "sensitive_data"] {
                if let v @ ("yes" | "no" | "unknown") = s(d, k) {
                    o.insert(k.into(), json!(v));
                }
            }
            insert_text(&mut o, "preservation", s(d, "preservation_statement"));
            if let Some(m) = first(d, "metadata") {
                let std = m
                    .get("metadata_standard_id")
                    .and_then(Value::as_object)
                    .map_or("", |i| s(i, "identifier"));
                insert_text(
                    &mut o,
                    "metadata_standard",
                    if std.is_empty() {
                        s(m, "description")
                    } else {
                        std
                    },
                );
            }
            if let Some(dist) = first(d, "distribution") {
                if let Some(Value::Array(f)) = dist.get("format") {
                    let f: Vec<&str> = f.iter().filter_map(Value::as_str).collect();
                    if !f.is_empty() {
                        o.insert("formats".into(), json!(f));
                    }
                }
                if let Some(b) = dist.get("byte_size").and_then(Value::as_f64) {
                    o.insert("expected_size".into(), json!(size_text(b)));
                }
                match s(dist, "data_access") {
                    "shared" => {
                        o.insert("access".into(), json!("restricted"));
                    }
                    v @ ("open" | "restricted" | "closed") => {
                        o.insert("access".into(), json!(v));
                    }
                    _ => {}
                }
                insert_text(&mut o, "access_reason", s(dist, "description"));
                if let Some(h) = obj(dist, "host") {
                    let mut repo = Obj::new();
                    insert_text(&mut repo, "name", s(h, "title"));
                    let url = s(h, "url");
                    if url.starts_with("http://") || url.starts_with("https://") {
                        repo.insert("url".into(), json!(url));
                    }
                    o.insert("repository".into(), Value::Object(repo));
                }
                if let Some(l) = first(dist, "license") {
                    insert_text(&mut o, "license", s(l, "license_ref"));
                }
            }
            let pid = obj(d, "dataset_id")
                .map_or("", |i| s(i, "type"))
                .to_ascii_lowercase();
            if matches!(pid.as_str(), "doi" | "handle" | "ark" | "purl" | "urn") {
                o.insert("pid_type".into(), json!(pid));
            }
            Value::Object(o)
        })
        .collect();
    if !datasets.is_empty() {
        a.insert("datasets".into(), Value::Array(datasets));
    }
}

//! The structured parts of a complete plan (project and funding, contributors, datasets,
//! costs, version history, own answers, language), checked against the plan schema
//! (`assets/schemas/plan.json`, served at `GET /schemas/plan.json`) plus what a schema
//! cannot say: an ORCID iD's check digit, a project that ends before it starts.
//!
//! The frontend's flat fields are not constrained here; keys neither names are kept as
//! given. Errors name the JSON pointer of the value at fault.

use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::InvalidValue;

/// Where the plan schema is embedded.
pub const SCHEMA_PATH: &str = "schemas/plan.json";

/// The top-level keys the plan schema describes beyond the frontend's fields.
pub const PLAN_KEYS: [&str; 10] = [
    "language",
    "dissemination",
    "grant",
    "contributors",
    "datasets",
    "costs",
    "ethics",
    "security",
    "versions",
    "answers",
];

/// The keys whose values are structured (objects, lists of objects), not text.
pub const STRUCTURED_KEYS: [&str; 6] = [
    "grant",
    "contributors",
    "datasets",
    "costs",
    "versions",
    "answers",
];

/// How many schema violations one error lists.
const MAX_LISTED: usize = 5;

fn validator() -> Result<&'static jsonschema::Validator, InvalidValue> {
    static COMPILED: OnceLock<Result<jsonschema::Validator, String>> = OnceLock::new();
    COMPILED
        .get_or_init(|| {
            let bytes = crate::assets::bytes(SCHEMA_PATH)
                .ok_or_else(|| format!("{SCHEMA_PATH} is not embedded"))?;
            let schema: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
            jsonschema::options()
                .should_validate_formats(true)
                .build(&schema)
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| InvalidValue(format!("the plan schema cannot be used: {e}")))
}

/// Checks the structured parts of a plan; a plan with none of them (the frontend's) passes
/// without any work.
pub fn check(fields: &Map<String, Value>) -> Result<(), InvalidValue> {
    let parts: Map<String, Value> = PLAN_KEYS
        .iter()
        .filter_map(|k| fields.get(*k).map(|v| ((*k).to_owned(), v.clone())))
        .collect();
    if parts.is_empty() {
        return Ok(());
    }
    let parts = Value::Object(parts);
    let errors: Vec<String> = validator()?
        .iter_errors(&parts)
        .take(MAX_LISTED)
        .map(|e| {
            let at = e.instance_path().to_string();
            format!("{}: {e}", if at.is_empty() { "/" } else { &at })
        })
        .collect();
    if !errors.is_empty() {
        return Err(InvalidValue(errors.join("; ")));
    }
    if let Some(Value::Array(people)) = parts.get("contributors") {
        for (i, p) in people.iter().enumerate() {
            if let Some(Value::String(id)) = p.get("orcid")
                && !id.is_empty()
                && !orcid_checks(id)
            {
                return Err(InvalidValue(format!(
                    "/contributors/{i}/orcid: {id:?} is not an ORCID iD: its check digit is wrong"
                )));
            }
        }
    }
    let date = |k: &str| {
        parts
            .pointer(&format!("/grant/{k}"))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    if let (Some(start), Some(end)) = (date("start"), date("end"))
        && end < start
    {
        return Err(InvalidValue(format!(
            "/grant/end: the project ends ({end}) before it starts ({start})"
        )));
    }
    Ok(())
}

/// How a document prints an enumerated value of the plan model, for the keys that have
/// them (`roles`, `pid_type`, `access`, `dissemination`); `None` for any other value.
pub fn label(key: &str, value: &str) -> Option<&'static str> {
    Some(match (key, value) {
        ("roles", "contact") => "contact",
        ("roles", "dmp_author") => "DMP author",
        ("roles", "data_steward") => "data steward",
        ("roles", "principal_investigator") => "principal investigator",
        ("roles", "project_coordinator") => "project coordinator",
        ("roles", "data_manager") => "data manager",
        ("roles", "researcher") => "researcher",
        ("roles", "other") => "other role",
        ("pid_type", "doi") => "DOI",
        ("pid_type", "handle") => "Handle",
        ("pid_type", "ark") => "ARK",
        ("pid_type", "purl") => "PURL",
        ("pid_type", "urn") => "URN",
        ("pid_type", "other") => "persistent identifier",
        ("access", "open") => "open",
        ("access", "restricted") => "restricted",
        ("access", "closed") => "closed",
        ("dissemination", "public") => "Public (PU)",
        ("dissemination", "sensitive") => "Sensitive (SEN)",
        _ => return None,
    })
}

/// ISO 7064 MOD 11-2 over the 15 digits of an ORCID iD, against its last character.
pub fn orcid_checks(id: &str) -> bool {
    let bare = id.strip_prefix("https://orcid.org/").unwrap_or(id);
    let chars: Vec<char> = bare.chars().filter(|c| *c != '-').collect();
    if chars.len() != 16 {
        return false;
    }
    let mut total: u32 = 0;
    for c in &chars[..15] {
        let Some(d) = c.to_digit(10) else {
            return false;
        };
        total = (total + d) * 2;
    }
    let check = (12 - total % 11) % 11;
    let expected = if check == 10 {
        'X'
    } else {
        char::from_digit(check, 10).unwrap_or('?')
    };
    chars[15] == expected
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(v: Value) -> Result<(), InvalidValue> {
        check(v.as_object().unwrap())
    }

    #[test]
    fn orcid_check_digits() {
        for good in [
            "0000-0002-1825-0097",
            "https://orcid.org/0000-0001-5109-3700",
            "0000-0002-1694-233X",
        ] {
            assert!(orcid_checks(good), "{good}");
        }
        for bad in [
            "0000-0002-1825-0098",
            "0000-0002-1825-009",
            "000a-0002-1825-0097",
        ] {
            assert!(!orcid_checks(bad), "{bad}");
        }
    }

    #[test]
    fn a_complete_plan_passes_and_the_frontends_costs_nothing() {
        assert!(
            run(json!({"name": 5, "purpose": ["any", "shape"], "extra": {"kept": true}})).is_ok()
        );
        let plan = json!({
            "language": "es", "dissemination": "public",
            "grant": {"title": "Night sky", "acronym": "AZO", "grant_number": "101000001",
                "funder": {"name": "European Commission", "ror": "https://ror.org/00k4n6c32"},
                "programme": "Horizon Europe", "call": "HORIZON-CL6-2021", "start": "2024-01-01", "end": "2027-12-31",
                "coordinator": "UCM", "institution": {"name": "UCM", "ror": "02p0gd045"}},
            "contributors": [{"name": "Ana", "email": "ana@example.org", "orcid": "0000-0002-1825-0097",
                "affiliation": "UCM", "roles": ["contact", "data_steward"], "unknown": "kept"}],
            "datasets": [{"id": "photometry", "title": "Photometry", "formats": ["csv"], "access": "open",
                "pid_type": "doi", "embargo_date": "2026-01-01", "personal_data": "no",
                "repository": {"name": "Zenodo", "url": "https://zenodo.org"}}],
            "costs": [{"title": "Storage", "amount": 1200.5, "currency": "EUR", "covered_by": "the grant"}],
            "versions": [{"version": "1.0", "date": "2024-06-30", "changes": "First version"}],
            "answers": {"harvesting": "OAI-PMH", "open": null}
        });
        assert_eq!(run(plan), Ok(()));
    }

    #[test]
    fn errors_name_the_json_pointer() {
        for (bad, at) in [
            (json!({"language": "english"}), "/language: "),
            (json!({"language": "e1"}), "/language: "),
            (
                json!({"contributors": [{"name": "A", "orcid": "0000-0002-1825-0098"}]}),
                "/contributors/0/orcid: ",
            ),
            (
                json!({"contributors": [{"email": "a@b.org"}]}),
                "/contributors/0: ",
            ),
            (
                json!({"contributors": [{"name": "A", "roles": ["boss"]}]}),
                "/contributors/0/roles/0: ",
            ),
            (
                json!({"datasets": [{"title": "T", "access": "public"}]}),
                "/datasets/0/access: ",
            ),
            (
                json!({"datasets": [{"title": "T", "embargo_date": "soon"}]}),
                "/datasets/0/embargo_date: ",
            ),
            (
                json!({"costs": [{"title": "T", "amount": -1}]}),
                "/costs/0/amount: ",
            ),
            (
                json!({"costs": [{"title": "T", "currency": "euro"}]}),
                "/costs/0/currency: ",
            ),
            (
                json!({"grant": {"start": "2025-01-01", "end": "2024-01-01"}}),
                "/grant/end: ",
            ),
            (
                json!({"grant": {"funder": {"ror": "not-a-ror"}}}),
                "/grant/funder/ror: ",
            ),
            (json!({"answers": {"q": 5}}), "/answers/q: "),
            (json!({"answers": {"a/b": "x"}}), "/answers: "),
            (
                json!({"versions": [{"date": "2024-01-01"}]}),
                "/versions/0: ",
            ),
        ] {
            let e = run(bad.clone()).unwrap_err();
            assert!(e.0.starts_with(at), "{bad}: {}", e.0);
        }
    }
}

//! ROR identifiers for funders known by their Crossref Funder Registry (fundref) id.
//! maDMP 1.3 recommends ROR for `funder_id`; a 1.3 export replaces a fundref id by the
//! funder's ROR id where this table knows it, and leaves any other id as it is.

use serde_json::{Value, json};

/// (fundref id, ROR id), from the registries' own records.
const KNOWN: &[(&str, &str)] = &[
    ("501100002428", "013tf3c58"), // Austrian Science Fund (FWF): the standard's own example
    ("501100000780", "00k4n6c32"), // European Commission
    ("501100000781", "0472cxd90"), // European Research Council
    ("501100001659", "018mejw64"), // Deutsche Forschungsgemeinschaft
    ("501100001711", "00yjd3n13"), // Swiss National Science Foundation
    ("100000001", "021nxhr62"),    // National Science Foundation (US)
    ("100000002", "01cwqze88"),    // National Institutes of Health (US)
    ("100014013", "001aqnf71"),    // UK Research and Innovation
];

/// The bare fundref id of an identifier (`501100002428`, or a `10.13039/...` DOI form).
fn fundref_number(identifier: &str) -> &str {
    let s = identifier.trim();
    s.rsplit_once("10.13039/").map_or(s, |(_, n)| n)
}

/// The ROR id of a funder known by this fundref identifier.
pub fn ror_for_fundref(identifier: &str) -> Option<&'static str> {
    let n = fundref_number(identifier);
    KNOWN.iter().find(|(f, _)| *f == n).map(|(_, r)| *r)
}

/// Both spellings of a funder's id that this table knows (for the `funder_ids[]` filter).
pub fn aliases(identifier: &str) -> Vec<String> {
    let n = fundref_number(identifier);
    let bare = identifier.trim().trim_start_matches("https://ror.org/");
    KNOWN
        .iter()
        .filter(|(f, r)| *f == n || *r == bare)
        .flat_map(|(f, r)| {
            [
                (*f).to_owned(),
                (*r).to_owned(),
                format!("https://ror.org/{r}"),
            ]
        })
        .collect()
}

/// Replaces, in a document, each `funder_id` of type `fundref` this table knows by the
/// funder's ROR id (`{"identifier": "013tf3c58", "type": "ror"}`, as the standard's
/// example writes it).
pub fn prefer_ror(doc: &mut Value) {
    let Some(projects) = doc
        .pointer_mut("/dmp/project")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for p in projects {
        let Some(fundings) = p.get_mut("funding").and_then(Value::as_array_mut) else {
            continue;
        };
        for f in fundings {
            let Some(id) = f.get_mut("funder_id") else {
                continue;
            };
            let is_fundref = id.get("type").and_then(Value::as_str) == Some("fundref");
            let ror = id
                .get("identifier")
                .and_then(Value::as_str)
                .and_then(ror_for_fundref);
            if let (true, Some(ror)) = (is_fundref, ror) {
                *id = json!({"identifier": ror, "type": "ror"});
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_the_standards_example_in_both_spellings() {
        assert_eq!(ror_for_fundref("501100002428"), Some("013tf3c58"));
        assert_eq!(
            ror_for_fundref("https://doi.org/10.13039/501100002428"),
            Some("013tf3c58")
        );
        assert_eq!(ror_for_fundref("123"), None);
        assert!(aliases("013tf3c58").contains(&"501100002428".to_owned()));
    }
}

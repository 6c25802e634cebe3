//! maDMP 1.2 mapping, without HTTP: every official example imports and exports back
//! equivalent; answers export to documents that validate.

use std::path::Path;

use dmptool::madmp::{self, ExportCtx, schema};
use serde_json::{Map, Value, json};

fn examples() -> Vec<(String, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/madmp");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let doc = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        out.push((
            path.file_name().unwrap().to_string_lossy().into_owned(),
            doc,
        ));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(out.len() >= 8, "the official examples are missing");
    out
}

fn ctx(created: i64, modified: i64) -> ExportCtx<'static> {
    ExportCtx {
        dmp_url: "http://localhost:8080/rda/dmps/0123456789abcdef01234567",
        owner_name: "ana",
        owner_email: Some("ana@example.org"),
        created,
        modified,
    }
}

/// A document without what the server sets on every export.
pub fn comparable(mut doc: Value) -> Value {
    if let Some(dmp) = doc.get_mut("dmp").and_then(Value::as_object_mut) {
        dmp.remove("modified");
        dmp.remove(madmp::EXTENSION);
    }
    doc
}

#[test]
fn every_official_example_validates_imports_and_exports_back_equivalent() {
    for (name, doc) in examples() {
        assert!(schema::validate(&doc).is_ok(), "{name} does not validate");
        let imported = madmp::import(doc.clone()).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let created = imported.created.expect("created");
        let out = madmp::export(&imported.fields, &ctx(created, created + 1000)).unwrap();
        assert!(schema::validate(&out).is_ok(), "{name}: export invalid");
        assert_eq!(
            comparable(out.clone()),
            comparable(doc.clone()),
            "{name} changed on the way"
        );
        // The answers block holds every questionnaire answer as text.
        let answers = &out["dmp"][madmp::EXTENSION]["answers"];
        assert!(answers["purpose"].is_string(), "{name}");
        // And a second trip changes nothing either.
        let again = madmp::import(out.clone()).unwrap();
        let out2 = madmp::export(&again.fields, &ctx(created, created + 2000)).unwrap();
        assert_eq!(comparable(out2), comparable(out), "{name}: second trip");
    }
}

#[test]
fn edited_answers_change_only_their_part_of_an_imported_document() {
    let (_, doc) = examples()
        .into_iter()
        .find(|(n, _)| n.starts_with("ex9"))
        .unwrap();
    let imported = madmp::import(doc.clone()).unwrap();
    let mut fields = imported.fields.clone();
    fields.insert("name".into(), json!("A new title"));
    fields.insert("keywords".into(), json!("one, two"));
    let created = imported.created.unwrap();
    let out = madmp::export(&fields, &ctx(created, created)).unwrap();
    assert!(schema::validate(&out).is_ok());
    assert_eq!(out["dmp"]["title"], "A new title");
    assert_eq!(out["dmp"]["dataset"][0]["keyword"], json!(["one", "two"]));
    // Everything else is as the document had it.
    let mut a = comparable(out);
    let mut b = comparable(doc);
    for d in [&mut a, &mut b] {
        d["dmp"]["title"] = json!("");
        d["dmp"]["dataset"][0]["keyword"] = json!(null);
    }
    assert_eq!(a, b);
}

#[test]
fn the_fixture_and_an_empty_plan_export_valid_documents() {
    let fixture: Map<String, Value> = serde_json::from_slice(
        &std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/dmp-from-action-frontend.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let out = madmp::export(&fixture, &ctx(1_764_000_000_000, 1_764_000_100_000)).unwrap();
    assert!(schema::validate(&out).is_ok());
    let dmp = &out["dmp"];
    assert_eq!(dmp["title"], "DMP 945 – azotea");
    assert_eq!(dmp["ethical_issues_exist"], "no");
    let ds = &dmp["dataset"][0];
    assert_eq!(
        ds["keyword"],
        json!(["light pollution", "citizen science", "night sky"])
    );
    assert_eq!(ds["distribution"][0]["data_access"], "shared");
    assert_eq!(
        ds["distribution"][0]["byte_size"],
        json!(218_085_000_000i64)
    );
    assert_eq!(dmp["project"][0]["title"], "azotea");
    assert_eq!(dmp["contact"]["mbox"], "ana@example.org");
    assert_eq!(
        dmp[madmp::EXTENSION]["answers"]["community"],
        fixture["community"]
    );

    let empty = madmp::export(&Map::new(), &ctx(0, 0)).unwrap();
    assert!(schema::validate(&empty).is_ok());
    // An owner without an e-mail address still gets a valid contact.
    let no_mail = ExportCtx {
        owner_email: None,
        ..ctx(0, 0)
    };
    let doc = madmp::export(&Map::new(), &no_mail).unwrap();
    assert!(schema::validate(&doc).is_ok());
    assert_eq!(doc["dmp"]["contact"]["mbox"], "ana@users.invalid");
    assert_eq!(empty["dmp"]["dataset"][0]["personal_data"], "unknown");

    // An own export imports back to the same answers.
    let back = madmp::import(out).unwrap();
    for (k, v) in &fixture {
        assert_eq!(back.fields.get(k), Some(v), "{k}");
    }
}

#[test]
fn nonconforming_documents_are_refused_with_a_pointer() {
    let (_, mut doc) = examples()
        .into_iter()
        .find(|(n, _)| n.starts_with("ex8"))
        .unwrap();
    doc["dmp"]["dataset"][0]["personal_data"] = json!("maybe");
    let err = madmp::import(doc.clone()).unwrap_err().unwrap();
    assert_eq!(err.pointer, "/dmp/dataset/0/personal_data");
    doc["dmp"]["dataset"][0]["personal_data"] = json!("no");
    doc["dmp"].as_object_mut().unwrap().remove("contact");
    let err = madmp::import(doc).unwrap_err().unwrap();
    assert_eq!(err.pointer, "/dmp", "{err}");
    assert!(err.message.contains("contact"), "{err}");
    assert!(madmp::import(json!({"dmp": []})).is_err());
}

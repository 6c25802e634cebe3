//! maDMP 1.3 and 1.2 mapping, without HTTP: every official example of both versions
//! imports and exports back equal and valid; answers export to documents that validate;
//! the versions convert into each other without loss.

use std::path::Path;
use std::time::Instant;

use crate::support::comparable;
use dmptool::madmp::{self, ExportCtx, Version, schema};
use serde_json::{Map, Value, json};

fn examples_in(dir: &str) -> Vec<(String, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
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
    out
}

/// The official examples at the v1.2 tag (ten; the 1.3 release validates them too).
fn examples() -> Vec<(String, Value)> {
    let out = examples_in("tests/fixtures/madmp");
    assert!(out.len() >= 10, "the official 1.2 examples are missing");
    out
}

/// The official examples as the 1.3 release has them (ex1, ex7, ex9).
fn examples_1_3() -> Vec<(String, Value)> {
    let out = examples_in("tests/fixtures/madmp-1.3");
    assert_eq!(out.len(), 3, "the official 1.3 examples are missing");
    out
}

fn ctx(created: i64, modified: i64) -> ExportCtx<'static> {
    ExportCtx {
        dmp_url: "http://localhost:8080/rda/dmps/0123456789abcdef01234567",
        contact_url: "http://localhost:8080/users/ana",
        assumed_base: None,
        owner_name: "ana",
        owner_email: Some("ana@example.org"),
        created,
        modified,
    }
}

/// Imports `doc` as `from` and exports it as `to`, checking the result against the
/// official schema of `to`.
fn trip(name: &str, doc: &Value, from: Version, to: Version, validations: &mut u32) -> Value {
    assert!(
        schema::validate_input(doc, from).is_ok(),
        "{name} does not validate as {from}"
    );
    let imported = madmp::import(doc.clone(), from).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    let created = imported.created.expect("created");
    let out = madmp::export(&imported.fields, &ctx(created, created + 1000), to).unwrap();
    assert!(
        schema::validate_as(&out, to).is_ok(),
        "{name}: export as {to} invalid"
    );
    *validations += 2;
    out
}

#[test]
fn every_official_example_of_both_versions_imports_and_exports_back_equal() {
    let mut validations = 0;
    let mut equal = 0;
    let official_1_3: Map<String, Value> = examples_1_3().into_iter().collect();
    for (name, doc) in examples() {
        // 1.2 in, 1.2 out: the same document.
        let out = trip(&name, &doc, Version::V1_2, Version::V1_2, &mut validations);
        assert_eq!(
            comparable(out.clone()),
            comparable(doc.clone()),
            "{name}: 1.2 trip"
        );
        equal += 1;
        // The answers block holds every questionnaire answer as text.
        let answers = &out["dmp"][madmp::EXTENSION]["answers"];
        assert!(answers["purpose"].is_string(), "{name}");
        // And a second trip changes nothing either.
        let out2 = trip(&name, &out, Version::V1_2, Version::V1_2, &mut validations);
        assert_eq!(comparable(out2), comparable(out), "{name}: second 1.2 trip");
        // 1.2 in, 1.3 out: the 1.3 release's copy, where there is one (its `$schema` and the
        // ROR funder id are the only differences the standard made).
        let up = trip(&name, &doc, Version::V1_2, Version::V1_3, &mut validations);
        if let Some(official) = official_1_3.get(&name) {
            assert_eq!(
                comparable(up.clone()),
                comparable(official.clone()),
                "{name}: 1.2 -> 1.3"
            );
            equal += 1;
        }
        // 1.3 back to 1.2: the original again, except a known funder keeps its ROR id.
        let down = trip(&name, &up, Version::V1_3, Version::V1_2, &mut validations);
        let mut want = comparable(doc.clone());
        let mut got = comparable(down);
        for d in [&mut want, &mut got] {
            if let Some(f) = d.pointer_mut("/dmp/project/0/funding/0/funder_id") {
                *f = json!(null);
            }
        }
        assert_eq!(got, want, "{name}: 1.2 -> 1.3 -> 1.2");
    }
    for (name, doc) in examples_1_3() {
        let out = trip(&name, &doc, Version::V1_3, Version::V1_3, &mut validations);
        assert_eq!(
            comparable(out.clone()),
            comparable(doc.clone()),
            "{name}: 1.3 trip"
        );
        equal += 1;
        let out2 = trip(&name, &out, Version::V1_3, Version::V1_3, &mut validations);
        assert_eq!(comparable(out2), comparable(out), "{name}: second 1.3 trip");
        // 1.3 -> 1.2 -> 1.3: the same.
        let down = trip(&name, &doc, Version::V1_3, Version::V1_2, &mut validations);
        let up = trip(&name, &down, Version::V1_2, Version::V1_3, &mut validations);
        assert_eq!(
            comparable(up),
            comparable(doc.clone()),
            "{name}: 1.3 -> 1.2 -> 1.3"
        );
    }
    eprintln!(
        "FIGURES round trip: {equal} official examples came back equal; {validations} schema validations passed"
    );
}

/// A plan with everything the standard can say: several datasets, contributors, costs,
/// funding, a host without a URL, restricted access, reuse with a related identifier, and
/// a `pid_system` outside the schema's list.
pub fn complete_plan() -> Value {
    let (_, mut doc) = examples_1_3()
        .into_iter()
        .find(|(n, _)| n.starts_with("ex9"))
        .unwrap();
    let dmp = doc["dmp"].as_object_mut().unwrap();
    dmp.insert(
        "cost".into(),
        json!([{"title": "Storage and Backup", "value": 1000, "currency_code": "EUR",
                "description": "12 months of storage"},
               {"title": "Curation"}]),
    );
    dmp.insert(
        "alternate_identifier".into(),
        json!([{"identifier": "E-GEOD-34814", "type": "accession number"}]),
    );
    let contributors = dmp["contributor"].as_array_mut().unwrap();
    contributors.push(json!({"name": "Bo Li", "role": ["Data Steward"],
        "contributor_id": {"identifier": "https://orcid.org/0000-0002-1825-0097", "type": "orcid"}}));
    let datasets = dmp["dataset"].as_array_mut().unwrap();
    let mut second = datasets[0].clone();
    second["title"] = json!("Derived data");
    second["dataset_id"] = json!({"identifier": "https://example.org/ds/2", "type": "url"});
    second["is_reused"] = json!(false);
    second["related_identifier"] = json!([{"identifier": "https://doi.org/10.1234/raw",
        "relation_type": "IsDerivedFrom", "type": "doi"}]);
    second["distribution"] = json!([{"title": "On the lab NAS", "data_access": "restricted",
        "host": {"title": "Lab NAS", "storage_type": "NAS",
                 "host_id": [{"identifier": "nas-1", "type": "other"}],
                 "pid_system": ["w3id"]}},
        {"title": "In the repository", "data_access": "restricted",
        "host": {"title": "Zenodo", "host_id": [{"identifier": "https://doi.org/10.17616/R3QP53", "type": "re3data"}]}}]);
    datasets.push(second);
    doc
}

#[test]
fn a_complete_plan_round_trips_in_both_versions_without_loss() {
    let doc = complete_plan();
    assert!(schema::validate_input(&doc, Version::V1_3).is_ok());
    let mut n = 0;
    let out = trip("complete", &doc, Version::V1_3, Version::V1_3, &mut n);
    // The one deliberate change: a pid_system outside the list is sent as `other`.
    let mut want = comparable(doc.clone());
    want["dmp"]["dataset"][3]["distribution"][0]["host"]["pid_system"] = json!(["other"]);
    assert_eq!(comparable(out.clone()), want);
    let notes = out["dmp"][madmp::EXTENSION]["notes"].to_string();
    assert!(notes.contains("w3id"), "{notes}");
    // Down to 1.2: `restricted` is `shared`, hosts get a url, and back up it is all as it was.
    let down = trip("complete", &doc, Version::V1_3, Version::V1_2, &mut n);
    let d = &down["dmp"]["dataset"][3]["distribution"];
    assert_eq!(d[0]["data_access"], "shared");
    assert_eq!(d[0]["host"]["url"], "about:blank");
    assert_eq!(d[1]["host"]["url"], "https://doi.org/10.17616/R3QP53");
    let up = trip("complete", &down, Version::V1_2, Version::V1_3, &mut n);
    assert_eq!(comparable(up), want);
}

#[test]
fn a_1_2_shared_becomes_restricted_and_goes_back_to_shared() {
    let (_, mut doc) = examples()
        .into_iter()
        .find(|(n, _)| n.starts_with("ex3"))
        .unwrap();
    doc["dmp"]["dataset"][0]["distribution"][0]["data_access"] = json!("shared");
    let mut n = 0;
    let up = trip("ex3", &doc, Version::V1_2, Version::V1_3, &mut n);
    assert_eq!(
        up["dmp"]["dataset"][0]["distribution"][0]["data_access"],
        "restricted"
    );
    let down = trip("ex3", &doc, Version::V1_2, Version::V1_2, &mut n);
    assert_eq!(comparable(down), comparable(doc));
    // A 1.2 document may not leave a host's url out; a 1.3 one may.
    let mut no_url = complete_plan();
    no_url["$schema"] = json!(null);
    let err = violation(madmp::import(no_url.clone(), Version::V1_2));
    assert!(
        err.pointer.starts_with("/dmp/dataset/3/distribution/0"),
        "{err}"
    );
    assert!(err.to_string().contains("maDMP 1.2"), "{err}");
    assert!(madmp::import(no_url, Version::V1_3).is_ok());
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The figures the issue asks for: median import and export times per version over the
/// official examples and the complete plan (a debug build is slower than a release).
#[test]
fn median_import_and_export_times() {
    let mut docs: Vec<(Version, Value)> = examples()
        .into_iter()
        .map(|(_, d)| (Version::V1_2, d))
        .collect();
    docs.extend(examples_1_3().into_iter().map(|(_, d)| (Version::V1_3, d)));
    docs.push((Version::V1_3, complete_plan()));
    for version in Version::ALL {
        let (mut imports, mut exports) = (Vec::new(), Vec::new());
        for _ in 0..5 {
            for (from, doc) in &docs {
                let t = Instant::now();
                let imported = madmp::import(doc.clone(), *from).unwrap();
                imports.push(t.elapsed().as_secs_f64() * 1e3);
                let t = Instant::now();
                let out = madmp::export(&imported.fields, &ctx(0, 1), version).unwrap();
                exports.push(t.elapsed().as_secs_f64() * 1e3);
                assert!(out.get("dmp").is_some());
            }
        }
        eprintln!(
            "FIGURES {version}: median import {:.3} ms, median export {:.3} ms (validated), over {} documents",
            median(imports),
            median(exports),
            docs.len() * 5
        );
    }
}

#[test]
fn edited_answers_change_only_their_part_of_an_imported_document() {
    let (_, doc) = examples()
        .into_iter()
        .find(|(n, _)| n.starts_with("ex9"))
        .unwrap();
    let imported = madmp::import(doc.clone(), Version::V1_2).unwrap();
    let mut fields = imported.fields.clone();
    fields.insert("name".into(), json!("A new title"));
    fields.insert("keywords".into(), json!("one, two"));
    let created = imported.created.unwrap();
    let out = madmp::export(&fields, &ctx(created, created), Version::V1_2).unwrap();
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
    let out = madmp::export(
        &fixture,
        &ctx(1_764_000_000_000, 1_764_000_100_000),
        Version::V1_3,
    )
    .unwrap();
    assert!(schema::validate(&out).is_ok());
    let dmp = &out["dmp"];
    assert_eq!(dmp["title"], "DMP 945 – azotea");
    assert_eq!(dmp["ethical_issues_exist"], "no");
    let ds = &dmp["dataset"][0];
    assert_eq!(
        ds["keyword"],
        json!(["light pollution", "citizen science", "night sky"])
    );
    assert_eq!(ds["distribution"][0]["data_access"], "restricted");
    let old = madmp::export(
        &fixture,
        &ctx(1_764_000_000_000, 1_764_000_100_000),
        Version::V1_2,
    )
    .unwrap();
    assert!(schema::validate_as(&old, Version::V1_2).is_ok());
    assert_eq!(
        old["dmp"]["dataset"][0]["distribution"][0]["data_access"],
        "shared"
    );
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

    let empty = madmp::export(&Map::new(), &ctx(0, 0), Version::V1_3).unwrap();
    assert!(schema::validate(&empty).is_ok());
    // An owner without an e-mail address still gets a valid contact.
    let no_mail = ExportCtx {
        owner_email: None,
        ..ctx(0, 0)
    };
    let doc = madmp::export(&Map::new(), &no_mail, Version::V1_3).unwrap();
    assert!(schema::validate(&doc).is_ok());
    assert_eq!(doc["dmp"]["contact"]["mbox"], "ana@users.invalid");
    assert_eq!(empty["dmp"]["dataset"][0]["personal_data"], "unknown");

    // An own export imports back to the same answers.
    let back = madmp::import(out, Version::V1_3).unwrap();
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
    let err = violation(madmp::import(doc.clone(), Version::V1_3));
    assert_eq!(err.pointer, "/dmp/dataset/0/personal_data");
    doc["dmp"]["dataset"][0]["personal_data"] = json!("no");
    doc["dmp"].as_object_mut().unwrap().remove("contact");
    let err = violation(madmp::import(doc, Version::V1_3));
    assert_eq!(err.pointer, "/dmp", "{err}");
    assert!(err.message.contains("contact"), "{err}");
    assert!(madmp::import(json!({"dmp": []}), Version::V1_2).is_err());
}

#[test]
fn reused_data_are_linked_with_a_related_identifier() {
    let mut fields = Map::new();
    fields.insert("reuse".into(), json!("Yes"));
    fields.insert("reuse_url".into(), json!("https://doi.org/10.1234/raw"));
    for version in Version::ALL {
        let out = madmp::export(&fields, &ctx(0, 0), version).unwrap();
        let ds = &out["dmp"]["dataset"][0];
        assert_eq!(ds["is_reused"], true);
        assert_eq!(
            ds["related_identifier"],
            json!([{"identifier": "https://doi.org/10.1234/raw",
                    "relation_type": "IsDerivedFrom", "type": "doi"}])
        );
        // Read back without the answers block: from the standard's fields alone.
        let mut bare = out.clone();
        bare["dmp"]
            .as_object_mut()
            .unwrap()
            .remove(madmp::EXTENSION);
        let back = madmp::import(bare, version).unwrap();
        assert_eq!(back.fields["reuse_url"], "https://doi.org/10.1234/raw");
        assert_eq!(back.fields["reuse"], "Yes");
    }
}

/// The schema violation an import was refused for.
fn violation<T: std::fmt::Debug>(r: Result<T, madmp::MadmpError>) -> madmp::Violation {
    match r {
        Err(madmp::MadmpError::Violation(v)) => v,
        other => panic!("a violation expected: {other:?}"),
    }
}

/// The complete plan fixture's fields.
fn plan_fixture() -> Map<String, Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plan-complete.json");
    serde_json::from_slice::<Value>(&std::fs::read(path).unwrap())
        .unwrap()
        .as_object()
        .unwrap()
        .clone()
}

#[test]
fn a_complete_plans_parts_export_as_standard_madmp_and_import_back_without_the_extension() {
    let plan = plan_fixture();
    for version in [Version::V1_3, Version::V1_2] {
        let doc =
            madmp::export(&plan, &ctx(1_700_000_000_000, 1_700_000_100_000), version).unwrap();
        let dmp = &doc["dmp"];
        // Contributors, with their ORCID iDs and DataCite roles.
        let people = dmp["contributor"].as_array().unwrap();
        assert_eq!(people.len(), 3);
        assert_eq!(people[0]["name"], "Ana García");
        assert_eq!(
            people[0]["contributor_id"],
            json!({"identifier": "https://orcid.org/0000-0002-1825-0097", "type": "orcid"})
        );
        assert_eq!(people[0]["role"], json!(["ContactPerson", "dmp_author"]));
        assert_eq!(people[2]["contributor_id"]["type"], "other");
        assert_eq!(people[2]["role"], json!(["DataCurator"]));
        // Costs.
        let costs = dmp["cost"].as_array().unwrap();
        assert_eq!(costs.len(), 2);
        assert_eq!(costs[0]["value"], 1800);
        assert_eq!(costs[0]["currency_code"], "EUR");
        // Project and funding.
        let project = &dmp["project"][0];
        assert_eq!(project["title"], "Citizen photometers for a darker sky");
        assert_eq!(
            (project["start"].as_str(), project["end"].as_str()),
            (Some("2024-01-01"), Some("2027-12-31"))
        );
        assert_eq!(
            project["funding"][0]["funder_id"],
            json!({"identifier": "00k4n6c32", "type": "ror"})
        );
        assert_eq!(project["funding"][0]["funding_status"], "granted");
        assert_eq!(project["funding"][0]["grant_id"]["identifier"], "101094567");
        // The questionnaire's dataset first, then the plan's three with distributions.
        let datasets = dmp["dataset"].as_array().unwrap();
        assert_eq!(datasets.len(), 4, "{datasets:#?}");
        let sky = &datasets[3];
        assert_eq!(
            sky["dataset_id"]["identifier"],
            "http://localhost:8080/rda/dmps/0123456789abcdef01234567#datasets/skyimages"
        );
        assert_eq!(sky["distribution"][0]["byte_size"], 2_000_000_000_000_i64);
        assert_eq!(sky["distribution"][0]["format"], json!(["FITS", "JPEG"]));
        assert_eq!(
            sky["distribution"][0]["host"]["title"],
            "UCM e-cienciaDatos"
        );
        let access = if version == Version::V1_2 {
            "shared"
        } else {
            "restricted"
        };
        assert_eq!(sky["distribution"][0]["data_access"], access);
        assert_eq!(
            sky["distribution"][0]["license"][0]["start_date"],
            "2026-06-30"
        );
        assert_eq!(datasets[2]["personal_data"], "yes");

        // Another tool keeps only the standard parts: import them back.
        let mut foreign = doc.clone();
        foreign["dmp"]
            .as_object_mut()
            .unwrap()
            .remove(madmp::EXTENSION);
        let back = madmp::import(foreign, version).unwrap().fields;
        let people = back["contributors"].as_array().unwrap();
        assert_eq!(people.len(), 3);
        for (got, want) in people.iter().zip(plan["contributors"].as_array().unwrap()) {
            assert_eq!(got["name"], want["name"]);
            assert_eq!(got["email"], want["email"]);
            let mut want_roles: Vec<&str> = want["roles"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_str().unwrap())
                .collect();
            want_roles.sort_unstable();
            assert_eq!(got["roles"], json!(want_roles));
        }
        assert_eq!(people[0]["orcid"], "https://orcid.org/0000-0002-1825-0097");
        assert_eq!(
            people[0]["affiliation"],
            "Universidad Complutense de Madrid"
        );
        let costs = back["costs"].as_array().unwrap();
        assert_eq!(costs[1]["title"], "Data steward, 3 person-months");
        assert_eq!(costs[1]["amount"], 15000);
        assert_eq!(costs[1]["currency"], "EUR");
        assert_eq!(costs[1]["covered_by"], "the institution");
        let grant = &back["grant"];
        assert_eq!(grant["grant_number"], "101094567");
        assert_eq!(grant["funder"]["ror"], "https://ror.org/00k4n6c32");
        assert_eq!(grant["end"], "2027-12-31");
        let datasets = back["datasets"].as_array().unwrap();
        assert_eq!(datasets.len(), 3);
        let ids: Vec<&str> = datasets.iter().map(|d| d["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["photometry", "volunteers", "skyimages"]);
        assert_eq!(datasets[2]["access"], "restricted");
        assert_eq!(datasets[2]["expected_size"], "2 TB");
        assert_eq!(datasets[2]["repository"]["name"], "UCM e-cienciaDatos");
        assert_eq!(datasets[0]["metadata_standard"], "DataCite");
        assert_eq!(datasets[1]["personal_data"], "yes");
        // The imported plan meets the plan schema.
        dmptool::domain::plan::check(&back).unwrap();
        // And a dmptool document (extension kept) gives the plan's parts exactly.
        let whole = madmp::import(doc, version).unwrap().fields;
        for key in ["contributors", "costs", "datasets", "grant"] {
            assert_eq!(whole[key], plan[key], "{key}");
        }
    }
}

#[test]
fn removing_a_plans_datasets_removes_theirs_and_keeps_an_imported_documents_others() {
    let plan = plan_fixture();
    let doc = madmp::export(
        &plan,
        &ctx(1_700_000_000_000, 1_700_000_100_000),
        Version::V1_3,
    )
    .unwrap();
    let mut fields = madmp::import(doc, Version::V1_3).unwrap().fields;
    fields.remove("datasets");
    fields.remove("costs");
    let again = madmp::export(
        &fields,
        &ctx(1_700_000_000_000, 1_700_000_200_000),
        Version::V1_3,
    )
    .unwrap();
    assert_eq!(again["dmp"]["dataset"].as_array().unwrap().len(), 1);
    assert!(again["dmp"].get("cost").is_none());
    assert_eq!(again["dmp"]["contributor"].as_array().unwrap().len(), 3);
}

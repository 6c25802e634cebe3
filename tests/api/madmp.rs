//! `GET /dmps/{id}/madmp` and `POST /dmps/import`.

use dmptool::madmp::{EXTENSION, schema};
use serde_json::{Value, json};

use crate::support::{TestApp, comparable, fixture};

pub fn example(name: &str) -> Value {
    fixture(&format!("madmp/{name}"))
}

pub const EXAMPLES: [&str; 8] = [
    "ex1-header-fundedProject.json",
    "ex2-dataset-planned.json",
    "ex3-dataset-finished.json",
    "ex4-dataset-embargo.json",
    "ex6-dataset-closed.json",
    "ex7-dataset-many.json",
    "ex8-dmp-minimal-content.json",
    "ex9-dmp-long.json",
];

#[tokio::test]
async fn the_fixture_and_an_empty_dmp_export_valid_documents() {
    let app = TestApp::new();
    let t = app.user("ana").await;
    let posted = fixture("dmp-from-action-frontend.json");
    let id = app
        .post("/dmps")
        .token(&t)
        .json(&posted)
        .send()
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .get(&format!("/dmps/{id}/madmp"))
        .token(&t)
        .header("Host", "plans.example.org")
        .send()
        .await;
    assert!(r.header("last-modified").is_some());
    assert!(r.header("etag").is_some_and(|e| e.starts_with('"')));
    let doc = r.ok(200);
    assert!(schema::validate(&doc).is_ok(), "{doc:#}");
    let dmp = &doc["dmp"];
    assert_eq!(dmp["title"], posted["name"]);
    assert_eq!(dmp["description"], posted["purpose"]);
    assert_eq!(
        dmp["dmp_id"],
        json!({"identifier": format!("http://plans.example.org/rda/dmps/{id}"), "type": "url"})
    );
    assert_eq!(dmp["contact"]["name"], "ana");
    assert_eq!(dmp["contact"]["mbox"], "ana@example.org");
    assert_eq!(dmp["project"][0]["title"], "azotea");
    assert_eq!(
        dmp["project"][0]["description"],
        posted["project_description"]
    );
    assert_eq!(dmp["ethical_issues_exist"], "no");
    let ds = &dmp["dataset"][0];
    assert_eq!(ds["description"], posted["description"]);
    assert_eq!(ds["personal_data"], "no");
    assert_eq!(ds["sensitive_data"], "no");
    assert_eq!(
        ds["data_quality_assurance"],
        json!([posted["quality_text"]])
    );
    assert_eq!(ds["metadata"].as_array().unwrap().len(), 3);
    let dist = &ds["distribution"][0];
    assert_eq!(dist["data_access"], "restricted");
    assert!(dist.get("license").is_none(), "'Others' has no licence URL");
    assert_eq!(
        dmp[EXTENSION]["answers"]["conditions"],
        posted["conditions"]
    );

    // A licence choice maps to its Creative Commons URL; an embargo sets its start.
    let r = app
        .put(&format!("/dmps/{id}"))
        .token(&t)
        .json(&json!({"license": "CC BY", "sharing": "Yes"}))
        .send()
        .await;
    r.ok(200);
    let doc = app
        .get(&format!("/dmps/{id}/madmp"))
        .token(&t)
        .send()
        .await
        .ok(200);
    assert!(schema::validate(&doc).is_ok());
    let dist = &doc["dmp"]["dataset"][0]["distribution"][0];
    assert_eq!(dist["data_access"], "open");
    assert_eq!(
        dist["license"],
        json!([{"license_ref": "https://creativecommons.org/licenses/by/4.0/", "start_date": "2021-12-31"}])
    );

    let empty = app
        .post("/dmps")
        .token(&t)
        .json(&json!({}))
        .send()
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let doc = app
        .get(&format!("/dmps/{empty}/madmp"))
        .token(&t)
        .send()
        .await
        .ok(200);
    assert!(schema::validate(&doc).is_ok(), "{doc:#}");

    // Another user's DMP is not found; an unknown id too.
    let eve = app.user("eve").await;
    app.get(&format!("/dmps/{id}/madmp"))
        .token(&eve)
        .send()
        .await
        .error(404);
    app.get("/dmps/0123456789abcdef01234567/madmp")
        .token(&t)
        .send()
        .await
        .error(404);
    app.get(&format!("/dmps/{id}/madmp"))
        .send()
        .await
        .error(401);
}

#[tokio::test]
async fn every_official_example_imports_and_exports_back() {
    let app = TestApp::new();
    let t = app.user("ana").await;
    for name in EXAMPLES {
        let doc = example(name);
        let r = app.post("/dmps/import").token(&t).json(&doc).send().await;
        let id = r.ok(201)["id"].as_str().unwrap().to_owned();
        // 1.2 (the examples' version) on request: the same document.
        let out = app
            .get(&format!("/dmps/{id}/madmp?version=1.2"))
            .token(&t)
            .send()
            .await
            .ok(200);
        assert!(
            schema::validate_as(&out, dmptool::madmp::Version::V1_2).is_ok(),
            "{name}"
        );
        assert_eq!(comparable(out), comparable(doc.clone()), "{name}");
        // 1.3 by default, valid against the 1.3 schema.
        let out = app
            .get(&format!("/dmps/{id}/madmp"))
            .token(&t)
            .send()
            .await
            .ok(200);
        assert!(schema::validate(&out).is_ok(), "{name}");
        assert_eq!(out["dmp"]["title"], doc["dmp"]["title"], "{name}");
        // It is an ordinary DMP: the questionnaire fields are there for the frontend.
        let plain = app
            .get(&format!("/dmps/{id}"))
            .token(&t)
            .send()
            .await
            .ok(200);
        assert_eq!(plain["name"], doc["dmp"]["title"], "{name}");
        assert!(plain["purpose"].is_string());
    }
    let list = app.get("/dmps").token(&t).send().await.ok(200);
    assert_eq!(list.as_array().unwrap().len(), EXAMPLES.len());
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|d| d["purpose"].is_string())
    );
}

#[tokio::test]
async fn an_imported_dmp_renders_and_edits_show_in_its_export() {
    let app = TestApp::new();
    let t = app.user("ana").await;
    let doc = example("ex9-dmp-long.json");
    let id = app
        .post("/dmps/import")
        .token(&t)
        .json(&doc)
        .send()
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.put(&format!("/dmps/{id}"))
        .token(&t)
        .json(&json!({"name": "Renamed in the questionnaire"}))
        .send()
        .await
        .ok(200);
    let out = app
        .get(&format!("/dmps/{id}/madmp"))
        .token(&t)
        .send()
        .await
        .ok(200);
    assert_eq!(out["dmp"]["title"], "Renamed in the questionnaire");
    assert_eq!(out["dmp"]["dataset"], doc["dmp"]["dataset"]);

    let task = app
        .post("/tasks")
        .token(&t)
        .json(&json!({"dmp": id}))
        .send()
        .await;
    let task_id = task.json()["id"].as_str().map(str::to_owned);
    assert!(task.status.is_success(), "{:?}", task.json());
    assert!(task_id.is_some());
}

#[tokio::test]
async fn nonconforming_documents_are_refused_with_a_pointer() {
    let app = TestApp::new();
    let t = app.user("ana").await;
    let mut doc = example("ex8-dmp-minimal-content.json");
    doc["dmp"]["dataset"][0]["sensitive_data"] = json!(true);
    let r = app.post("/dmps/import").token(&t).json(&doc).send().await;
    let v = r.ok(400);
    assert_eq!(v["pointer"], "/dmp/dataset/0/sensitive_data");
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("/dmp/dataset/0/sensitive_data")
    );
    let v = app
        .post("/dmps/import")
        .token(&t)
        .json(&json!([1]))
        .send()
        .await
        .ok(400);
    assert_eq!(v["pointer"], "");
    app.post("/dmps/import")
        .token(&t)
        .raw("application/json", "{not json")
        .send()
        .await
        .error(400);
    // Nothing was created.
    let list = app.get("/dmps").token(&t).send().await.ok(200);
    assert_eq!(list.as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn an_embargo_date_that_is_not_a_full_date_is_refused_and_a_stored_one_never_breaks_exports()
{
    let app = TestApp::new();
    let t = app.user("ana").await;
    let mut plan = fixture("dmp-from-action-frontend.json");
    plan["embargo"] = json!("Yes");
    plan["license"] = json!("CC BY");
    plan["embargo_date"] = json!("2030-01-05");
    let id = app.post("/dmps").token(&t).json(&plan).send().await.ok(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Written strictly: RFC 3339 full-date, on create and on update, naming the field.
    for bad in [
        json!("2030-1-5"),
        json!("2030-02-30"),
        json!("05/01/2030"),
        json!("2030-01-05T00:00:00Z"),
        json!(20300105),
    ] {
        let mut body = plan.clone();
        body["embargo_date"] = bad.clone();
        let msg = app
            .post("/dmps")
            .token(&t)
            .json(&body)
            .send()
            .await
            .error(400);
        assert!(msg.contains("embargo_date"), "{bad}: {msg}");
        let msg = app
            .put(&format!("/dmps/{id}"))
            .token(&t)
            .json(&json!({"embargo_date": bad}))
            .send()
            .await
            .error(400);
        assert!(
            msg.contains("embargo_date") && msg.contains("YYYY-MM-DD"),
            "{bad}: {msg}"
        );
    }
    for fine in [json!(""), json!(null), json!("2031-12-31")] {
        app.put(&format!("/dmps/{id}"))
            .token(&t)
            .json(&json!({"embargo_date": fine}))
            .send()
            .await
            .ok(200);
    }

    // A value stored before the check (older data) is left out of the mapping, not a 500.
    let raw = dmptool::domain::DmpId::parse(&id).unwrap();
    app.services
        .store
        .write(|tx| {
            let mut rec = dmptool::store::dmps::get(tx, raw.bytes())?.unwrap();
            rec.doc.insert("embargo_date".into(), json!("2030-1-5"));
            dmptool::store::dmps::update(
                tx,
                raw.bytes(),
                &rec,
                &dmptool::store::revisions::Edit::by(rec.owner, "api"),
            )
        })
        .unwrap();
    let doc = app
        .get(&format!("/dmps/{id}/madmp"))
        .token(&t)
        .send()
        .await
        .ok(200);
    assert!(schema::validate(&doc).is_ok(), "{doc:#}");
    let start = doc
        .pointer("/dmp/dataset/0/distribution/0/license/0/start_date")
        .unwrap();
    assert_eq!(start.as_str().unwrap().len(), 10, "{start}");
    assert_eq!(
        doc["dmp"][EXTENSION]["answers"]["embargo_date"], "2030-1-5",
        "the answer itself is kept"
    );
    let list = app.get("/rda/dmps").token(&t).send().await.ok(200);
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    let notes = &list["items"][0]["dmp"][EXTENSION]["notes"];
    assert!(
        notes[0].as_str().unwrap().contains("embargo_date"),
        "{notes}"
    );

    app.get(&format!("/rda/dmps/{id}"))
        .token(&t)
        .send()
        .await
        .ok(200);
}

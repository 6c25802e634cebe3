use serde_json::{Value, json};

use crate::support::{TestApp, fixture};

#[tokio::test]
async fn frontend_flow_create_list_get_update_delete() {
    let app = TestApp::new();
    let t = app.user("test").await;
    let posted = fixture("dmp-posted-by-frontend.json");
    let r = app.post("/dmps").token(&t).json(&posted).send().await;
    let v = r.ok(201);
    assert_eq!(v["ok"], true);
    let id = v["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 24);
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()));

    let r = app
        .get("/dmps")
        .token(&t)
        .header("Content-Type", "application/json")
        .send()
        .await;
    assert_eq!(r.header("x-total-count"), Some("1"));
    let list = r.ok(200);
    let item = &list.as_array().unwrap()[0];
    assert_eq!(item["_id"], id.as_str());
    assert_eq!(item["user"], "test");
    assert_eq!(item["purpose"], posted["purpose"]);
    for (k, val) in posted.as_object().unwrap() {
        if k != "user" {
            assert_eq!(&item[k], val, "field {k}");
        }
    }

    let one = app
        .get(&format!("/dmps/{id}"))
        .token(&t)
        .send()
        .await
        .ok(200);
    assert_eq!(one["name"], posted["name"]);
    assert_eq!(one["_version"], 1);

    let v = app
        .put(&format!("/dmps/{id}"))
        .token(&t)
        .json(&json!({"name": "Renamed", "_id": "000000000000000000000000", "user": "mallory", "extra": [1, 2]}))
        .send()
        .await
        .ok(200);
    assert_eq!(v["id"], id.as_str());
    let one = app
        .get(&format!("/dmps/{id}"))
        .token(&t)
        .send()
        .await
        .ok(200);
    assert_eq!(one["name"], "Renamed");
    assert_eq!(one["_id"], id.as_str());
    assert_eq!(one["user"], "test");
    assert_eq!(one["extra"], json!([1, 2]));
    assert_eq!(one["purpose"], posted["purpose"], "untouched keys stay");
    assert_eq!(one["_version"], 2);

    let v = app
        .delete(&format!("/dmps/{id}"))
        .token(&t)
        .send()
        .await
        .ok(200);
    assert_eq!(v["id"], id.as_str());
    app.get(&format!("/dmps/{id}"))
        .token(&t)
        .send()
        .await
        .error(404);
    assert_eq!(app.get("/dmps").token(&t).send().await.ok(200), json!([]));
    app.assert_consistent();
}

#[tokio::test]
async fn a_client_id_never_becomes_the_id() {
    let app = TestApp::new();
    let t = app.user("ana").await;
    let id = app
        .dmp(&t, &json!({"_id": "5f4788901670a9821bc72985", "name": "n"}))
        .await;
    assert_ne!(id, "5f4788901670a9821bc72985");
    app.get("/dmps/5f4788901670a9821bc72985")
        .token(&t)
        .send()
        .await
        .error(404);
}

#[tokio::test]
async fn bodies_must_be_json_objects() {
    let app = TestApp::new();
    let t = app.user("ana").await;
    for body in ["[]", "\"text\"", "null", "42", "{", "{\"a\":}", ""] {
        app.post("/dmps")
            .token(&t)
            .raw("application/json", body)
            .send()
            .await
            .error(400);
    }
    app.post("/dmps")
        .token(&t)
        .raw("text/plain", "{}")
        .send()
        .await
        .error(415);
    app.post("/dmps")
        .token(&t)
        .raw("application/json", vec![b'{', 0xff, 0xfe, b'}'])
        .send()
        .await
        .error(400);
    let id = app.dmp(&t, &json!({"name": "n"})).await;
    app.put(&format!("/dmps/{id}"))
        .token(&t)
        .raw("application/json", "[1]")
        .send()
        .await
        .error(400);
    app.assert_consistent();
}

#[tokio::test]
async fn bad_ids_are_400_and_unknown_ids_404() {
    let app = TestApp::new();
    let t = app.user("ana").await;
    for bad in ["123", "zzzzzzzzzzzzzzzzzzzzzzzz", "..%2F..%2Fetc"] {
        app.get(&format!("/dmps/{bad}"))
            .token(&t)
            .send()
            .await
            .error(400);
        app.put(&format!("/dmps/{bad}"))
            .token(&t)
            .json(&json!({}))
            .send()
            .await
            .error(400);
        app.delete(&format!("/dmps/{bad}"))
            .token(&t)
            .send()
            .await
            .error(400);
    }
    app.get("/dmps/5f4788901670a9821bc72985")
        .token(&t)
        .send()
        .await
        .error(404);
    app.put("/dmps/5f4788901670a9821bc72985")
        .token(&t)
        .json(&json!({}))
        .send()
        .await
        .error(404);
    app.delete("/dmps/5f4788901670a9821bc72985")
        .token(&t)
        .send()
        .await
        .error(404);
}

#[tokio::test]
async fn only_the_owner_sees_or_changes_a_dmp() {
    let app = TestApp::new();
    let ana = app.user("ana").await;
    let eve = app.user("eve").await;
    let id = app.dmp(&ana, &json!({"name": "secret plan"})).await;
    let path = format!("/dmps/{id}");
    app.get(&path).token(&eve).send().await.error(404);
    app.put(&path)
        .token(&eve)
        .json(&json!({"name": "pwned"}))
        .send()
        .await
        .error(404);
    app.delete(&path).token(&eve).send().await.error(404);
    assert_eq!(app.get("/dmps").token(&eve).send().await.ok(200), json!([]));
    app.get("/dmps?all=true")
        .token(&eve)
        .send()
        .await
        .error(403);
    let mine = app.get(&path).token(&ana).send().await.ok(200);
    assert_eq!(mine["name"], "secret plan");
}

#[tokio::test]
async fn admins_may_read_every_dmp_but_not_change_it() {
    // Since plans are shared under roles, an administrator reads every plan as a viewer:
    // a write is refused as above that role (403), no longer as unknown (404).
    let app = TestApp::new();
    let ana = app.user("ana").await;
    let root = app.admin("root").await;
    let id = app.dmp(&ana, &json!({"name": "a"})).await;
    app.dmp(&root, &json!({"name": "r"})).await;
    let r = app.get("/dmps?all=true").token(&root).send().await;
    assert_eq!(r.header("x-total-count"), Some("2"));
    assert_eq!(r.ok(200).as_array().unwrap().len(), 2);
    assert_eq!(
        app.get("/dmps")
            .token(&root)
            .send()
            .await
            .ok(200)
            .as_array()
            .unwrap()
            .len(),
        1
    );
    app.get(&format!("/dmps/{id}"))
        .token(&root)
        .send()
        .await
        .ok(200);
    app.put(&format!("/dmps/{id}"))
        .token(&root)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .error(403);
    app.delete(&format!("/dmps/{id}"))
        .token(&root)
        .send()
        .await
        .error(403);
}

#[tokio::test]
async fn purpose_is_always_a_string() {
    let app = TestApp::new();
    let t = app.user("ana").await;
    app.dmp(&t, &json!({"name": "no purpose"})).await;
    app.dmp(&t, &json!({"name": "numeric", "purpose": 42}))
        .await;
    app.dmp(&t, &json!({"name": "null", "purpose": null})).await;
    let list = app.get("/dmps").token(&t).send().await.ok(200);
    let purposes: Vec<&Value> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["purpose"])
        .collect();
    assert_eq!(purposes, [&json!(""), &json!("42"), &json!("")]);
}

#[tokio::test]
async fn listing_pages_with_offset_and_limit() {
    let app = TestApp::new();
    let t = app.user("ana").await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(app.dmp(&t, &json!({"name": format!("plan {i}")})).await);
    }
    let r = app.get("/dmps?offset=1&limit=2").token(&t).send().await;
    assert_eq!(r.header("x-total-count"), Some("5"));
    let page: Vec<String> = r
        .ok(200)
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(page, ids[1..3]);
    app.get("/dmps?limit=-1").token(&t).send().await.error(400);
    app.get("/dmps?offset=abc")
        .token(&t)
        .send()
        .await
        .error(400);
}

#[tokio::test]
async fn values_of_every_json_kind_and_unicode_survive() {
    let app = TestApp::new();
    let t = app.user("ana").await;
    let body = fixture("dmp-from-action-frontend.json");
    let mut body = body.as_object().unwrap().clone();
    body.insert("nested".into(), json!({"a": [1, 2.5, true, null, "Łódź"]}));
    let id = app.dmp(&t, &Value::Object(body.clone())).await;
    let got = app
        .get(&format!("/dmps/{id}"))
        .token(&t)
        .send()
        .await
        .ok(200);
    for (k, v) in &body {
        assert_eq!(&got[k], v, "{k}");
    }
}

#[tokio::test]
async fn data_survives_a_restart() {
    let app = TestApp::new();
    let t = app.user("ana").await;
    let id = app.dmp(&t, &json!({"name": "kept"})).await;
    let app = app.restart();
    let got = app
        .get(&format!("/dmps/{id}"))
        .token(&t)
        .send()
        .await
        .ok(200);
    assert_eq!(got["name"], "kept");
    app.assert_consistent();
}

#[tokio::test]
async fn a_complete_plan_is_kept_whole_and_a_bad_part_is_refused_with_its_pointer() {
    let app = TestApp::new();
    let t = app.user("ana").await;
    let plan = fixture("plan-complete.json");
    let id = app.dmp(&t, &plan).await;
    let got = app
        .get(&format!("/dmps/{id}"))
        .token(&t)
        .send()
        .await
        .ok(200);
    for key in [
        "grant",
        "contributors",
        "datasets",
        "costs",
        "versions",
        "answers",
        "ethics",
    ] {
        assert_eq!(got[key], plan[key], "{key}");
    }
    // Unknown keys inside the parts are kept.
    let mut with_extra = plan.clone();
    with_extra["datasets"][0]["lab_notebook"] = json!("NB-12");
    app.put(&format!("/dmps/{id}"))
        .token(&t)
        .json(&with_extra)
        .send()
        .await
        .ok(200);
    let got = app
        .get(&format!("/dmps/{id}"))
        .token(&t)
        .send()
        .await
        .ok(200);
    assert_eq!(got["datasets"][0]["lab_notebook"], "NB-12");
    for (path, value, at) in [
        (
            "/contributors/1/orcid",
            json!("0000-0001-5109-3701"),
            "/contributors/1/orcid: ",
        ),
        (
            "/datasets/2/access",
            json!("public"),
            "/datasets/2/access: ",
        ),
        ("/costs/0/currency", json!("euros"), "/costs/0/currency: "),
        ("/grant/end", json!("2023-01-01"), "/grant/end: "),
        ("/answers/harvesting", json!(42), "/answers/harvesting: "),
    ] {
        let mut bad = plan.clone();
        *bad.pointer_mut(path).unwrap() = value;
        let e = app
            .put(&format!("/dmps/{id}"))
            .token(&t)
            .json(&bad)
            .send()
            .await
            .error(400);
        assert!(e.starts_with(at), "{path}: {e}");
        let e = app
            .post("/dmps")
            .token(&t)
            .json(&bad)
            .send()
            .await
            .error(400);
        assert!(e.starts_with(at), "{path}: {e}");
    }
    // Nothing of the refused writes was kept.
    let got = app
        .get(&format!("/dmps/{id}"))
        .token(&t)
        .send()
        .await
        .ok(200);
    assert_eq!(got["datasets"][0]["lab_notebook"], "NB-12");
    assert_eq!(got["_version"], 2);
    let list = app.get("/dmps").token(&t).send().await.ok(200);
    assert_eq!(list.as_array().unwrap().len(), 1);
    app.assert_consistent();
}

#[tokio::test]
async fn the_plan_schema_is_served_and_the_fixtures_meet_it() {
    let app = TestApp::new();
    let r = app.get("/schemas/plan.json").send().await;
    assert_eq!(r.header("content-type"), Some("application/schema+json"));
    let schema = r.ok(200);
    let committed: Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/schemas/plan.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(schema, committed);
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    for f in [
        "plan-complete.json",
        "dmp-posted-by-frontend.json",
        "dmp-from-action-frontend.json",
    ] {
        let errors: Vec<String> = validator
            .iter_errors(&fixture(f))
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{f}: {errors:?}");
    }
}

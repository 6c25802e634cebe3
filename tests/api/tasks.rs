use serde_json::json;

use crate::support::TestApp;

#[tokio::test]
async fn tasks_are_created_pending_and_listed_newest_first() {
    let app = TestApp::new();
    let t = app.user("ana").await;
    let dmp = app.dmp(&t, &json!({"name": "plan"})).await;
    let first = app.task(&t, &dmp).await;
    let second = app.task(&t, &dmp).await;
    let list = app
        .get(&format!("/tasks?id_dmp={dmp}"))
        .token(&t)
        .send()
        .await
        .ok(200);
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [second.as_str(), first.as_str()]);
    let task = app
        .get(&format!("/tasks/{first}"))
        .token(&t)
        .send()
        .await
        .ok(200);
    assert_eq!(task["status"], "pending");
    assert_eq!(task["dmp"], dmp.as_str());
    assert_eq!(task["dmp_version"], 1);
    let ts = task["timestamp"].as_str().unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(ts).is_ok(), "{ts}");
    assert!(ts.ends_with('Z'));
    assert!(task.get("url_docx").is_none());
    app.assert_consistent();
}

#[tokio::test]
async fn client_fields_other_than_dmp_are_ignored() {
    let app = TestApp::new();
    let t = app.user("ana").await;
    let dmp = app.dmp(&t, &json!({})).await;
    let body = json!({"dmp": dmp, "status": "done", "timestamp": "1999-01-01T00:00:00Z", "url_docx": "../../etc/passwd"});
    let id = app
        .post("/tasks")
        .token(&t)
        .json(&body)
        .send()
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let task = app
        .get(&format!("/tasks/{id}"))
        .token(&t)
        .send()
        .await
        .ok(200);
    assert_eq!(task["status"], "pending");
    assert_ne!(task["timestamp"], "1999-01-01T00:00:00Z");
    assert!(task.get("url_docx").is_none());
}

#[tokio::test]
async fn bad_task_requests() {
    let app = TestApp::new();
    let t = app.user("ana").await;
    app.post("/tasks")
        .token(&t)
        .json(&json!({}))
        .send()
        .await
        .error(400);
    app.post("/tasks")
        .token(&t)
        .json(&json!({"dmp": 5}))
        .send()
        .await
        .error(400);
    app.post("/tasks")
        .token(&t)
        .json(&json!({"dmp": "nothex"}))
        .send()
        .await
        .error(400);
    app.post("/tasks")
        .token(&t)
        .json(&json!([]))
        .send()
        .await
        .error(400);
    app.post("/tasks")
        .token(&t)
        .json(&json!({"dmp": "5f4788901670a9821bc72985"}))
        .send()
        .await
        .error(404);
    app.get("/tasks?status=finished")
        .token(&t)
        .send()
        .await
        .error(400);
    app.get("/tasks?id_dmp=xyz")
        .token(&t)
        .send()
        .await
        .error(400);
    app.get("/tasks/xyz").token(&t).send().await.error(400);
    app.get("/tasks/5f4788901670a9821bc72985")
        .token(&t)
        .send()
        .await
        .error(404);
    app.get("/tasks").send().await.error(401);
}

#[tokio::test]
async fn filters_by_status() {
    let app = TestApp::new();
    let t = app.user("ana").await;
    let dmp = app.dmp(&t, &json!({})).await;
    let done = app.task(&t, &dmp).await;
    let pending = app.task(&t, &dmp).await;
    let id = dmptool::domain::TaskId::parse(&done).unwrap();
    app.services
        .complete_task_with_documents(id, b"docx", b"pdf")
        .unwrap();
    let only_done = app.get("/tasks?status=done").token(&t).send().await.ok(200);
    assert_eq!(only_done.as_array().unwrap().len(), 1);
    assert_eq!(only_done[0]["_id"], done.as_str());
    let only_pending = app
        .get(&format!("/tasks?status=pending&id_dmp={dmp}"))
        .token(&t)
        .send()
        .await
        .ok(200);
    assert_eq!(only_pending[0]["_id"], pending.as_str());
    assert_eq!(
        app.get("/tasks?limit=1")
            .token(&t)
            .send()
            .await
            .ok(200)
            .as_array()
            .unwrap()
            .len(),
        1
    );
    app.assert_consistent();
}

#[tokio::test]
async fn one_user_never_sees_anothers_tasks() {
    let app = TestApp::new();
    let ana = app.user("ana").await;
    let eve = app.user("eve").await;
    let dmp = app.dmp(&ana, &json!({})).await;
    let task = app.task(&ana, &dmp).await;
    app.post("/tasks")
        .token(&eve)
        .json(&json!({"dmp": dmp}))
        .send()
        .await
        .error(404);
    app.get(&format!("/tasks/{task}"))
        .token(&eve)
        .send()
        .await
        .error(404);
    assert_eq!(
        app.get("/tasks").token(&eve).send().await.ok(200),
        json!([])
    );
    assert_eq!(
        app.get(&format!("/tasks?id_dmp={dmp}"))
            .token(&eve)
            .send()
            .await
            .ok(200),
        json!([])
    );
}

#[tokio::test]
async fn deleting_a_dmp_deletes_its_tasks() {
    let app = TestApp::new();
    let t = app.user("ana").await;
    let dmp = app.dmp(&t, &json!({})).await;
    let task = app.task(&t, &dmp).await;
    app.delete(&format!("/dmps/{dmp}"))
        .token(&t)
        .send()
        .await
        .ok(200);
    app.get(&format!("/tasks/{task}"))
        .token(&t)
        .send()
        .await
        .error(404);
    app.assert_consistent();
}

#[tokio::test]
async fn a_task_records_the_dmp_version_it_renders() {
    let app = TestApp::new();
    let t = app.user("ana").await;
    let dmp = app.dmp(&t, &json!({"name": "v1"})).await;
    app.put(&format!("/dmps/{dmp}"))
        .token(&t)
        .json(&json!({"name": "v2"}))
        .send()
        .await
        .ok(200);
    let task = app.task(&t, &dmp).await;
    let v = app
        .get(&format!("/tasks/{task}"))
        .token(&t)
        .send()
        .await
        .ok(200);
    assert_eq!(v["dmp_version"], 2);
}

#[tokio::test]
async fn a_users_waiting_tasks_are_capped_with_a_json_429() {
    let settings = dmptool::service::Settings {
        max_pending_tasks: 3,
        ..Default::default()
    };
    let app = TestApp::with(
        settings,
        dmptool::api::middleware::AllowedOrigins::Any,
        1 << 20,
    );
    let t = app.user("ana").await;
    let bob = app.user("bob").await;
    let dmp = app.dmp(&t, &json!({"name": "plan"})).await;
    let ids: Vec<String> = {
        let mut ids = Vec::new();
        for _ in 0..3 {
            ids.push(app.task(&t, &dmp).await);
        }
        ids
    };
    let r = app
        .post("/tasks")
        .token(&t)
        .json(&json!({"dmp": dmp}))
        .send()
        .await;
    let msg = r.error(429);
    assert!(msg.contains("3 document task(s) waiting"), "{msg}");
    assert!(
        r.header("retry-after")
            .is_some_and(|s| s.parse::<u64>().is_ok())
    );
    // Nothing was created, and another user is not held back.
    let listed = app
        .get(&format!("/tasks?id_dmp={dmp}"))
        .token(&t)
        .send()
        .await
        .ok(200);
    assert_eq!(listed.as_array().unwrap().len(), 3);
    let bobs = app.dmp(&bob, &json!({})).await;
    app.task(&bob, &bobs).await;
    // A finished task makes room again (running ones count as waiting).
    let claimed = app.services.claim_next_task().unwrap().unwrap();
    assert_eq!(claimed.id.to_string(), ids[0]);
    app.post("/tasks")
        .token(&t)
        .json(&json!({"dmp": dmp}))
        .send()
        .await
        .error(429);
    app.services
        .complete_task_with_documents(claimed.id, b"docx", b"pdf")
        .unwrap();
    app.task(&t, &dmp).await;
    app.assert_consistent();
}

#[tokio::test]
async fn only_the_newest_documents_of_a_plan_are_kept_and_older_tasks_say_so() {
    use dmptool::domain::TaskId;
    let app = TestApp::new();
    let t = app.user("ana").await;
    let dmp = app.dmp(&t, &json!({"name": "plan"})).await;
    let other = app.dmp(&t, &json!({"name": "other plan"})).await;
    let docs = app.dir.path().join("documents");
    let files = || std::fs::read_dir(&docs).unwrap().count();
    let complete = |id: &str, body: &[u8]| {
        app.services
            .complete_task_with_documents(TaskId::parse(id).unwrap(), body, body)
            .unwrap()
    };
    let keep = app.task(&t, &other).await;
    complete(&keep, b"other");

    // The frontend's flow: a task is done and its link is given out...
    let first = app.task(&t, &dmp).await;
    complete(&first, b"first");
    let given = task_json(&app, &t, &first).await["url_docx"]
        .as_str()
        .unwrap()
        .to_owned();
    // ... and keeps working while a newer task is waiting,
    let second = app.task(&t, &dmp).await;
    let r = app.get(&format!("/resources/docx/{given}")).send().await;
    assert_eq!(r.bytes, b"first");
    // until the newer documents replace it.
    complete(&second, b"second");
    app.get(&format!("/resources/docx/{given}"))
        .send()
        .await
        .error(404);
    let old = task_json(&app, &t, &first).await;
    assert_eq!(old["status"], "done");
    assert!(
        old.get("url_docx").is_none() && old.get("url_pdf").is_none(),
        "{old}"
    );
    assert_eq!(old["superseded_by"], second.as_str());
    assert!(old["note"].as_str().unwrap().contains(&second), "{old}");

    // Eight more requests for the same plan leave one set of documents, not eight.
    let mut last = second.clone();
    for _ in 0..8 {
        last = app.task(&t, &dmp).await;
        complete(&last, b"again");
    }
    assert_eq!(files(), 4, "one DOCX and one PDF per plan");
    let list = app
        .get(&format!("/tasks?id_dmp={dmp}"))
        .token(&t)
        .send()
        .await
        .ok(200);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 10);
    assert_eq!(list[0]["_id"], last.as_str());
    let url = list[0]["url_docx"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/resources/docx/{url}"))
            .send()
            .await
            .bytes,
        b"again"
    );
    for older in &list[1..] {
        assert!(older.get("url_docx").is_none(), "{older}");
        assert!(older["superseded_by"].is_string(), "{older}");
    }
    assert_eq!(list[1]["superseded_by"], last.as_str());
    // The other plan's documents were not touched.
    assert!(task_json(&app, &t, &keep).await.get("url_docx").is_some());

    // An older task finishing after a newer one does not take the newer one's place.
    let older = app.task(&t, &dmp).await;
    let newer = app.task(&t, &dmp).await;
    complete(&newer, b"newer");
    complete(&older, b"older");
    let v = task_json(&app, &t, &newer).await;
    let url = v["url_docx"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/resources/docx/{url}"))
            .send()
            .await
            .bytes,
        b"newer"
    );
    assert_eq!(
        task_json(&app, &t, &older).await["superseded_by"],
        newer.as_str()
    );
    assert_eq!(files(), 4);
    app.assert_consistent();
}

async fn task_json(app: &TestApp, token: &str, id: &str) -> serde_json::Value {
    app.get(&format!("/tasks/{id}"))
        .token(token)
        .send()
        .await
        .ok(200)
}

#[tokio::test]
async fn pruning_older_documents_never_removes_a_file_the_newest_task_shares() {
    use dmptool::domain::TaskId;
    let app = TestApp::new();
    let t = app.user("ana").await;
    let dmp = app.dmp(&t, &json!({"name": "plan"})).await;
    let oldest = app.task(&t, &dmp).await;
    let older = app.task(&t, &dmp).await;
    let newest = app.task(&t, &dmp).await;
    let id = |s: &str| TaskId::parse(s).unwrap();
    app.services
        .complete_task_with_documents(id(&older), b"shared", b"shared")
        .unwrap();
    // As an import may leave them: the newest task names the same files as an older one.
    app.services
        .store
        .write(|tx| {
            let from = dmptool::store::tasks::get(tx, id(&older).bytes())?.unwrap();
            let mut rec = dmptool::store::tasks::get(tx, id(&newest).bytes())?.unwrap();
            rec.status = dmptool::domain::TaskStatus::Done;
            rec.docx = from.docx;
            rec.pdf = from.pdf;
            dmptool::store::tasks::update(tx, id(&newest).bytes(), &rec)?;
            dmptool::store::tasks::delete_input(tx, id(&newest).bytes())
        })
        .unwrap();
    // The oldest finishes last: it and the older one give way to the newest.
    app.services
        .complete_task_with_documents(id(&oldest), b"late", b"late")
        .unwrap();
    let v = task_json(&app, &t, &newest).await;
    let url = v["url_docx"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/resources/docx/{url}"))
            .send()
            .await
            .bytes,
        b"shared"
    );
    for gone in [&older, &oldest] {
        let v = task_json(&app, &t, gone).await;
        assert!(v.get("url_docx").is_none(), "{v}");
        assert_eq!(v["superseded_by"], newest.as_str());
    }
    assert_eq!(
        std::fs::read_dir(app.dir.path().join("documents"))
            .unwrap()
            .count(),
        2
    );
    app.assert_consistent();
}

#[tokio::test]
async fn a_task_shows_its_render_warnings_only_when_there_are_some() {
    use dmptool::domain::TaskId;
    let app = TestApp::new();
    let t = app.user("ana").await;
    let dmp = app.dmp(&t, &json!({"name": "plan"})).await;
    let plain = app.task(&t, &dmp).await;
    app.services
        .complete_task_with_documents(TaskId::parse(&plain).unwrap(), b"d", b"p")
        .unwrap();
    let v = task_json(&app, &t, &plain).await;
    assert_eq!(v["status"], "done");
    assert!(v.get("warnings").is_none(), "{v}");

    let warned = app.task(&t, &dmp).await;
    let warning = "the PDF shows the replacement mark U+FFFD for 1 character that no available font covers (U+4E2D): add a font covering them to DATA/fonts".to_owned();
    app.services
        .complete_task_with_documents_and_warnings(
            TaskId::parse(&warned).unwrap(),
            b"d",
            b"p",
            std::slice::from_ref(&warning),
        )
        .unwrap();
    let v = task_json(&app, &t, &warned).await;
    assert_eq!(v["warnings"], json!([warning]), "{v}");
    app.assert_consistent();
}

use serde_json::json;

use crate::helpers::TestApp;

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

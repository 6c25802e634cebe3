use dmptool::domain::TaskId;
use serde_json::json;

use crate::helpers::TestApp;

const DOCX: &[u8] = b"PK\x03\x04 pretend docx";
const PDF: &[u8] = b"%PDF-1.7 pretend pdf";

/// A user with a DMP whose task is done with both files; returns (token, dmp, task JSON).
async fn rendered(app: &TestApp, user: &str) -> (String, String, serde_json::Value) {
    let t = app.user(user).await;
    let dmp = app.dmp(&t, &json!({"name": "DMP 945 – azotea"})).await;
    let task = app.task(&t, &dmp).await;
    app.services
        .complete_task_with_documents(TaskId::parse(&task).unwrap(), DOCX, PDF)
        .unwrap();
    let v = app
        .get(&format!("/tasks/{task}"))
        .token(&t)
        .send()
        .await
        .ok(200);
    assert_eq!(v["status"], "done");
    (t, dmp, v)
}

#[tokio::test]
async fn the_frontends_plain_link_downloads_the_docx() {
    let app = TestApp::new();
    let (_, _, task) = rendered(&app, "ana").await;
    // The frontend builds base + "/resources/docx/" + url_docx and opens it as a plain link.
    let url_docx = task["url_docx"].as_str().unwrap();
    assert!(url_docx.contains("?sig="), "{url_docx}");
    let r = app.get(&format!("/resources/docx/{url_docx}")).send().await;
    assert_eq!(r.status.as_u16(), 200);
    assert_eq!(r.bytes, DOCX);
    assert_eq!(
        r.header("content-type"),
        Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    );
    let cd = r.header("content-disposition").unwrap();
    assert!(
        cd.starts_with("attachment; filename=\"") && cd.ends_with(".docx\""),
        "{cd}"
    );
    assert!(cd.contains("DMP_945_azotea"), "{cd}");
    let url_pdf = task["url_pdf"].as_str().unwrap();
    let r = app.get(&format!("/resources/pdf/{url_pdf}")).send().await;
    assert_eq!(r.status.as_u16(), 200);
    assert_eq!(r.bytes, PDF);
    assert_eq!(r.header("content-type"), Some("application/pdf"));
}

#[tokio::test]
async fn the_owners_bearer_token_downloads_and_nobody_elses() {
    let app = TestApp::new();
    let (t, _, task) = rendered(&app, "ana").await;
    let eve = app.user("eve").await;
    let root = app.admin("root").await;
    let file_id = task["url_docx"]
        .as_str()
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let path = format!("/resources/docx/{file_id}");
    assert_eq!(app.get(&path).token(&t).send().await.bytes, DOCX);
    app.get(&path).token(&eve).send().await.error(404);
    assert_eq!(
        app.get(&path).token(&root).send().await.status.as_u16(),
        200
    );
    app.get(&path).send().await.error(401);
}

#[tokio::test]
async fn bad_signatures_and_paths_never_yield_a_file() {
    let app = TestApp::new();
    let (_, _, task) = rendered(&app, "ana").await;
    let url_docx = task["url_docx"].as_str().unwrap();
    let (file_id, sig) = url_docx.split_once("?sig=").unwrap();
    let pdf_id = task["url_pdf"].as_str().unwrap().split('?').next().unwrap();
    let mut flipped = sig.to_owned();
    let last = flipped.pop().unwrap();
    flipped.push(if last == 'A' { 'B' } else { 'A' });
    for path in [
        format!("/resources/docx/{file_id}?sig={flipped}"),
        format!("/resources/docx/{file_id}?sig=garbage"),
        format!("/resources/pdf/{pdf_id}?sig={sig}"),
        format!("/resources/pdf/{file_id}?sig={sig}"),
        format!("/resources/docx/..%2F..%2Fetc%2Fpasswd?sig={sig}"),
        format!("/resources/docx/%2Fetc%2Fpasswd?sig={sig}"),
        format!("/resources/docx/{file_id}%00?sig={sig}"),
        "/resources/docx/unknown.docx?sig=x".to_owned(),
    ] {
        let r = app.get(&path).send().await;
        assert!(
            matches!(r.status.as_u16(), 401 | 404),
            "{path}: {}",
            r.status
        );
        r.error(r.status.as_u16());
    }
    app.get("/resources/docx/../../etc/passwd")
        .send()
        .await
        .error(404);
}

#[tokio::test]
async fn signed_links_expire() {
    let settings = dmptool::service::Settings {
        link_ttl: 1,
        ..Default::default()
    };
    let app = TestApp::with(
        settings,
        dmptool::api::middleware::AllowedOrigins::Any,
        1 << 20,
    );
    let (_, _, task) = rendered(&app, "ana").await;
    let url = format!("/resources/docx/{}", task["url_docx"].as_str().unwrap());
    assert_eq!(app.get(&url).send().await.status.as_u16(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let msg = app.get(&url).send().await.error(401);
    assert!(msg.contains("expired"), "{msg}");
}

#[tokio::test]
async fn deleting_the_dmp_deletes_its_files() {
    let app = TestApp::new();
    let (t, dmp, task) = rendered(&app, "ana").await;
    let docs = app.dir.path().join("documents");
    assert_eq!(std::fs::read_dir(&docs).unwrap().count(), 2);
    app.delete(&format!("/dmps/{dmp}"))
        .token(&t)
        .send()
        .await
        .ok(200);
    assert_eq!(std::fs::read_dir(&docs).unwrap().count(), 0);
    app.get(&format!(
        "/resources/docx/{}",
        task["url_docx"].as_str().unwrap()
    ))
    .send()
    .await
    .error(404);
    app.assert_consistent();
}

#[tokio::test]
async fn deleting_a_user_deletes_their_files() {
    let app = TestApp::new();
    rendered(&app, "ana").await;
    let gone = app.services.delete_user("ana").unwrap();
    assert_eq!((gone.dmps, gone.tasks, gone.files), (1, 1, 2));
    assert_eq!(
        std::fs::read_dir(app.dir.path().join("documents"))
            .unwrap()
            .count(),
        0
    );
    app.assert_consistent();
}

#[tokio::test]
async fn rendering_again_replaces_the_old_files() {
    let app = TestApp::new();
    let (t, _, task) = rendered(&app, "ana").await;
    let id = task["_id"].as_str().unwrap();
    app.services
        .complete_task_with_documents(TaskId::parse(id).unwrap(), b"new docx", b"new pdf")
        .unwrap();
    assert_eq!(
        std::fs::read_dir(app.dir.path().join("documents"))
            .unwrap()
            .count(),
        2
    );
    let v = app
        .get(&format!("/tasks/{id}"))
        .token(&t)
        .send()
        .await
        .ok(200);
    let r = app
        .get(&format!(
            "/resources/docx/{}",
            v["url_docx"].as_str().unwrap()
        ))
        .send()
        .await;
    assert_eq!(r.bytes, b"new docx");
}

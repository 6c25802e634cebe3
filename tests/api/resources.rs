use dmptool::domain::TaskId;
use serde_json::json;

use crate::support::TestApp;

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
        cd.starts_with("attachment; filename=\"") && cd.ends_with(".docx"),
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
    // Past the link's lifetime by the services' clock (no sleeping).
    app.settings
        .clock
        .advance(std::time::Duration::from_secs(2));
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

/// The `Content-Disposition` a download of a plan named `name` carries (`kind`: docx, pdf).
async fn disposition(app: &TestApp, token: &str, name: &str, kind: &str) -> String {
    let dmp = app.dmp(token, &json!({ "name": name })).await;
    let task = app.task(token, &dmp).await;
    app.services
        .complete_task_with_documents(TaskId::parse(&task).unwrap(), DOCX, PDF)
        .unwrap();
    let v = app
        .get(&format!("/tasks/{task}"))
        .token(token)
        .send()
        .await
        .ok(200);
    let link = v[format!("url_{kind}")].as_str().unwrap().to_owned();
    let r = app.get(&format!("/resources/{kind}/{link}")).send().await;
    assert_eq!(r.status.as_u16(), 200);
    r.header("content-disposition").unwrap().to_owned()
}

#[tokio::test]
async fn a_unicode_plan_name_downloads_as_rfc_6266_filename_star_with_a_transliterated_fallback() {
    let app = TestApp::new();
    let t = app.user("carol").await;
    let cd = disposition(&app, &t, "Plan de Carol: ñandú, café, 東京", "pdf").await;
    assert_eq!(
        cd,
        "attachment; filename=\"Plan_de_Carol_nandu_cafe.pdf\"; \
         filename*=UTF-8''Plan%20de%20Carol_%20%C3%B1and%C3%BA%2C%20caf%C3%A9%2C%20%E6%9D%B1%E4%BA%AC.pdf"
    );
    // Quotes, separators and control characters never reach either form.
    let cd = disposition(&app, &t, "a\"b/c\\d\r\ne; filename=x", "docx").await;
    assert_eq!(
        cd,
        "attachment; filename=\"a_b_c_d_e_filename_x.docx\"; \
         filename*=UTF-8''a_b_c_d_e%3B%20filename%3Dx.docx"
    );
    // Nor do bidirectional controls, which could make a name display as another.
    let cd = disposition(&app, &t, "invoice\u{202e}fdp.exe", "pdf").await;
    assert!(
        !cd.contains("%E2%80%AE") && !cd.contains('\u{202e}'),
        "{cd}"
    );
    assert!(cd.contains("invoice_fdp.exe.pdf"), "{cd}");
}

#[tokio::test]
async fn a_symbolic_link_planted_in_documents_is_not_served_even_with_a_valid_signed_link() {
    let app = TestApp::new();
    let (t, _, task) = rendered(&app, "ana").await;
    let url_docx = task["url_docx"].as_str().unwrap();
    let file_id = url_docx.split('?').next().unwrap();
    let disk_name = app
        .services
        .store
        .read(|tx| dmptool::store::files::get(tx, file_id))
        .unwrap()
        .unwrap()
        .disk_name;
    let planted = app.dir.path().join("documents").join(disk_name);
    std::fs::remove_file(&planted).unwrap();
    std::os::unix::fs::symlink(app.dir.path().join("jwt-secret"), &planted).unwrap();
    let secret = std::fs::read(app.dir.path().join("jwt-secret")).unwrap();
    for r in [
        app.get(&format!("/resources/docx/{url_docx}")).send().await,
        app.get(&format!("/resources/docx/{file_id}"))
            .token(&t)
            .send()
            .await,
    ] {
        assert_ne!(r.bytes, secret, "the signing secret was served");
        r.error(404);
    }
    // The start-up sweep removes the planted link (and never touches what it points at).
    assert_eq!(app.services.sweep_documents().unwrap(), 1);
    assert!(!planted.exists() && std::fs::symlink_metadata(&planted).is_err());
    assert_eq!(
        std::fs::read(app.dir.path().join("jwt-secret")).unwrap(),
        secret
    );
}

#[tokio::test]
async fn a_document_write_never_follows_a_symbolic_link_planted_at_its_temp_name() {
    use dmptool::domain::ObjectId;
    let app = TestApp::new();
    let t = app.user("ana").await;
    let dmp = app.dmp(&t, &json!({"name": "plan"})).await;
    let task = app.task(&t, &dmp).await;
    // The documents' names are the next ObjectIds of this process: plant a link at each
    // temp name the write may use (ids from other tests running meanwhile take a few).
    let victim = app.dir.path().join("victim");
    std::fs::write(&victim, b"precious").unwrap();
    let docs = app.dir.path().join("documents");
    let probe = ObjectId::generate().bytes();
    let counter = u32::from_be_bytes([0, probe[9], probe[10], probe[11]]);
    let secs = u32::from_be_bytes([probe[0], probe[1], probe[2], probe[3]]);
    for s in secs..secs + 3 {
        for n in 1..=300u32 {
            let mut b = probe;
            b[..4].copy_from_slice(&s.to_be_bytes());
            b[9..].copy_from_slice(&((counter + n) & 0x00ff_ffff).to_be_bytes()[1..]);
            let id = ObjectId::from_bytes(b);
            for ext in ["docx", "pdf"] {
                let _ = std::os::unix::fs::symlink(&victim, docs.join(format!(".{id}.{ext}.tmp")));
            }
        }
    }
    let result = app.services.complete_task_with_documents(
        TaskId::parse(&task).unwrap(),
        b"attacker-chosen docx",
        b"attacker-chosen pdf",
    );
    assert_eq!(
        std::fs::read(&victim).unwrap(),
        b"precious",
        "the write went through the link"
    );
    assert!(result.is_err(), "the write refused the link");
    let v = app
        .get(&format!("/tasks/{task}"))
        .token(&t)
        .send()
        .await
        .ok(200);
    assert_ne!(v["status"], "done", "{v}");
}

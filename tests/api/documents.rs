use serde_json::json;

use crate::support::{TestApp, fixture};

/// Runs the worker until the queue is empty.
fn drain(app: &TestApp) -> usize {
    let mut n = 0;
    while dmptool::worker::try_execute_task(&app.services)
        .unwrap()
        .is_some()
    {
        n += 1;
    }
    n
}

#[tokio::test]
async fn frontend_flow_create_task_poll_download() {
    let app = TestApp::new();
    let t = app.user("test").await;
    let id = app.dmp(&t, &fixture("dmp-posted-by-frontend.json")).await;
    app.task(&t, &id).await;
    let before = app
        .get(&format!("/tasks?id_dmp={id}"))
        .token(&t)
        .send()
        .await
        .ok(200);
    assert_eq!(before[0]["status"], "pending");
    assert_eq!(drain(&app), 1);
    let after = app
        .get(&format!("/tasks?id_dmp={id}"))
        .token(&t)
        .send()
        .await
        .ok(200);
    assert_eq!(after[0]["status"], "done");
    assert_eq!(after[0]["dmp_version"], 1);
    let r = app
        .get(&format!(
            "/resources/docx/{}",
            after[0]["url_docx"].as_str().unwrap()
        ))
        .send()
        .await;
    assert_eq!(r.status.as_u16(), 200);
    assert!(r.bytes.starts_with(b"PK\x03\x04"), "a DOCX is a zip");
    assert!(
        r.header("content-disposition")
            .unwrap()
            .starts_with("attachment; filename=")
    );
    let r = app
        .get(&format!(
            "/resources/pdf/{}",
            after[0]["url_pdf"].as_str().unwrap()
        ))
        .send()
        .await;
    assert!(r.bytes.starts_with(b"%PDF-"));
    app.assert_consistent();
}

#[tokio::test]
async fn templates_are_listed_and_described() {
    let app = TestApp::new();
    let list = app.get("/templates").send().await.ok(200);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["h2020", "horizon-europe", "science-europe"]);
    assert_eq!(list[0]["source"], "builtin");
    let counts: Vec<u64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["question_count"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, [40, 41, 16]);
    let he = app.get("/templates/horizon-europe").send().await.ok(200);
    assert_eq!(
        (he["version"].as_str(), he["date"].as_str()),
        (Some("1.0"), Some("2021-05-05"))
    );
    assert_eq!(
        he["visibility"]["personal_text"],
        json!({"personal": "yes"})
    );
    let access = &he["sections"][1]["subsections"][1];
    assert_eq!(access["number"], "2.2");
    assert_eq!(access["questions"][0]["group"], "Repository");
    assert_eq!(access["questions"][0]["number"], "2.2.1");
    let se = app.get("/templates/science-europe").send().await.ok(200);
    let guidance = se["sections"][1]["questions"][0]["guidance"]
        .as_str()
        .unwrap();
    assert!(
        guidance.starts_with("- Explain which methodologies"),
        "{guidance}"
    );
    assert_eq!(se["sections"][5]["questions"][3]["per_dataset"], true);
    assert_eq!(se["license"], "CC BY 4.0");
    let t = app.get("/templates/h2020").send().await.ok(200);
    assert_eq!(t["title"], "Horizon 2020 Data Management Plan");
    let sections: Vec<&str> = t["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["title"].as_str().unwrap())
        .collect();
    assert_eq!(sections.len(), 6, "{sections:?}");
    assert!(sections[1].contains("FAIR"));
    let fair = &t["sections"][1]["subsections"];
    assert_eq!(
        fair.as_array().unwrap().len(),
        4,
        "findable, accessible, interoperable, re-use"
    );
    assert!(t["fields"].as_array().unwrap().contains(&json!("sharing")));
    let q = &t["sections"][0]["questions"][0];
    assert!(q["question"].as_str().unwrap().ends_with('?'));
    assert_eq!(q["fields"], json!(["purpose"]));
    app.get("/templates/nope").send().await.error(404);
    app.get("/templates/..%2F..%2Fetc%2Fpasswd")
        .send()
        .await
        .error(404);
}

#[tokio::test]
async fn a_template_file_in_the_data_dir_overrides_and_adds() {
    let app = TestApp::new();
    let dir = app.dir.path().join("templates");
    std::fs::create_dir_all(&dir).unwrap();
    let lab = json!({"name": "lab", "title": "Our lab's plan", "sections": [{"title": "Only", "questions": [
        {"id": "p", "question": "Why?", "answers": [{"text": "Because {purpose}"}]}]}]});
    std::fs::write(dir.join("lab.json"), lab.to_string()).unwrap();
    let list = app.get("/templates").send().await.ok(200);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "lab" && t["source"] == "override")
    );
    let t = app.user("ana").await;
    app.post("/dmps")
        .token(&t)
        .json(&json!({"template": "nope"}))
        .send()
        .await
        .error(400);
    app.post("/dmps")
        .token(&t)
        .json(&json!({"template": 7}))
        .send()
        .await
        .error(400);
    let id = app
        .dmp(
            &t,
            &json!({"name": "Lab plan", "template": "lab", "purpose": "science"}),
        )
        .await;
    app.put(&format!("/dmps/{id}"))
        .token(&t)
        .json(&json!({"template": "gone"}))
        .send()
        .await
        .error(400);
    app.task(&t, &id).await;
    drain(&app);
    let task = app
        .get(&format!("/tasks?id_dmp={id}"))
        .token(&t)
        .send()
        .await
        .ok(200);
    let r = app
        .get(&format!(
            "/resources/docx/{}",
            task[0]["url_docx"].as_str().unwrap()
        ))
        .send()
        .await;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(r.bytes)).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").unwrap(), &mut xml)
        .unwrap();
    assert!(
        xml.contains("Because science") && xml.contains("Our lab&apos;s plan"),
        "{xml}"
    );
}

#[tokio::test]
async fn a_failed_task_says_why() {
    let app = TestApp::new();
    let t = app.user("ana").await;
    let id = app.dmp(&t, &json!({"name": "x"})).await;
    app.task(&t, &id).await;
    // The documents folder is unusable: the render cannot be saved.
    let docs = app.dir.path().join("documents");
    std::fs::remove_dir_all(&docs).unwrap();
    std::fs::write(&docs, b"").unwrap();
    drain(&app);
    let task = app
        .get(&format!("/tasks?id_dmp={id}"))
        .token(&t)
        .send()
        .await
        .ok(200);
    assert_eq!(task[0]["status"], "error");
    assert!(
        task[0]["error"]
            .as_str()
            .unwrap()
            .contains("could not be saved")
    );
    assert!(task[0].get("url_docx").is_none());
}

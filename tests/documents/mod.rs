//! Documents: each template rendered with the fixture DMP, an empty DMP and 50 KB answers,
//! read back (DOCX parts, PDF text); and the worker's behaviour on success, failure,
//! panics, write errors, crashes and bursts.

mod docx_readback;
mod madmp;
mod pdf;

use std::sync::Arc;

use crate::support::docs::{
    contains_text, docx_paragraphs, docx_part, head, pdf_body_text, pdf_info, pdf_text,
};
use crate::support::{self, consistent};
use dmptool::domain::TaskId;
use dmptool::render::model::{Block, NOT_ANSWERED};
use dmptool::render::template::Templates;
use dmptool::render::{DocModel, RenderInput};
use dmptool::service::{Caller, Services, Settings};
use dmptool::worker::{self, Outcome};
use serde_json::{Map, Value, json};

fn fixture(name: &str) -> Map<String, Value> {
    support::fixture(name).as_object().unwrap().clone()
}

fn model(doc: &Map<String, Value>, template: &str) -> DocModel {
    let dir = tempfile::tempdir().unwrap();
    let (t, _) = Templates::new(dir.path()).get(template).unwrap();
    DocModel::build(&RenderInput {
        doc,
        template: &t,
        dmp_id: "6b08e7b7ffbdc5aca6e8c3ac",
        owner: "maria.lopez",
        version: 3,
        rendered_at: chrono::Utc::now(),
    })
}

/// Answers the fixture gives, which must reach the document whatever the branch.
const FIXTURE_ANSWERS: [&str; 14] = [
    "purpose",
    "description",
    "reuse_url",
    "use_data_url",
    "contribution_size",
    "number_contributions",
    "community",
    "keywords",
    "reason",
    "conditions",
    "vocabulary_text",
    "quality_text",
    "embargo_date",
    "size_dataset",
];

/// Renders, reads both documents back, and checks they say the same, every answer included.
fn check_both(m: &DocModel) -> (String, Vec<(String, String)>) {
    let out = dmptool::render::render(m).unwrap();
    let text = pdf_body_text(&out.pdf);
    let paragraphs = docx_paragraphs(&out.docx);
    let docx_text: String = paragraphs
        .iter()
        .map(|(_, t)| t.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    for t in m.texts() {
        assert!(contains_text(&text, &t), "PDF lacks {:?}", head(&t));
        assert!(contains_text(&docx_text, &t), "DOCX lacks {:?}", head(&t));
    }
    // Real styles, in the model's order.
    let styles = docx_part(&out.docx, "word/styles.xml");
    for id in ["Title", "Heading1", "Heading2", "Question", "NotAnswered"] {
        assert!(
            styles.contains(&format!("w:styleId=\"{id}\"")),
            "style {id} missing"
        );
    }
    assert!(
        styles.contains("<w:name w:val=\"heading 1\"/>")
            && styles.contains("<w:outlineLvl w:val=\"0\"/>")
    );
    let headings: Vec<&String> = paragraphs
        .iter()
        .filter(|(s, _)| s == "Heading1")
        .map(|(_, t)| t)
        .collect();
    let sections: Vec<&String> = m
        .blocks
        .iter()
        .filter_map(|b| {
            if let Block::Section(t) = b {
                Some(t)
            } else {
                None
            }
        })
        .collect();
    assert_eq!(headings, sections);
    assert_eq!(paragraphs[0], ("Title".to_owned(), m.title.clone()));
    let core = docx_part(&out.docx, "docProps/core.xml");
    assert!(
        core.contains("<dc:creator>maria.lopez</dc:creator>") && core.contains("dcterms:created"),
        "{core}"
    );
    // PDF: A4, title metadata, page numbers.
    let info = pdf_info(&out.pdf);
    assert!(info.contains("595.28 x 841.89"), "{info}");
    assert!(
        info.lines()
            .any(|l| l.starts_with("Title:") && l.contains(&m.title)),
        "{info}"
    );
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        pdf_text(&out.pdf).contains(&format!("Page {pages} of {pages}")),
        "no page numbers"
    );
    (text, paragraphs)
}

#[test]
fn each_template_renders_the_fixture_with_every_answer() {
    let doc = fixture("dmp-from-action-frontend.json");
    for template in ["h2020", "horizon-europe", "science-europe"] {
        let m = model(&doc, template);
        let (text, _) = check_both(&m);
        for field in FIXTURE_ANSWERS {
            let value = dmptool::render::template::value_text(doc.get(field));
            assert!(
                contains_text(&text, &value),
                "{template}: answer {field} = {value:?} missing"
            );
        }
        assert!(
            text.contains("Größe wächst") && text.contains("contaminación lumínica"),
            "accents lost"
        );
        assert!(contains_text(&text, "citizen science, azotea"), "tags list");
    }
}

#[test]
fn the_frontends_posted_body_renders_in_both_templates() {
    let doc = fixture("dmp-posted-by-frontend.json");
    for template in ["h2020", "horizon-europe", "science-europe"] {
        check_both(&model(&doc, template));
    }
}

#[test]
fn an_empty_dmp_renders_every_question_as_not_answered() {
    for template in ["h2020", "horizon-europe", "science-europe"] {
        let m = model(&Map::new(), template);
        let questions = m
            .blocks
            .iter()
            .filter(|b| matches!(b, Block::Question(_)))
            .count();
        let missing = m
            .blocks
            .iter()
            .filter(|b| matches!(b, Block::NotAnswered))
            .count();
        assert!(questions > 15);
        assert_eq!(questions, missing);
        let (text, paragraphs) = check_both(&m);
        assert_eq!(text.matches(NOT_ANSWERED).count(), questions);
        assert_eq!(
            paragraphs
                .iter()
                .filter(|(s, _)| s == "NotAnswered")
                .count(),
            questions
        );
        assert!(text.contains("Data management plan"));
    }
}

#[test]
fn latin_extended_text_renders_and_extracts_and_other_scripts_fall_back() {
    let mut doc = Map::new();
    doc.insert(
        "name".into(),
        json!("Plan of the Universidad Politécnica de Łódź"),
    );
    doc.insert(
        "purpose".into(),
        json!("Straße, Łódź, niño, Ærø, Øresund, Şişli, Čapek, Ğ — and ≈ ∑ ✓ ★"),
    );
    doc.insert(
        "description".into(),
        json!(["a list", 2, true, null, {"nested": "object"}]),
    );
    doc.insert("keywords".into(), json!(42));
    let m = model(&doc, "h2020");
    let out = dmptool::render::render(&m).unwrap();
    let text = pdf_text(&out.pdf);
    for s in [
        "Politécnica",
        "Łódź",
        "Straße",
        "niño",
        "Ærø",
        "Şişli",
        "Čapek",
        "≈ ∑ ✓ ★",
    ] {
        assert!(text.contains(s), "{s} lost: {text}");
    }
    assert!(contains_text(
        &text,
        "a list, 2, Yes, {\"nested\":\"object\"}"
    ));
    assert!(contains_text(&text, "Search keywords: 42"));
}

#[test]
fn fifty_kilobyte_answers_flow_across_pages_with_long_tokens_cut() {
    let word =
        "Observations of the night sky brightness are calibrated against reference photometers. ";
    let long = word.repeat(50_000 / word.len() + 1);
    let url = format!("https://example.org/{}", "x".repeat(400));
    let mut doc = fixture("dmp-from-action-frontend.json");
    doc.insert("purpose".into(), json!(format!("{long}{url}")));
    doc.insert(
        "description".into(),
        json!(format!(
            "Pasted from Word:\u{0}\u{7}\ttabs\r\nand\rbreaks {long}"
        )),
    );
    let m = model(&doc, "h2020");
    assert!(
        m.texts()
            .iter()
            .all(|t| !t.chars().any(|c| c.is_control() && c != '\n'))
    );
    let out = dmptool::render::render(&m).unwrap();
    let pages: usize = pdf_info(&out.pdf)
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(pages >= 20, "{pages} pages");
    let text = pdf_body_text(&out.pdf);
    assert!(contains_text(&text, &url), "the long URL is lost");
    assert!(contains_text(&text, "Pasted from Word: tabs\nand\nbreaks"));
    check_both(&m);
}

#[test]
fn the_pdf_has_an_outline_of_the_sections() {
    let m = model(&fixture("dmp-from-action-frontend.json"), "h2020");
    let out = dmptool::render::render(&m).unwrap();
    let raw = String::from_utf8_lossy(&out.pdf);
    assert!(raw.contains("/Outlines"), "no outline");
    assert!(raw.contains("/Count"), "outline without entries");
}

// ----- the worker -----

fn services() -> (tempfile::TempDir, Services, Caller) {
    services_with(Settings::default())
}

fn services_with(settings: Settings) -> (tempfile::TempDir, Services, Caller) {
    let dir = tempfile::tempdir().unwrap();
    let s = Services::open(dir.path(), settings, None).unwrap();
    let id = s
        .create_user("maria", Some("maria@example.org"), "pw", false)
        .unwrap();
    (
        dir,
        s,
        Caller {
            id,
            username: "maria".into(),
            admin: false,
        },
    )
}

fn task(s: &Services, c: &Caller, doc: Value) -> (String, TaskId) {
    let dmp = s.create_dmp(c, doc).unwrap();
    let t = s.create_task(c, dmp, None).unwrap();
    (dmp.to_string(), t)
}

#[test]
fn a_task_renders_the_dmp_as_it_was_when_requested() {
    let (_d, s, c) = services();
    let (dmp, t) = task(
        &s,
        &c,
        json!({"name": "First title", "purpose": "first purpose"}),
    );
    s.update_dmp(
        &c,
        dmptool::domain::DmpId::parse(&dmp).unwrap(),
        json!({"name": "Second title", "purpose": "second purpose"}),
        &Default::default(),
    )
    .unwrap();
    let (id, outcome) = worker::try_execute_task(&s).unwrap().unwrap();
    assert_eq!((id, outcome), (t, Outcome::Done));
    let view = s.get_task(&c, t).unwrap();
    assert_eq!(view.dmp_version, 1);
    let dl = s
        .open_download(
            dmptool::domain::FileKind::Pdf,
            view.pdf.as_deref().unwrap(),
            dmptool::service::files::DownloadAuth::Caller(&c),
        )
        .unwrap();
    let text = pdf_text(&std::fs::read(dl.path).unwrap());
    assert!(
        text.contains("First title") && text.contains("first purpose"),
        "{text}"
    );
    assert!(!text.contains("Second"));
    assert!(
        worker::try_execute_task(&s).unwrap().is_none(),
        "queue drained"
    );
    consistent(&s);
}

#[test]
fn a_bad_task_fails_alone_and_the_worker_goes_on() {
    let (dir, s, c) = services();
    // A template that existed when the plan was written and is gone when it renders.
    std::fs::create_dir_all(dir.path().join("templates")).unwrap();
    let custom = json!({"name": "lab", "title": "Lab", "sections": [{"title": "S", "questions": [{"id": "q", "question": "Q?", "answers": [{"text": "{purpose}"}]}]}]});
    std::fs::write(dir.path().join("templates/lab.json"), custom.to_string()).unwrap();
    let (_, bad) = task(&s, &c, json!({"name": "x", "template": "lab"}));
    std::fs::remove_file(dir.path().join("templates/lab.json")).unwrap();
    let (_, good) = task(&s, &c, json!({"name": "fine"}));

    let (id, outcome) = worker::try_execute_task(&s).unwrap().unwrap();
    assert_eq!(id, bad);
    let Outcome::Failed(msg) = outcome else {
        panic!("{outcome:?}")
    };
    assert!(msg.contains("unknown template 'lab'"), "{msg}");
    let v = s.get_task(&c, bad).unwrap();
    assert_eq!(v.status, dmptool::domain::TaskStatus::Error);
    assert_eq!(v.error.as_deref(), Some(msg.as_str()));
    assert!(v.docx.is_none());
    assert_eq!(
        worker::try_execute_task(&s).unwrap().unwrap(),
        (good, Outcome::Done)
    );
    consistent(&s);
}

#[test]
fn a_render_that_panics_marks_its_task_error_only() {
    let (_d, s, c) = services();
    let (_, first) = task(&s, &c, json!({"name": "boom"}));
    let (_, second) = task(&s, &c, json!({"name": "fine"}));
    let panicking = |_: &Services,
                     _: &dmptool::service::tasks::ClaimedTask|
     -> Result<dmptool::render::Rendered, worker::TaskFailure> {
        panic!("renderer bug")
    };
    let (id, outcome) = worker::try_execute_task_with(&s, &panicking)
        .unwrap()
        .unwrap();
    assert_eq!(id, first);
    assert!(
        matches!(outcome, Outcome::Failed(ref m) if m.contains("internal error")),
        "{outcome:?}"
    );
    assert_eq!(
        worker::try_execute_task(&s).unwrap().unwrap(),
        (second, Outcome::Done)
    );
    assert_eq!(
        s.get_task(&c, first).unwrap().status,
        dmptool::domain::TaskStatus::Error
    );
}

#[test]
fn a_write_that_fails_marks_error_never_done() {
    let (dir, s, c) = services();
    let (_, t) = task(&s, &c, json!({"name": "x"}));
    let docs = dir.path().join("documents");
    std::fs::remove_dir_all(&docs).unwrap();
    std::fs::write(&docs, b"not a folder").unwrap();
    let (_, outcome) = worker::try_execute_task(&s).unwrap().unwrap();
    assert!(
        matches!(outcome, Outcome::Failed(ref m) if m.contains("could not be saved")),
        "{outcome:?}"
    );
    let v = s.get_task(&c, t).unwrap();
    assert_eq!(v.status, dmptool::domain::TaskStatus::Error);
    assert!(v.docx.is_none() && v.pdf.is_none());
    std::fs::remove_file(&docs).unwrap();
    std::fs::create_dir(&docs).unwrap();
    let (_, again) = task(&s, &c, json!({"name": "y"}));
    assert_eq!(
        worker::try_execute_task(&s).unwrap().unwrap(),
        (again, Outcome::Done)
    );
    consistent(&s);
}

#[test]
fn a_task_left_running_by_a_crash_is_requeued_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let t;
    {
        let s = Services::open(dir.path(), Settings::default(), None).unwrap();
        let id = s.create_user("maria", None, "pw", false).unwrap();
        let c = Caller {
            id,
            username: "maria".into(),
            admin: false,
        };
        t = task(&s, &c, json!({"name": "interrupted"})).1;
        // Claimed, then the process dies before the documents are written; a stray temp
        // file is left in the documents folder.
        s.claim_next_task().unwrap().unwrap();
        std::fs::write(
            dir.path().join("documents/.half-written.docx.tmp"),
            b"partial",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("documents/6b08e7b8ffbdc5aca6e8c3ae.docx"),
            b"no record",
        )
        .unwrap();
    }
    let s = Services::open(dir.path(), Settings::default(), None).unwrap();
    worker::recover(&s).unwrap();
    assert_eq!(
        std::fs::read_dir(dir.path().join("documents"))
            .unwrap()
            .count(),
        0,
        "stray files removed"
    );
    assert_eq!(
        worker::try_execute_task(&s).unwrap().unwrap(),
        (t, Outcome::Done)
    );
    consistent(&s);
}

#[test]
fn a_dmp_deleted_meanwhile_leaves_no_files() {
    let (dir, s, c) = services();
    let (dmp, t) = task(&s, &c, json!({"name": "short-lived"}));
    let claimed = s.claim_next_task().unwrap().unwrap();
    assert_eq!(claimed.id, t);
    s.delete_dmp(&c, dmptool::domain::DmpId::parse(&dmp).unwrap())
        .unwrap();
    let out = worker::render(&s, &claimed).unwrap();
    let err = s
        .complete_task_with_documents(t, &out.docx, &out.pdf)
        .unwrap_err();
    assert!(
        matches!(err, dmptool::service::ServiceError::NotFound(_)),
        "{err}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path().join("documents"))
            .unwrap()
            .count(),
        0
    );
    consistent(&s);
}

/// A burst of tasks queues in the database and drains with at most `concurrency` renders
/// at once. (The 1,000-task variant: `cargo test --test integration documents:: -- --ignored`.)
fn burst(n: usize, concurrency: usize) {
    // One user's burst: past the per-user cap of waiting tasks for this test.
    let (_d, s, c) = services_with(Settings {
        max_pending_tasks: n,
        ..Settings::default()
    });
    let s = Arc::new(s);
    let doc = Value::Object(fixture("dmp-from-action-frontend.json"));
    let dmp = s.create_dmp(&c, doc).unwrap();
    let ids: Vec<TaskId> = (0..n)
        .map(|_| s.create_task(&c, dmp, None).unwrap())
        .collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let worker = rt.spawn(worker::run(s.clone(), concurrency));
    let fds = || {
        std::fs::read_dir("/proc/self/fd")
            .map(|d| d.count())
            .unwrap_or(0)
    };
    let fds_before = fds();
    let (mut max_running, mut max_fds) = (0, 0);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
    loop {
        let running = s
            .store
            .read(|tx| {
                dmptool::store::tasks::ids_by_status(
                    tx,
                    dmptool::domain::TaskStatus::Running,
                    usize::MAX,
                )
            })
            .unwrap()
            .len();
        let pending = s
            .store
            .read(|tx| {
                dmptool::store::tasks::ids_by_status(
                    tx,
                    dmptool::domain::TaskStatus::Pending,
                    usize::MAX,
                )
            })
            .unwrap()
            .len();
        max_running = max_running.max(running);
        max_fds = max_fds.max(fds());
        if running == 0 && pending == 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "burst did not drain");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    worker.abort();
    assert!(
        max_running <= concurrency,
        "{max_running} renders at once, limit {concurrency}"
    );
    assert!(
        max_fds < fds_before + 64,
        "file handles grew from {fds_before} to {max_fds}"
    );
    for id in ids {
        assert_eq!(
            s.get_task(&c, id).unwrap().status,
            dmptool::domain::TaskStatus::Done
        );
    }
    consistent(&s);
}

#[test]
fn a_burst_of_tasks_queues_and_drains_within_the_concurrency_bound() {
    burst(60, 2);
}

#[test]
#[ignore = "long: 1,000 tasks"]
fn a_burst_of_a_thousand_tasks() {
    burst(1000, 2);
}

/// A user of the real server, with an access token.
fn http_user(s: &support::Server, admin: &str, name: &str) -> String {
    let body = json!({"username": name, "email": format!("{name}@example.org"), "password": "pw-of-a-user"});
    let (status, v) = support::call(s, "POST", "/admin/users", admin, Some(&body));
    assert_eq!(status, 201, "{v}");
    support::token(s, name, "pw-of-a-user")
}

/// Creates a plan and asks for its documents; returns the task id.
fn http_task(s: &support::Server, token: &str, doc: &Value) -> String {
    let (status, v) = support::call(s, "POST", "/dmps", token, Some(doc));
    assert_eq!(status, 201, "{v}");
    let (status, v) = support::call(s, "POST", "/tasks", token, Some(&json!({ "dmp": v["id"] })));
    assert!((200..300).contains(&status), "{status}");
    v["id"].as_str().unwrap().to_owned()
}

/// Polls a task until it is done or failed (or `limit` passes); returns its record.
fn http_task_end(s: &support::Server, token: &str, id: &str, limit: std::time::Duration) -> Value {
    let start = std::time::Instant::now();
    loop {
        let (_, v) = support::call(s, "GET", &format!("/tasks/{id}"), token, None);
        if matches!(v["status"].as_str(), Some("done" | "error")) || start.elapsed() > limit {
            return v;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn a_plan_of_one_huge_grapheme_cluster_cannot_hold_the_workers_from_other_users() {
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let mut s = support::start_with(
        dir.path(),
        support::free_port(),
        Some("cluster-admin-pw"),
        &["--workers", "2", "--render-timeout", "3s"],
    );
    s.ready();
    let admin = support::token(&s, "admin", "cluster-admin-pw");
    let eve = http_user(&s, &admin, "eve");
    let bob = http_user(&s, &admin, "bob");
    // One letter and 250,000 combining accents (then as many zero-width joiners): ~500 KB,
    // one grapheme cluster each. Two such tasks take both render workers at once.
    let mut hostile = fixture("dmp-posted-by-frontend.json");
    hostile.insert(
        "purpose".into(),
        json!(format!("a{}", "\u{301}".repeat(250_000))),
    );
    let mut joiners = hostile.clone();
    joiners.insert(
        "purpose".into(),
        json!(format!("a{}", "\u{200d}".repeat(250_000))),
    );
    let started = Instant::now();
    let slow = [
        http_task(&s, &eve, &Value::Object(hostile)),
        http_task(&s, &eve, &Value::Object(joiners)),
    ];
    std::thread::sleep(Duration::from_millis(100));
    // Another user's ordinary task still comes out promptly.
    let ordinary = http_task(
        &s,
        &bob,
        &Value::Object(fixture("dmp-posted-by-frontend.json")),
    );
    let done = http_task_end(&s, &bob, &ordinary, Duration::from_secs(30));
    assert_eq!(done["status"], "done", "{done}");
    let waited = started.elapsed();
    assert!(
        waited < Duration::from_secs(15),
        "the ordinary task took {waited:?}"
    );
    // The hostile ones render (in time linear in their size) or stop at the limit, saying so.
    for id in slow {
        let t = http_task_end(&s, &eve, &id, Duration::from_secs(30));
        match t["status"].as_str() {
            Some("done") => {}
            Some("error") => {
                let msg = t["error"].as_str().unwrap_or_default();
                assert!(msg.contains("longer than the limit"), "{msg}");
            }
            _ => panic!("the hostile task did not end within 30 s: {t}"),
        }
    }
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_render_past_its_deadline_stops_with_a_time_limit_error() {
    let m = model(&fixture("dmp-posted-by-frontend.json"), "h2020");
    let past = dmptool::render::Deadline::after(std::time::Duration::ZERO);
    match dmptool::render::render_until(&m, past) {
        Err(dmptool::render::RenderError::TimeLimit(_)) => {}
        Err(e) => panic!("another error: {e}"),
        Ok(_) => panic!("rendered past the deadline"),
    }
    assert!(dmptool::render::render_until(&m, dmptool::render::Deadline::none()).is_ok());
}

#[test]
fn a_task_past_the_render_time_limit_ends_error_saying_why_and_the_next_renders() {
    let dir = tempfile::tempdir().unwrap();
    let zero = Settings {
        render_limit: std::time::Duration::ZERO,
        ..Settings::default()
    };
    let s = Services::open(dir.path(), zero, None).unwrap();
    let id = s.create_user("maria", None, "pw", false).unwrap();
    let c = Caller {
        id,
        username: "maria".into(),
        admin: false,
    };
    let (_, t) = task(&s, &c, json!({"name": "x", "purpose": "y"}));
    let (got, outcome) = worker::try_execute_task(&s).unwrap().unwrap();
    assert_eq!(got, t);
    let Outcome::Failed(msg) = outcome else {
        panic!("{outcome:?}")
    };
    assert!(msg.contains("longer than the limit"), "{msg}");
    let v = s.get_task(&c, t).unwrap();
    assert_eq!(v.status, dmptool::domain::TaskStatus::Error);
    assert!(v.docx.is_none() && v.pdf.is_none());
    consistent(&s);
    drop(s);
    // The same database with the default limit renders the next task.
    let s = Services::open(dir.path(), Settings::default(), None).unwrap();
    let (_, next) = task(&s, &c, json!({"name": "x", "purpose": "y"}));
    assert_eq!(
        worker::try_execute_task(&s).unwrap().unwrap(),
        (next, Outcome::Done)
    );
}

/// Every value of the frontend's posted plan that its form shows, and the ones it hides.
fn frontend_plan_with_hidden_values() -> Map<String, Value> {
    let mut doc = fixture("dmp-posted-by-frontend.json");
    for (k, v) in [
        ("personal", "No"),
        ("personal_text", "HIDDEN-personal-notes"),
        ("sharing", "Yes"),
        ("reason", "HIDDEN-sharing-reason"),
        ("embargo", "No"),
        ("embargo_date", "2031-02-03"),
        ("reuse", "No"),
        ("reuse_url", "https://example.org/HIDDEN-reuse"),
        ("protected_geolocation", "No"),
        ("protected_geolocation_text", "HIDDEN-geolocation"),
        ("project", "none"),
    ] {
        doc.insert(k.into(), Value::from(v));
    }
    doc
}

#[test]
fn a_field_the_form_hides_and_placeholder_values_are_never_printed_in_any_template() {
    let doc = frontend_plan_with_hidden_values();
    for template in ["h2020", "horizon-europe", "science-europe"] {
        let m = model(&doc, template);
        let (text, paragraphs) = check_both(&m);
        let docx: String = paragraphs.iter().map(|(_, t)| t.as_str()).collect();
        for hidden in ["HIDDEN", "2031-02-03", "Project: none", "Notes on personal"] {
            assert!(!text.contains(hidden), "{template}: PDF prints {hidden:?}");
            assert!(!docx.contains(hidden), "{template}: DOCX prints {hidden:?}");
        }
        assert!(!m.info.iter().any(|(k, _)| k == "Project"), "{template}");
        assert!(
            contains_text(&text, "The data include no personal data."),
            "{template}"
        );
        // What the form shows is printed once, in one question only.
        for field in [
            "purpose",
            "description",
            "community",
            "conditions",
            "keywords",
        ] {
            let value = dmptool::render::template::value_text(doc.get(field));
            let squash = |s: &str| s.split_whitespace().collect::<String>();
            assert_eq!(
                squash(&text).matches(&squash(&value)).count(),
                1,
                "{template}: {field} printed other than once"
            );
        }
    }
}

#[test]
fn a_plans_own_answer_comes_first_and_answers_a_question_no_field_does() {
    let mut doc = fixture("dmp-posted-by-frontend.json");
    doc.insert(
        "answers".into(),
        json!({
            "harvesting": "Our metadata are harvested over OAI-PMH.\n\nThe catalogue indexes them nightly.",
            "purpose": "In our own words: the purpose.",
            "administrative": "Applicant: the azotea consortium.",
            "naming": "Files are named site_date_sensor.csv."
        }),
    );
    let find = |m: &DocModel, q: &str| {
        m.blocks
            .iter()
            .position(|b| matches!(b, Block::Question(t) if t.starts_with(q)))
            .unwrap_or_else(|| panic!("no question {q:?}"))
    };
    let he = model(&doc, "horizon-europe");
    let i = find(
        &he,
        "Will metadata be offered in such a way that it can be harvested",
    );
    assert_eq!(
        he.blocks[i + 1..i + 3],
        [
            Block::Answer("Our metadata are harvested over OAI-PMH.".into()),
            Block::Answer("The catalogue indexes them nightly.".into())
        ]
    );
    let i = find(&he, "What is the purpose of the data generation");
    let purpose = dmptool::render::template::value_text(doc.get("purpose"));
    assert_eq!(
        he.blocks[i + 1..i + 3],
        [
            Block::Answer("In our own words: the purpose.".into()),
            Block::Answer(purpose)
        ]
    );
    // The HE sub-headings of 2.2 stand before their first question.
    let groups: Vec<&Block> = he
        .blocks
        .iter()
        .filter(|b| matches!(b, Block::Group(_)))
        .collect();
    assert_eq!(
        groups,
        [
            &Block::Group("Repository".into()),
            &Block::Group("Data".into()),
            &Block::Group("Metadata".into())
        ]
    );
    check_both(&he);
    let h2 = model(&doc, "h2020");
    let i = find(&h2, "What naming conventions do you follow?");
    let Block::Answer(source) = &h2.blocks[i + 1] else {
        panic!("no answer after the naming question")
    };
    assert_eq!(
        dmptool::render::markdown::plain_piece(source),
        "Files are named site_date_sensor.csv."
    );
    let se = model(&doc, "science-europe");
    let i = find(&se, "Provide information such as name of applicant");
    assert_eq!(
        se.blocks[i + 1],
        Block::Answer("Applicant: the azotea consortium.".into())
    );
    check_both(&se);
}

#[test]
fn check_template_accepts_the_builtin_ones_and_lists_a_broken_ones_problems_with_pointers() {
    let dir = tempfile::tempdir().unwrap();
    let assets = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/templates");
    for name in ["h2020", "horizon-europe", "science-europe"] {
        let out = std::process::Command::new(support::BIN)
            .args(["admin", "check-template"])
            .arg(assets.join(format!("{name}.json")))
            .env("DMPTOOL_DATA", dir.path().join("none"))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{name}: {out:?}");
        assert!(
            stdout.contains(&format!("template '{name}' is valid")),
            "{stdout}"
        );
    }
    let broken = dir.path().join("mine.json");
    std::fs::write(
        &broken,
        json!({"name": "yours", "title": "T", "sections": [{"title": "S", "questions": [
            {"id": "a", "question": "A?", "answers": [{"text": "{oops"}]},
            {"id": "a", "question": "B?"}
        ]}]})
        .to_string(),
    )
    .unwrap();
    let out = std::process::Command::new(support::BIN)
        .args(["admin", "check-template"])
        .arg(&broken)
        .env("DMPTOOL_DATA", dir.path().join("none"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    for at in [
        "/name",
        "/sections/0/questions/0/answers/0/text",
        "/sections/0/questions/1/id",
    ] {
        assert!(
            stderr.contains(&format!("mine.json: {at}: ")),
            "{at}: {stderr}"
        );
    }
    assert!(stderr.contains("3 problems found"), "{stderr}");
    // Nothing was created: the check needs no data dir.
    assert!(!dir.path().join("none").exists());
}

#[test]
fn a_complete_plan_renders_its_cover_datasets_costs_and_people_in_every_template() {
    let doc = fixture("plan-complete.json");
    let titles = |key: &str, field: &str| -> Vec<String> {
        doc[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x[field].as_str().unwrap().to_owned())
            .collect()
    };
    for template in ["h2020", "horizon-europe", "science-europe"] {
        let m = model(&doc, template);
        let (text, _) = check_both(&m);
        for (label, value) in [
            ("Project", "Citizen photometers for a darker sky"),
            ("Acronym", "AZOTEA"),
            ("Grant agreement", "101094567"),
            ("Funder", "European Commission"),
            ("Programme", "Horizon Europe, Cluster 6"),
            ("Call", "HORIZON-CL6-2023-COMMUNITIES-01"),
            ("Duration", "1 January 2024 to 31 December 2027"),
            ("Dissemination level", "Public (PU)"),
            ("Version", "1.1 of 30 June 2025"),
        ] {
            assert!(
                m.info.iter().any(|(k, v)| k == label && v == value),
                "{template}: cover lacks {label}: {value} in {:?}",
                m.info
            );
        }
        let people = &m.info.iter().find(|(k, _)| k == "Contributors").unwrap().1;
        assert_eq!(
            people,
            "Ana García (contact, DMP author); Jaime Zamorano (principal investigator); Lucía Pérez (data steward)"
        );
        for t in titles("datasets", "title")
            .into_iter()
            .chain(titles("costs", "title"))
        {
            assert!(contains_text(&text, &t), "{template}: {t} missing");
        }
        for needle in [
            "Lucía Pérez",
            "Data steward: Lucía Pérez",
            "15000 EUR",
            "covered by the institution",
        ] {
            assert!(
                contains_text(&text, needle),
                "{template}: {needle:?} missing"
            );
        }
        // Structured parts never leak as JSON.
        assert!(
            !text.contains("{\"") && !text.contains("\"title\""),
            "{template}: JSON in the text"
        );
    }
    // Horizon Europe: a question answered from the datasets, in the plan's order.
    let m = model(&doc, "horizon-europe");
    let i = m
        .blocks
        .iter()
        .position(|b| matches!(b, Block::Question(t) if t.starts_with("Will all data be made openly available?")))
        .unwrap();
    assert_eq!(
        m.blocks[i + 2..i + 5],
        [
            Block::Answer("Photometer time series: openly accessible.".into()),
            Block::Answer("Volunteer register: closed. Personal data under the GDPR; kept by the coordinator only.".into()),
            Block::Answer("All-sky images: restricted access. Embargo until the first paper is published.".into()),
        ]
    );
}

#[test]
fn markdown_in_answers_prints_as_paragraphs_and_list_items_without_its_marks() {
    let doc = fixture("plan-complete.json");
    let m = model(&doc, "horizon-europe");
    let (text, paragraphs) = check_both(&m);
    for raw in ["**", "](", "`OAI-PMH`", "- HTTPS"] {
        assert!(!text.contains(raw), "PDF prints {raw:?}");
        assert!(
            !paragraphs.iter().any(|(_, t)| t.contains(raw)),
            "DOCX prints {raw:?}"
        );
    }
    // The PDF prints plain paragraphs: a marker before each item, a link's address after it.
    for want in [
        "The UCM repository is indexed by BASE and Google Dataset Search.",
        "• HTTPS downloads",
        "• OAI-PMH for metadata",
        "1. A README per dataset",
        "3. The calibration notebook, see the project wiki (https://example.org/azotea/wiki/calibration?version=3&lang=en).",
    ] {
        assert!(contains_text(&text, want), "PDF lacks {want:?}");
    }
    // The DOCX makes them Word lists, runs and hyperlinks.
    let items: Vec<&str> = paragraphs
        .iter()
        .filter(|(s, _)| s == "ListAnswer")
        .map(|(_, t)| t.as_str())
        .collect();
    assert_eq!(
        items,
        [
            "HTTPS downloads",
            "the Zenodo REST API",
            "OAI-PMH for metadata",
            "A README per dataset",
            "A codebook of every column",
            "The calibration notebook, see the project wiki.",
        ]
    );
    let out = dmptool::render::render(&m).unwrap();
    let xml = docx_part(&out.docx, "word/document.xml");
    assert!(
        xml.contains(r#"<w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr>"#),
        "bullets"
    );
    assert!(
        xml.contains(r#"<w:numPr><w:ilvl w:val="0"/><w:numId w:val="2"/></w:numPr>"#),
        "numbered"
    );
    assert!(
        xml.contains(r#"<w:rPr><w:b/><w:bCs/></w:rPr><w:t xml:space="preserve">BASE</w:t>"#),
        "bold run"
    );
    assert!(
        xml.contains(
            r#"<w:rPr><w:i/><w:iCs/></w:rPr><w:t xml:space="preserve">Google Dataset Search</w:t>"#
        ),
        "italic run"
    );
    assert!(xml.contains(r#"w:ascii="Courier New""#), "code run");
    let numbering = docx_part(&out.docx, "word/numbering.xml");
    assert!(
        numbering.contains(r#"<w:numFmt w:val="bullet"/>"#)
            && numbering.contains(r#"<w:numFmt w:val="decimal"/>"#)
    );
    assert!(numbering.contains(r#"<w:num w:numId="2"><w:abstractNumId w:val="1"/><w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/>"#));
    let rels = docx_part(&out.docx, "word/_rels/document.xml.rels");
    assert!(rels.contains(r#"Target="https://example.org/azotea/wiki/calibration?version=3&amp;lang=en" TargetMode="External""#), "{rels}");
    assert!(xml.contains(r#"<w:hyperlink r:id="rIdL"#));
    // Every link the document has is clickable: one relationship per hyperlink.
    assert_eq!(
        xml.matches("<w:hyperlink ").count(),
        rels.matches("TargetMode=\"External\"").count()
    );
}

/// A plan in Arabic, Hebrew (with Latin, digits and punctuation), Greek, Cyrillic and
/// Devanagari, in the language `lang`.
fn mixed_script_plan(lang: &str) -> Map<String, Value> {
    let mut doc = Map::new();
    doc.insert("name".into(), json!("Plan שלום עולם"));
    doc.insert("language".into(), json!(lang));
    doc.insert("purpose".into(), json!("مرحبا بالعالم"));
    doc.insert("description".into(), json!("שלום עולם"));
    // (reuse_url is printed only when reuse is Yes: docs/templates.md, visibility.)
    doc.insert("reuse".into(), json!("Yes"));
    doc.insert(
        "reuse_url".into(),
        json!("The project שלום עולם started in 2024 (phase 2)."),
    );
    doc.insert("keywords".into(), json!("Καλημέρα κόσμε"));
    doc.insert("community".into(), json!("Привет, мир"));
    doc.insert("reason".into(), json!("नमस्ते दुनिया"));
    doc
}

#[test]
fn arabic_hebrew_greek_cyrillic_and_devanagari_come_back_from_pdftotext_in_logical_order() {
    let m = model(&mixed_script_plan("he"), "h2020");
    let out = dmptool::render::render(&m).unwrap();
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    // pdftotext marks right-to-left stretches with embedding controls (U+202B ... U+202C);
    // they are not text.
    let text: String = pdf_text(&out.pdf)
        .chars()
        .filter(|c| !('\u{202A}'..='\u{202E}').contains(c))
        .collect();
    for s in [
        "مرحبا بالعالم",
        "שלום עולם",
        "Καλημέρα κόσμε",
        "Привет, мир",
        "नमस्ते दुनिया",
        "The project שלום עולם started in 2024 (phase 2).",
    ] {
        assert!(contains_text(&text, s), "{s} not in logical order: {text}");
    }
}

#[test]
fn the_pdf_is_tagged_pdf_a_2u_with_the_plans_language_and_title_shown() {
    let m = model(&mixed_script_plan("he"), "h2020");
    let out = dmptool::render::render(&m).unwrap();
    let info = pdf_info(&out.pdf);
    assert!(info.contains("Tagged:          yes"), "{info}");
    assert!(info.contains("Author:          maria.lopez"), "{info}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, &out.pdf).unwrap();
    let meta = std::process::Command::new("pdfinfo")
        .arg("-meta")
        .arg(&path)
        .output()
        .unwrap();
    let xmp = String::from_utf8_lossy(&meta.stdout);
    assert!(xmp.contains("<pdfaid:part>2</pdfaid:part>"), "{xmp}");
    assert!(
        xmp.contains("<pdfaid:conformance>U</pdfaid:conformance>"),
        "{xmp}"
    );
    assert!(xmp.contains("<pdfuaid:part>1</pdfuaid:part>"), "{xmp}");
    // The document language (krilla writes the same value as the catalog's /Lang).
    assert!(
        xmp.contains("<dc:language><rdf:Bag><rdf:li>he</rdf:li></rdf:Bag></dc:language>"),
        "{xmp}"
    );
    let raw = String::from_utf8_lossy(&out.pdf);
    assert!(raw.contains("/DisplayDocTitle true"), "no DisplayDocTitle");
    // The structure tree: the title H1, sections H2, subsections H3, paragraphs.
    let tree = std::process::Command::new("pdfinfo")
        .arg("-struct")
        .arg(&path)
        .output()
        .unwrap();
    let tree = String::from_utf8_lossy(&tree.stdout);
    assert!(tree.starts_with("Document\n  H1 "), "{tree}");
    for tag in ["  H2 \"1. Data summary\"", "  H3 \"2.1. ", "  P (block)"] {
        assert!(tree.contains(tag), "{tag} not in {tree}");
    }
}

#[test]
fn the_docx_marks_right_to_left_paragraphs_and_runs_and_carries_the_plans_language() {
    let m = model(&mixed_script_plan("he"), "h2020");
    let out = dmptool::render::render(&m).unwrap();
    let xml = docx_part(&out.docx, "word/document.xml");
    let hebrew = xml
        .split("</w:p>")
        .find(|p| p.contains(">שלום עולם</w:t>") && !p.contains("Plan"))
        .unwrap();
    assert!(hebrew.contains("<w:bidi/>"), "{hebrew}");
    assert!(
        hebrew.contains("<w:rtl/><w:lang w:bidi=\"he\"/>"),
        "{hebrew}"
    );
    // A left-to-right paragraph with a Hebrew phrase: no w:bidi, the phrase a w:rtl run.
    let mixed = xml
        .split("</w:p>")
        .find(|p| p.contains("The project "))
        .unwrap();
    assert!(!mixed.contains("<w:bidi/>"), "{mixed}");
    assert!(mixed.contains("<w:rtl/>"), "{mixed}");
    let arabic = xml.split("</w:p>").find(|p| p.contains("مرحبا")).unwrap();
    assert!(arabic.contains("<w:lang w:bidi=\"ar\"/>"), "{arabic}");
    let styles = docx_part(&out.docx, "word/styles.xml");
    assert!(
        styles.contains("<w:lang w:val=\"he\" w:bidi=\"he\"/>"),
        "{styles}"
    );
    // A language that is not two lowercase letters is English.
    let m = model(&mixed_script_plan("EN\"/>"), "h2020");
    let out = dmptool::render::render(&m).unwrap();
    let styles = docx_part(&out.docx, "word/styles.xml");
    assert!(styles.contains("<w:lang w:val=\"en\""), "{styles}");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, &out.pdf).unwrap();
    let meta = std::process::Command::new("pdfinfo")
        .arg("-meta")
        .arg(&path)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&meta.stdout).contains("<rdf:li>en</rdf:li>"));
}

#[test]
fn libreoffice_converts_the_mixed_script_docx_without_error() {
    let m = model(&mixed_script_plan("he"), "h2020");
    let out = dmptool::render::render(&m).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let docx = dir.path().join("plan.docx");
    std::fs::write(&docx, &out.docx).unwrap();
    let status = std::process::Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            dir.path().join("profile").display()
        ))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(dir.path())
        .arg(&docx)
        .output()
        .expect("LibreOffice (soffice) is needed to check the DOCX: install libreoffice-writer");
    assert!(status.status.success(), "{status:?}");
    let pdf = std::fs::read(dir.path().join("plan.pdf")).unwrap();
    let text = pdf_text(&pdf);
    assert!(contains_text(&text, "Καλημέρα κόσμε"), "{text}");
}

#[test]
fn an_uncovered_character_is_drawn_as_a_replacement_and_warned_about_until_a_font_in_data_fonts_covers_it()
 {
    // No system folders: what covers the character is only what the test puts there.
    let (d, s, c) = services_with(Settings {
        system_font_dirs: Vec::new(),
        ..Settings::default()
    });
    // U+1C5A OL CHIKI LETTER LA: in none of the bundled fonts.
    let (_, first) = task(&s, &c, json!({"name": "Santali ᱚᱞ ᱪᱤᱠᱤ"}));
    assert_eq!(
        worker::try_execute_task(&s).unwrap().unwrap(),
        (first, Outcome::Done)
    );
    let view = s.get_task(&c, first).unwrap();
    assert_eq!(view.warnings.len(), 1, "{:?}", view.warnings);
    let w = &view.warnings[0];
    assert!(
        w.contains("U+1C5A") && w.contains("U+1C5E") && w.contains("DATA/fonts"),
        "{w}"
    );

    let fonts = d.path().join("fonts");
    std::fs::create_dir_all(&fonts).unwrap();
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/fonts/NotoSansOlChiki-Regular.ttf"),
        fonts.join("NotoSansOlChiki-Regular.ttf"),
    )
    .unwrap();
    let (_, second) = task(&s, &c, json!({"name": "Santali ᱚᱞ ᱪᱤᱠᱤ"}));
    assert_eq!(
        worker::try_execute_task(&s).unwrap().unwrap(),
        (second, Outcome::Done)
    );
    let view = s.get_task(&c, second).unwrap();
    assert!(view.warnings.is_empty(), "{:?}", view.warnings);
    consistent(&s);
}

#[test]
fn a_complete_plan_has_tables_of_its_versions_people_datasets_and_costs_and_a_frontend_plan_none() {
    let doc = fixture("plan-complete.json");
    for template in ["h2020", "horizon-europe", "science-europe"] {
        let m = model(&doc, template);
        let captions: Vec<&str> = m.tables.iter().map(|t| t.caption.as_str()).collect();
        assert_eq!(
            captions,
            ["Version history", "Contributors", "Datasets", "Costs"]
        );
        let (text, _) = check_both(&m);
        let out = dmptool::render::render(&m).unwrap();
        let xml = docx_part(&out.docx, "word/document.xml");
        assert_eq!(xml.matches("<w:tbl>").count(), 4, "{template}");
        assert_eq!(xml.matches("<w:tblHeader/>").count(), 4, "{template}");
        let datasets = &m.tables[2];
        assert_eq!(
            datasets.rows,
            [
                [
                    "Photometer time series",
                    "tabular",
                    "CSV, NetCDF",
                    "20 GB",
                    "open",
                    "CC-BY-4.0"
                ],
                ["Volunteer register", "tabular", "CSV", "1 MB", "closed", ""],
                [
                    "All-sky images",
                    "images",
                    "FITS, JPEG",
                    "2 TB",
                    "restricted",
                    "CC-BY-4.0"
                ],
            ]
        );
        assert_eq!(
            m.tables[3].rows[1],
            [
                "Data steward, 3 person-months",
                "15,000 EUR",
                "the institution"
            ]
        );
        assert_eq!(m.tables[1].rows[0][3], "0000-0002-1825-0097");
        for cell in [
            "30 June 2024",
            "First version, submitted at month 6.",
            "15,000 EUR",
            "UCM Library",
        ] {
            assert!(contains_text(&text, cell), "{template}: PDF lacks {cell:?}");
        }
        // The PDF stays PDF/UA + PDF/A with tables in it.
        assert!(pdf_info(&out.pdf).contains("Tagged:          yes"));
        // A real table-of-contents field, pre-filled with the sections, updated by Word on
        // opening; the template starts on a page after the cover in both formats.
        assert!(xml.contains(
            r#"<w:instrText xml:space="preserve"> TOC \o "1-3" \h \z \u </w:instrText>"#
        ));
        assert!(
            docx_part(&out.docx, "word/settings.xml").contains(r#"<w:updateFields w:val="true"/>"#)
        );
        let toc: Vec<&str> = xml
            .match_indices(r#"<w:pStyle w:val="TOC1"/>"#)
            .map(|(i, _)| &xml[i..i + 1])
            .collect();
        assert_eq!(
            toc.len(),
            m.blocks
                .iter()
                .filter(|b| matches!(b, Block::Section(_)))
                .count()
        );
        assert!(xml.contains(r#"<w:br w:type="page"/>"#));
        let first_page = std::process::Command::new("pdftotext")
            .args(["-f", "1", "-l", "1", "-", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                use std::io::Write;
                c.stdin.take().unwrap().write_all(&out.pdf)?;
                c.wait_with_output()
            })
            .unwrap();
        let first_page = String::from_utf8_lossy(&first_page.stdout);
        assert!(first_page.contains("Version history"), "{template}");
        assert!(
            !first_page.contains("Not answered yet"),
            "{template}: the template starts on the cover"
        );
    }
    let m = model(&fixture("dmp-posted-by-frontend.json"), "horizon-europe");
    assert!(m.tables.is_empty());
    let out = dmptool::render::render(&m).unwrap();
    assert!(!docx_part(&out.docx, "word/document.xml").contains("<w:tbl>"));
}

#[test]
fn a_question_asked_per_dataset_is_answered_in_a_subsection_of_each_dataset_in_both_formats() {
    use crate::support::docs::{pdf_outline, pdf_struct};
    let doc = fixture("plan-complete.json");
    let m = model(&doc, "science-europe");
    let titles = [
        "Dataset 1: Photometer time series",
        "Dataset 2: Volunteer register",
        "Dataset 3: All-sky images",
    ];
    let at = m
        .blocks
        .iter()
        .position(|b| *b == Block::Section("Datasets".into()))
        .expect("a Datasets section");
    assert_eq!(
        at, 0,
        "the subsections come right after the cover and its tables"
    );
    let subsections: Vec<&Block> = m
        .blocks
        .iter()
        .filter(|b| matches!(b, Block::Subsection(t) if t.starts_with("Dataset ")))
        .collect();
    assert_eq!(
        subsections,
        titles
            .iter()
            .map(|t| Block::Subsection((*t).into()))
            .collect::<Vec<_>>()
            .iter()
            .collect::<Vec<_>>()
    );
    let (text, paragraphs) = check_both(&m);
    // A heading per dataset: Heading 2 in the DOCX, listed in its table of contents; a
    // bookmark under "Datasets" and an H3 element in the PDF.
    for t in titles {
        assert_eq!(
            paragraphs
                .iter()
                .filter(|(s, p)| s == "Heading2" && p == t)
                .count(),
            1,
            "{t}"
        );
        assert_eq!(
            paragraphs
                .iter()
                .filter(|(s, p)| s == "TOC2" && p == t)
                .count(),
            1,
            "{t}"
        );
    }
    let out = dmptool::render::render(&m).unwrap();
    let outline = pdf_outline(&out.pdf);
    let datasets = outline.find(">Datasets</item>\n<outline>").expect(&outline);
    for t in titles {
        let pos = outline
            .find(&format!(">{t}</item>"))
            .unwrap_or_else(|| panic!("{t} in {outline}"));
        assert!(pos > datasets);
    }
    let tree = pdf_struct(&out.pdf);
    for t in titles {
        assert!(tree.contains(&format!("H3 \"{t}\"")), "{t}");
    }
    // Each dataset's answer is printed once, in its subsection; the question in its
    // section points there.
    for sentence in [
        "Photometer time series: a DOI will be assigned by Zenodo.",
        "All-sky images: a DOI will be assigned by UCM e-cienciaDatos.",
    ] {
        let squash = |s: &str| s.split_whitespace().collect::<String>();
        assert_eq!(
            squash(&text).matches(&squash(sentence)).count(),
            1,
            "PDF: {sentence}"
        );
        assert_eq!(
            paragraphs.iter().filter(|(_, p)| p == sentence).count(),
            1,
            "DOCX: {sentence}"
        );
    }
    assert!(contains_text(
        &text,
        "Answered for each dataset in “Datasets”: Dataset 1 to Dataset 3."
    ));

    // Templates that ask nothing per dataset, and a plan without datasets, render as
    // before: no Datasets section.
    let m = model(&doc, "horizon-europe");
    assert!(
        !m.blocks
            .iter()
            .any(|b| *b == Block::Section("Datasets".into()))
    );
    let frontend = fixture("dmp-from-action-frontend.json");
    let m = model(&frontend, "science-europe");
    assert!(
        !m.blocks
            .iter()
            .any(|b| *b == Block::Section("Datasets".into()))
    );
    assert!(
        !m.texts()
            .iter()
            .any(|t| t.contains("Answered for each dataset"))
    );
}

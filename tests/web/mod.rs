//! The web editor through poem's TestClient: the session cookie and CSRF, the headers and
//! weight of every page, Spanish pages, what the list shows, saving from the editor.

use dmptool::web::i18n::{Lang, source};
use serde_json::{Value, json};

use crate::support::{PASSWORD, Resp, TestApp};

const FORM: &str = "application/x-www-form-urlencoded";

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A browser: the session cookie, the CSRF token of its pages, its language.
struct Browser<'a> {
    app: &'a TestApp,
    cookie: String,
    csrf: String,
    lang: &'static str,
}

/// The `dmptool_session=...` part of a Set-Cookie header.
fn cookie_of(r: &Resp) -> String {
    let set = r.header("set-cookie").expect("a Set-Cookie header");
    set.split(';').next().unwrap().to_owned()
}

fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a CSRF field");
    let rest = &html[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

async fn web_login<'a>(app: &'a TestApp, user: &str, lang: &'static str) -> Browser<'a> {
    let r = app
        .post("/ui/login")
        .header("Accept-Language", lang)
        .raw(FORM, form(&[("username", user), ("password", PASSWORD)]))
        .send()
        .await;
    assert_eq!(r.status.as_u16(), 303, "{}", r.text());
    let cookie = cookie_of(&r);
    let page = app
        .get("/")
        .header("Cookie", &cookie)
        .header("Accept-Language", lang)
        .send()
        .await;
    assert_eq!(page.status.as_u16(), 200);
    let csrf = csrf_of(&page.text());
    Browser {
        app,
        cookie,
        csrf,
        lang,
    }
}

impl Browser<'_> {
    async fn get(&self, path: &str) -> Resp {
        self.app
            .get(path)
            .header("Cookie", &self.cookie)
            .header("Accept-Language", self.lang)
            .send()
            .await
    }
    async fn post(&self, path: &str, pairs: &[(&str, &str)]) -> Resp {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(pairs);
        self.post_raw(path, &form(&all)).await
    }
    async fn post_raw(&self, path: &str, body: &str) -> Resp {
        self.app
            .post(path)
            .header("Cookie", &self.cookie)
            .header("Accept-Language", self.lang)
            .raw(FORM, body.to_owned())
            .send()
            .await
    }
    /// Starts a plan from a template: its id.
    async fn new_plan(&self, name: &str, template: &str) -> String {
        let r = self
            .post("/ui/plans", &[("name", name), ("template", template)])
            .await;
        assert_eq!(r.status.as_u16(), 303, "{}", r.text());
        let to = r.header("location").unwrap();
        to.strip_prefix("/ui/plans/").unwrap().to_owned()
    }
}

/// The links and sources of a page that point elsewhere than its own origin.
fn foreign_refs(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["src=\"", "href=\"", "action=\"", "srcset=\""] {
        for piece in html.split(attr).skip(1) {
            let v = &piece[..piece.find('"').unwrap_or(0)];
            if v.starts_with("//") || v.contains("://") {
                out.push(v.to_owned());
            }
        }
    }
    out
}

/// The assets a page loads (`/ui/assets/...`).
fn assets_of(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["src=\"", "href=\""] {
        for piece in html.split(attr).skip(1) {
            let v = &piece[..piece.find('"').unwrap_or(0)];
            if v.starts_with("/ui/assets/") {
                out.push(v.to_owned());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// A plan with every structured part filled, for the editor's pages.
async fn full_plan(app: &TestApp, token: &str) -> String {
    let mut plan: Value =
        serde_json::from_str(include_str!("../fixtures/plan-complete.json")).unwrap();
    plan["template"] = json!("horizon-europe");
    app.dmp(token, &plan).await
}

#[tokio::test]
async fn the_root_is_the_login_page_and_login_sets_a_strict_cookie() {
    let app = TestApp::new();
    app.create_user("ann", false);
    let page = app.get("/").send().await;
    assert_eq!(page.status.as_u16(), 200);
    let html = page.text();
    assert!(html.contains("action=\"/ui/login\""), "{html}");
    for name in ["Username", "Password", "Log in"] {
        assert!(html.contains(&format!(">{name}<")), "{name}");
    }
    let bad = app
        .post("/ui/login")
        .raw(FORM, form(&[("username", "ann"), ("password", "wrong")]))
        .send()
        .await;
    assert_eq!(bad.status.as_u16(), 401);
    assert!(bad.header("set-cookie").is_none());
    assert!(bad.text().contains("Wrong username or password"));
    let ok = app
        .post("/ui/login")
        .raw(FORM, form(&[("username", "ann"), ("password", PASSWORD)]))
        .send()
        .await;
    assert_eq!(ok.status.as_u16(), 303);
    let set = ok.header("set-cookie").unwrap();
    for flag in ["dmptool_session=", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set.contains(flag), "{set}");
    }
    assert!(!set.contains("Secure"), "plain http: {set}");

    let https = TestApp::with_public_url("https://dmp.example.org");
    https.create_user("ann", false);
    let ok = https
        .post("/ui/login")
        .raw(FORM, form(&[("username", "ann"), ("password", PASSWORD)]))
        .send()
        .await;
    assert!(ok.header("set-cookie").unwrap().contains("; Secure"));
}

#[tokio::test]
async fn web_logins_are_throttled_like_the_api() {
    let app = TestApp::new();
    app.create_user("ann", false);
    let mut last = 0;
    for _ in 0..12 {
        last = app
            .post("/ui/login")
            .raw(FORM, form(&[("username", "ann"), ("password", "wrong")]))
            .send()
            .await
            .status
            .as_u16();
        if last == 429 {
            break;
        }
    }
    assert_eq!(last, 429);
    // The API's login for the same account is throttled too: one throttle.
    assert_eq!(app.login("ann", PASSWORD).await.status.as_u16(), 429);
}

#[tokio::test]
async fn a_state_changing_request_without_the_csrf_token_is_refused() {
    let app = TestApp::new();
    app.create_user("ann", false);
    let b = web_login(&app, "ann", "en").await;
    let body = form(&[("name", "P"), ("template", "h2020")]);
    let r = b.post_raw("/ui/plans", &body).await;
    assert_eq!(r.status.as_u16(), 403, "{}", r.text());
    let wrong = form(&[
        ("csrf", "AAAAAAAAAAAAAAAAAAAAAA"),
        ("name", "P"),
        ("template", "h2020"),
    ]);
    assert_eq!(b.post_raw("/ui/plans", &wrong).await.status.as_u16(), 403);
    assert_eq!(b.post_raw("/ui/logout", "").await.status.as_u16(), 403);
    let id = b.new_plan("P", "h2020").await;
    // Saving, sharing, generating, restoring, the language: all refused without it.
    for path in [
        format!("/ui/plans/{id}"),
        format!("/ui/plans/{id}/share"),
        format!("/ui/plans/{id}/documents"),
        format!("/ui/plans/{id}/restore"),
        format!("/ui/plans/{id}/delete"),
        "/ui/locale".to_owned(),
        "/ui/password".to_owned(),
    ] {
        let r = b
            .post_raw(
                &path,
                "name=x&lang=es&action=add&n=1&current=1&new=b&confirm=b",
            )
            .await;
        assert_eq!(r.status.as_u16(), 403, "{path}: {}", r.text());
    }
    // Nothing was written.
    let (token, _) = app.tokens("ann").await;
    let plan = app
        .get(&format!("/dmps/{id}"))
        .token(&token)
        .send()
        .await
        .ok(200);
    assert_eq!(plan["name"], "P");
    // The API does not take the cookie.
    let api = app.get("/dmps").header("Cookie", &b.cookie).send().await;
    api.error(401);
}

#[tokio::test]
async fn logout_makes_the_old_cookie_useless() {
    let app = TestApp::new();
    app.create_user("ann", false);
    let b = web_login(&app, "ann", "en").await;
    assert!(b.get("/").await.text().contains("New plan"));
    let r = b.post("/ui/logout", &[]).await;
    assert_eq!(r.status.as_u16(), 303);
    assert!(r.header("set-cookie").unwrap().contains("Max-Age=0"));
    // The same cookie, sent again (as a thief would): the login page, no plans.
    let page = b.get("/").await.text();
    assert!(page.contains("action=\"/ui/login\""));
    assert!(!page.contains("New plan"));
    let r = b.get("/ui/plans/new").await;
    assert_eq!(r.status.as_u16(), 303);
    assert_eq!(r.header("location"), Some("/"));
    let r = b
        .post("/ui/plans", &[("name", "P"), ("template", "h2020")])
        .await;
    assert_eq!(r.header("location"), Some("/"), "to the login page");
    let (token, _) = app.tokens("ann").await;
    let plans = app.get("/dmps").token(&token).send().await.ok(200);
    assert!(!plans.to_string().contains("\"P\""), "{plans}");
}

#[tokio::test]
async fn changing_the_password_keeps_this_browser_logged_in_and_ends_other_sessions() {
    let app = TestApp::new();
    app.create_user("ann", false);
    let other = web_login(&app, "ann", "en").await;
    let b = web_login(&app, "ann", "en").await;
    let r = b
        .post(
            "/ui/password",
            &[
                ("current", PASSWORD),
                ("new", "a-new-long-password"),
                ("confirm", "a-new-long-password"),
            ],
        )
        .await;
    assert_eq!(r.status.as_u16(), 303, "{}", r.text());
    let fresh = cookie_of(&r);
    let page = app.get("/").header("Cookie", &fresh).send().await.text();
    assert!(page.contains("New plan"));
    assert!(other.get("/").await.text().contains("action=\"/ui/login\""));
    assert_eq!(
        app.login("ann", "a-new-long-password")
            .await
            .status
            .as_u16(),
        200
    );
}

/// Every page of a plan and of the account, with a plan that has every part.
async fn every_page(app: &TestApp) -> (Browser<'_>, Vec<String>) {
    app.create_user("root", true);
    let (token, _) = app.tokens("root").await;
    let id = full_plan(app, &token).await;
    app.put(&format!("/dmps/{id}"))
        .token(&token)
        .json(&json!({"answers": {"purpose": "A second revision."}}))
        .send()
        .await
        .ok(200);
    let b = web_login(app, "root", "en").await;
    let pages = vec![
        "/".to_owned(),
        "/?q=plan&sort=title".to_owned(),
        "/ui/plans/new".to_owned(),
        "/ui/password".to_owned(),
        "/ui/admin".to_owned(),
        format!("/ui/plans/{id}"),
        format!("/ui/plans/{id}/documents"),
        format!("/ui/plans/{id}/share"),
        format!("/ui/plans/{id}/history"),
        format!("/ui/plans/{id}/history?from=1&to=2"),
        format!("/ui/plans/{id}/comments"),
    ];
    (b, pages)
}

#[tokio::test]
async fn every_page_has_the_csp_loads_nothing_from_elsewhere_and_weighs_under_150_kb() {
    let app = TestApp::new();
    let (b, pages) = every_page(&app).await;
    let mut weights = Vec::new();
    let login = app.get("/").send().await;
    for (path, r) in std::iter::once(("/ (login)".to_owned(), login)).chain({
        let mut v = Vec::new();
        for p in &pages {
            v.push((p.clone(), b.get(p).await));
        }
        v
    }) {
        assert_eq!(r.status.as_u16(), 200, "{path}: {}", r.text());
        assert_eq!(
            r.header("content-security-policy"),
            Some(dmptool::web::CSP),
            "{path}"
        );
        assert!(r.header("content-type").unwrap().starts_with("text/html"));
        let html = r.text();
        assert!(
            !html.contains("<script>") && !html.contains(" style="),
            "{path}: inline"
        );
        assert!(!html.contains("<style"), "{path}: inline style");
        assert_eq!(foreign_refs(&html), Vec::<String>::new(), "{path}");
        let mut total = html.len();
        for a in assets_of(&html) {
            let asset = app.get(&a).send().await;
            assert_eq!(asset.status.as_u16(), 200, "{a}");
            assert_eq!(
                asset.header("cache-control"),
                Some("public, max-age=31536000, immutable")
            );
            assert_eq!(
                asset.header("content-security-policy"),
                Some(dmptool::web::CSP)
            );
            total += asset.bytes.len();
        }
        assert!(total < 150 * 1024, "{path}: {total} bytes");
        weights.push(format!("{path} {total}"));
    }
    eprintln!("page weights (page + assets, bytes): {weights:#?}");
    // A renamed asset is not found.
    assert_eq!(
        app.get("/ui/assets/app.css").send().await.status.as_u16(),
        404
    );
}

/// `id = value` lines of a catalogue (single-line messages without arguments).
fn plain_messages(src: &str) -> Vec<(String, String)> {
    src.lines()
        .filter(|l| !l.starts_with([' ', '#']) && !l.contains('{'))
        .filter_map(|l| l.split_once(" = "))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

/// The text of a page, without its tags.
fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[tokio::test]
async fn a_spanish_page_has_no_english_ui_string() {
    let app = TestApp::new();
    app.create_user("root", true);
    let (token, _) = app.tokens("root").await;
    let id = full_plan(&app, &token).await;
    let en = plain_messages(source(Lang::En));
    let es = plain_messages(source(Lang::Es));
    let es_text: String = es
        .iter()
        .map(|(_, v)| v.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    // English words the Spanish catalogue uses too ("No", "Editor") prove nothing.
    let english: Vec<&str> = en
        .iter()
        .map(|(_, v)| v.as_str())
        .filter(|v| v.len() > 2 && !es_text.contains(*v))
        .collect();
    assert!(english.len() > 100, "{}", english.len());
    // From the header, and then from the account's choice whatever the header says.
    let b = web_login(&app, "root", "es-ES,es;q=0.9").await;
    let login = app.get("/").header("Accept-Language", "es").send().await;
    let mut pages = vec![("/ (login)".to_owned(), login.text())];
    for p in [
        "/".to_owned(),
        "/ui/plans/new".to_owned(),
        "/ui/password".to_owned(),
        "/ui/admin".to_owned(),
        format!("/ui/plans/{id}/documents"),
        format!("/ui/plans/{id}/share"),
        format!("/ui/plans/{id}/history"),
    ] {
        pages.push((p.clone(), b.get(&p).await.text()));
    }
    for (path, html) in &pages {
        assert!(html.contains("lang=\"es\""), "{path}");
        let text = text_of(html);
        for word in &english {
            assert!(!text.contains(word), "{path} shows English {word:?}");
        }
    }
    // The comments page lists the template's questions (the funder's English wording).
    let comments = b.get(&format!("/ui/plans/{id}/comments")).await.text();
    assert!(comments.contains("Comentario nuevo") && comments.contains("Actividad"));
    assert!(!comments.contains(">New comment<") && !comments.contains(">Activity<"));
    // The editor's own words are Spanish too (the template's wording is the funder's).
    let editor = b.get(&format!("/ui/plans/{id}")).await.text();
    for (k, v) in &es {
        if [
            "save",
            "generate-documents",
            "download-docx",
            "download-pdf",
            "share",
            "history",
            "project-funding",
            "contributors",
            "datasets",
        ]
        .contains(&k.as_str())
        {
            assert!(editor.contains(v.as_str()), "{k}: {v}");
        }
    }
    assert!(!editor.contains(">Save<") && !editor.contains(">Generate documents<"));
    // The picker stores the choice on the account: English now, whatever the header says.
    let r = b
        .post("/ui/locale", &[("lang", "en"), ("back", "/ui/plans/new")])
        .await;
    assert_eq!(r.status.as_u16(), 303);
    assert_eq!(r.header("location"), Some("/ui/plans/new"));
    let again = b.get("/ui/plans/new").await.text();
    let back = &again[again.find("name=\"back\"").unwrap()..][..60];
    assert!(back.contains("value=\"/ui/plans/new\""), "{back}");
    let page = b.get("/").await.text();
    assert!(page.contains("lang=\"en\"") && page.contains("New plan"));
    // An address elsewhere is not followed.
    let r = b
        .post("/ui/locale", &[("lang", "es"), ("back", "//evil.example")])
        .await;
    assert_eq!(r.header("location"), Some("/"));
}

#[tokio::test]
async fn the_list_shows_own_and_granted_plans_only_with_role_and_progress() {
    let app = TestApp::new();
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    app.create_user("carl", false);
    let a = app
        .dmp(&ann, &json!({"name": "Ann's plan", "template": "horizon-europe", "answers": {"purpose": "To learn."}}))
        .await;
    let _b = app.dmp(&bob, &json!({"name": "Bob's plan"})).await;
    app.put(&format!("/dmps/{a}/access/users/carl"))
        .token(&ann)
        .json(&json!({"role": "commenter"}))
        .send()
        .await
        .ok(201);
    let carl = web_login(&app, "carl", "en").await;
    let list = carl.get("/").await.text();
    assert!(list.contains("Ann's plan"), "{list}");
    assert!(!list.contains("Bob"), "{list}");
    assert!(
        list.contains("Commenter") && list.contains("owned by ann"),
        "{list}"
    );
    assert!(list.contains(&format!("/ui/plans/{a}")));
    let total = dmptool::render::template::Templates::new(std::path::Path::new("/nonexistent"))
        .get("horizon-europe")
        .unwrap()
        .0
        .question_count();
    assert!(list.contains(&format!("1 of {total} answered")), "{list}");
    // Search and sort.
    let ann_b = web_login(&app, "ann", "en").await;
    ann_b.new_plan("Zebra study", "h2020").await;
    let found = ann_b.get("/?q=zebra").await.text();
    assert!(found.contains("Zebra study") && !found.contains("Ann's plan"));
    let by_title = ann_b.get("/?sort=title").await.text();
    assert!(by_title.find("Ann's plan").unwrap() < by_title.find("Zebra study").unwrap());
    // The commenter reads the plan but has no Save button and cannot write.
    let editor = carl.get(&format!("/ui/plans/{a}")).await.text();
    assert!(!editor.contains(">Save<") && editor.contains("To learn."));
    let r = carl
        .post(
            &format!("/ui/plans/{a}"),
            &[("revision", "1"), ("answers.purpose", "Mine now")],
        )
        .await;
    assert_eq!(r.status.as_u16(), 403, "{}", r.text());
    // Bob does not even see it.
    let bob_b = web_login(&app, "bob", "en").await;
    assert_eq!(
        bob_b.get(&format!("/ui/plans/{a}")).await.status.as_u16(),
        404
    );
}

#[tokio::test]
async fn the_editor_shows_the_template_and_saves_answers_fields_and_parts() {
    let app = TestApp::new();
    app.create_user("ann", false);
    let b = web_login(&app, "ann", "en").await;
    let id = b.new_plan("Soil study", "horizon-europe").await;
    let page = b.get(&format!("/ui/plans/{id}")).await.text();
    // Official wording as the answer box's label; guidance; unanswered marked.
    assert!(page.contains("<label class=\"q\" for=\"a-reuse\">Will you re-use any existing data"));
    assert!(page.contains("name=\"answers.reuse\""));
    assert!(page.contains("Not answered yet"));
    for b in [
        "Save",
        "Generate documents",
        "Download DOCX",
        "Download PDF",
        "Share",
        "History",
    ] {
        assert!(page.contains(&format!(">{b}</button>")), "{b}");
    }
    // A field its condition hides is hidden (reuse_url shows only when reuse is yes).
    let at = page.find("for=\"f-reuse_url\"").unwrap();
    let div = &page[page[..at].rfind("<div").unwrap()..at];
    assert!(div.contains("hidden"), "{div}");
    let r = b
        .post(
            &format!("/ui/plans/{id}"),
            &[
                ("revision", "1"),
                ("name", "Soil study"),
                ("answers.purpose", "We study **soil**."),
                ("f.reuse", "yes"),
                ("f.reuse_url", "https://data.example.org"),
                ("grant.title", "SOIL"),
                ("grant.grant_number", "101000001"),
                ("grant.funder.name", "European Commission"),
                ("contributors.count", "1"),
                ("contributors.0.name", "Ann Example"),
                ("contributors.0.orcid", "0000-0002-1825-0097"),
                ("contributors.0.roles", "contact"),
                ("datasets.count", "0"),
                ("costs.count", "0"),
            ],
        )
        .await;
    assert_eq!(r.status.as_u16(), 303, "{}", r.text());
    let (token, _) = app.tokens("ann").await;
    let plan = app
        .get(&format!("/dmps/{id}"))
        .token(&token)
        .send()
        .await
        .ok(200);
    assert_eq!(plan["answers"]["purpose"], "We study **soil**.");
    assert_eq!(plan["reuse"], "yes");
    assert_eq!(plan["grant"]["funder"]["name"], "European Commission");
    assert_eq!(plan["contributors"][0]["roles"], json!(["contact"]));
    let page = b.get(&format!("/ui/plans/{id}")).await.text();
    let at = page.find("for=\"f-reuse_url\"").unwrap();
    let div = &page[page[..at].rfind("<div").unwrap()..at];
    assert!(!div.contains("hidden"), "shown now: {div}");
    // Add a dataset (a row button), then another; reorder; the datasets keep their ids. (A
    // row button that changes nothing stored, as the first one: no new revision.)
    let r = b
        .post(
            &format!("/ui/plans/{id}"),
            &[
                ("revision", "2"),
                ("datasets.count", "0"),
                ("action", "add:datasets"),
            ],
        )
        .await;
    assert_eq!(r.status.as_u16(), 303, "{}", r.text());
    let to = r.header("location").unwrap().to_owned();
    assert!(to.ends_with("blank=datasets"), "{to}");
    assert!(
        b.get(&to)
            .await
            .text()
            .contains("name=\"datasets.0.title\"")
    );
    let r = b
        .post(
            &format!("/ui/plans/{id}"),
            &[
                ("revision", "2"),
                ("datasets.count", "1"),
                ("datasets.0.title", "Samples"),
                ("action", "add:datasets"),
            ],
        )
        .await;
    assert_eq!(r.status.as_u16(), 303, "{}", r.text());
    let r = b
        .post(
            &format!("/ui/plans/{id}"),
            &[
                ("revision", "3"),
                ("datasets.count", "2"),
                ("datasets.0.title", "Samples"),
                ("datasets.1.title", "Images"),
                ("datasets.1.access", "open"),
                ("action", "up:datasets:1"),
            ],
        )
        .await;
    assert_eq!(r.status.as_u16(), 303, "{}", r.text());
    let plan = app
        .get(&format!("/dmps/{id}"))
        .token(&token)
        .send()
        .await
        .ok(200);
    let titles: Vec<&str> = plan["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Images", "Samples"]);
    assert_eq!(plan["datasets"][0]["access"], "open");
    assert!(
        plan["datasets"][0]["id"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    // A wrong ORCID iD: refused by the domain's check, what was typed stays on the page.
    let r = b
        .post(
            &format!("/ui/plans/{id}"),
            &[
                ("revision", "4"),
                ("answers.purpose", "Typed, not lost."),
                ("contributors.count", "1"),
                ("contributors.0.name", "Ann Example"),
                ("contributors.0.orcid", "0000-0001-5109-3701"),
            ],
        )
        .await;
    assert_eq!(r.status.as_u16(), 400);
    let html = r.text();
    assert!(
        html.contains("check digit") && html.contains("Typed, not lost."),
        "{html}"
    );
}

#[tokio::test]
async fn a_stale_save_is_refused_and_shows_what_the_other_person_changed() {
    let app = TestApp::new();
    let ann = app.user("ann").await;
    let id = app
        .dmp(&ann, &json!({"name": "P", "template": "horizon-europe"}))
        .await;
    let b = web_login(&app, "ann", "en").await;
    // Someone else saves first (revision 2).
    app.put(&format!("/dmps/{id}"))
        .token(&ann)
        .json(&json!({"answers": {"purpose": "Theirs."}}))
        .send()
        .await
        .ok(200);
    // The form from revision 1: refused, the page keeps "Mine." and offers to save again.
    let r = b
        .post(
            &format!("/ui/plans/{id}"),
            &[("revision", "1"), ("answers.purpose", "Mine.")],
        )
        .await;
    assert_eq!(r.status.as_u16(), 412);
    let html = r.text();
    assert!(html.contains("Someone else changed this plan") && html.contains("Mine."));
    assert!(html.contains("answers/purpose"), "{html}");
    assert!(html.contains("name=\"revision\" value=\"2\""));
    // The script's save: JSON both ways, If-Match decides.
    let json_save = |rev: &str, text: &str| {
        app.post(&format!("/ui/plans/{id}"))
            .header("Cookie", &b.cookie)
            .header("X-CSRF-Token", &b.csrf)
            .header("Accept", "application/json")
            .header("If-Match", &format!("\"{id}-{rev}\""))
            .raw(FORM, form(&[("answers.purpose", text)]))
    };
    let r = json_save("1", "Mine.").send().await;
    assert_eq!(r.status.as_u16(), 412);
    let v = r.json();
    assert_eq!(v["revision"], 2);
    assert_eq!(v["changed"], json!(["answers/purpose"]));
    let diff = b
        .get(&format!("/ui/plans/{id}/diff?from=1&to=2"))
        .await
        .text();
    assert!(diff.contains("<ins>purpose: Theirs.</ins>"), "{diff}");
    // Keep mine: the same save with the current revision.
    let v = json_save("2", "Mine.").send().await.ok(200);
    assert_eq!(v["revision"], 3);
    let plan = app
        .get(&format!("/dmps/{id}"))
        .token(&ann)
        .send()
        .await
        .ok(200);
    assert_eq!(plan["answers"]["purpose"], "Mine.");
    // History: the diff with highlighting, and a restore brings the old text back.
    let h = b
        .get(&format!("/ui/plans/{id}/history?from=2&to=3"))
        .await
        .text();
    assert!(h.contains("<del>Theirs</del><ins>Mine</ins>"), "{h}");
    let r = b
        .post(
            &format!("/ui/plans/{id}/restore"),
            &[("n", "2"), ("current", "3")],
        )
        .await;
    assert_eq!(r.status.as_u16(), 303, "{}", r.text());
    let plan = app
        .get(&format!("/dmps/{id}"))
        .token(&ann)
        .send()
        .await
        .ok(200);
    assert_eq!(plan["answers"]["purpose"], "Theirs.");
}

#[tokio::test]
async fn sharing_and_administration_from_the_pages() {
    let app = TestApp::new();
    app.create_user("root", true);
    let root = web_login(&app, "root", "en").await;
    let r = root
        .post(
            "/ui/admin",
            &[
                ("action", "create-user"),
                ("username", "ann"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status.as_u16(), 303, "{}", r.text());
    root.post(
        "/ui/admin",
        &[
            ("action", "create-user"),
            ("username", "ben"),
            ("password", PASSWORD),
        ],
    )
    .await;
    let r = root
        .post(
            "/ui/admin",
            &[
                ("action", "create-project"),
                ("project", "soil"),
                ("description", "Soil"),
            ],
        )
        .await;
    assert_eq!(r.status.as_u16(), 303);
    root.post(
        "/ui/admin",
        &[
            ("action", "add-member"),
            ("username", "ben"),
            ("project", "soil"),
        ],
    )
    .await;
    let admin = root.get("/ui/admin").await.text();
    assert!(admin.contains("horizon-europe") && admin.contains("soil"));
    let backup = root.get("/ui/admin/backup").await;
    assert_eq!(backup.status.as_u16(), 200);
    assert!(backup.bytes.len() > 1000);
    let ann = web_login(&app, "ann", "en").await;
    assert_eq!(ann.get("/ui/admin").await.status.as_u16(), 403);
    let r = ann
        .post(
            "/ui/admin",
            &[("action", "delete-user"), ("username", "root")],
        )
        .await;
    assert_eq!(r.status.as_u16(), 403);
    let id = ann.new_plan("Shared", "science-europe").await;
    let r = ann
        .post(
            &format!("/ui/plans/{id}/share"),
            &[
                ("action", "add"),
                ("kind", "project"),
                ("name", "soil"),
                ("role", "editor"),
            ],
        )
        .await;
    assert_eq!(r.status.as_u16(), 303, "{}", r.text());
    let share = ann.get(&format!("/ui/plans/{id}/share")).await.text();
    assert!(share.contains("soil") && share.contains("Editor"));
    let ben = web_login(&app, "ben", "en").await;
    assert!(ben.get("/").await.text().contains("Shared"));
    let r = ann
        .post(
            &format!("/ui/plans/{id}/share"),
            &[
                ("action", "add"),
                ("kind", "user"),
                ("name", "nobody"),
                ("role", "viewer"),
            ],
        )
        .await;
    assert_eq!(r.status.as_u16(), 404);
    assert!(r.text().contains("nobody"));
    let r = root
        .post(
            "/ui/admin",
            &[("action", "reset-password"), ("username", "ann")],
        )
        .await;
    assert!(r.text().contains("The new password of ann is"));
}

#[tokio::test]
async fn a_commenter_comments_on_a_question_and_the_owner_resolves_it() {
    let app = TestApp::new();
    let ann = app.user("ann").await;
    app.create_user("ben", false);
    let id = app
        .dmp(&ann, &json!({"name": "P", "template": "horizon-europe"}))
        .await;
    app.put(&format!("/dmps/{id}/access/users/ben"))
        .token(&ann)
        .json(&json!({"role": "commenter"}))
        .send()
        .await
        .ok(201);
    let ben = web_login(&app, "ben", "en").await;
    let editor = ben.get(&format!("/ui/plans/{id}")).await.text();
    assert!(editor.contains(&format!("/ui/plans/{id}/comments?on=question:purpose")));
    let page = ben
        .get(&format!("/ui/plans/{id}/comments?on=question:purpose"))
        .await
        .text();
    assert!(
        page.contains("value=\"question:purpose\" selected"),
        "{page}"
    );
    let r = ben
        .post(
            &format!("/ui/plans/{id}/comments"),
            &[
                ("action", "add"),
                ("on", "question:purpose"),
                ("text", "Say **why**."),
            ],
        )
        .await;
    assert_eq!(r.status.as_u16(), 303, "{}", r.text());
    let editor = ben.get(&format!("/ui/plans/{id}")).await.text();
    assert!(editor.contains("One open comment"), "the question shows it");
    let owner = web_login(&app, "ann", "en").await;
    let page = owner.get(&format!("/ui/plans/{id}/comments")).await.text();
    assert!(page.contains("<strong>why</strong>") && page.contains("ben"));
    let cid = {
        let at =
            page.find("name=\"comment\" value=\"").unwrap() + "name=\"comment\" value=\"".len();
        page[at..at + page[at..].find('"').unwrap()].to_owned()
    };
    let r = owner
        .post(
            &format!("/ui/plans/{id}/comments"),
            &[("action", "reply"), ("comment", &cid), ("text", "Done.")],
        )
        .await;
    assert_eq!(r.status.as_u16(), 303, "{}", r.text());
    let r = owner
        .post(
            &format!("/ui/plans/{id}/comments"),
            &[("action", "resolve"), ("comment", &cid)],
        )
        .await;
    assert_eq!(r.status.as_u16(), 303, "{}", r.text());
    let page = owner.get(&format!("/ui/plans/{id}/comments")).await.text();
    assert!(page.contains("Resolved comments") && page.contains("No open comments."));
    assert!(page.contains("resolved a comment") && page.contains("commented"));
    // A viewer may read but not comment.
    app.create_user("cy", false);
    app.put(&format!("/dmps/{id}/access/users/cy"))
        .token(&ann)
        .json(&json!({"role": "viewer"}))
        .send()
        .await
        .ok(201);
    let cy = web_login(&app, "cy", "es").await;
    let page = cy.get(&format!("/ui/plans/{id}/comments")).await.text();
    assert!(page.contains("Comentarios resueltos") && !page.contains("Comentario nuevo"));
    let r = cy
        .post(
            &format!("/ui/plans/{id}/comments"),
            &[("action", "add"), ("on", "plan"), ("text", "x")],
        )
        .await;
    assert_eq!(r.status.as_u16(), 403);
}

#[tokio::test]
async fn the_list_is_paged_and_searched_over_every_plan() {
    let app = TestApp::new();
    let ann = app.user("ann").await;
    for i in 0..30 {
        app.dmp(
            &ann,
            &json!({"name": format!("Plan {i:02}"), "template": "h2020"}),
        )
        .await;
    }
    let b = web_login(&app, "ann", "en").await;
    let first = b.get("/?sort=title").await.text();
    assert!(
        first.contains("30 plans") && first.contains("Page 1 of 2"),
        "{first}"
    );
    assert!(first.contains("Plan 00") && first.contains("Plan 24") && !first.contains("Plan 25"));
    let second = b.get("/?q=&sort=title&page=2").await.text();
    assert!(
        second.contains("Plan 25") && second.contains("Plan 29") && !second.contains("Plan 24")
    );
    assert!(second.contains("Previous page"));
    let found = b.get("/?q=plan+2").await.text();
    assert!(
        found.contains("10 plans") && !found.contains("Page 1 of"),
        "{found}"
    );
}

/// Where `needle` first appears in the list page, for checking its order.
fn at(page: &str, needle: &str) -> usize {
    page.find(needle)
        .unwrap_or_else(|| panic!("{needle} not on the page:\n{page}"))
}

#[tokio::test]
async fn the_default_order_pages_own_and_shared_plans_together_by_last_change() {
    let app = TestApp::new();
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    let pause = || tokio::time::sleep(std::time::Duration::from_millis(3));
    let share = |id: String| {
        let app = &app;
        let bob = bob.clone();
        async move {
            app.put(&format!("/dmps/{id}/access/users/ann"))
                .token(&bob)
                .json(&json!({"role": "viewer"}))
                .send()
                .await
                .ok(201);
        }
    };
    let old = app.dmp(&bob, &json!({"name": "Old shared"})).await;
    share(old).await;
    let mut own = Vec::new();
    for i in 0..30 {
        pause().await;
        own.push(
            app.dmp(&ann, &json!({"name": format!("Plan {i:02}")}))
                .await,
        );
    }
    pause().await;
    let new = app.dmp(&bob, &json!({"name": "New shared"})).await;
    share(new.clone()).await;
    pause().await;
    app.put(&format!("/dmps/{}", own[5]))
        .token(&ann)
        .json(&json!({"name": "Plan 05 edited"}))
        .send()
        .await
        .ok(200);
    let b = web_login(&app, "ann", "en").await;
    let first = b.get("/").await.text();
    assert!(
        first.contains("32 plans") && first.contains("Page 1 of 2"),
        "{first}"
    );
    // Last changed first: the edited plan, the newer shared one, then ann's from Plan 29 on.
    let order = [
        "Plan 05 edited",
        "New shared",
        "Plan 29",
        "Plan 28",
        "Plan 08",
        "Plan 07",
    ];
    let places: Vec<usize> = order.iter().map(|n| at(&first, n)).collect();
    assert!(
        places.windows(2).all(|w| w[0] < w[1]),
        "{order:?} at {places:?}"
    );
    assert!(!first.contains("Plan 06") && !first.contains("Old shared"));
    let second = b.get("/?page=2").await.text();
    let order = ["Plan 06", "Plan 04", "Plan 00", "Old shared"];
    let places: Vec<usize> = order.iter().map(|n| at(&second, n)).collect();
    assert!(
        places.windows(2).all(|w| w[0] < w[1]),
        "{order:?} at {places:?}"
    );
    assert!(!second.contains("Plan 07") && !second.contains("Plan 05"));
    assert!(second.contains("Viewer") && second.contains("owned by bob"));
    // Unsharing takes a plan off the list at once; deleting one too.
    app.delete(&format!("/dmps/{new}/access/users/ann"))
        .token(&bob)
        .send()
        .await;
    app.delete(&format!("/dmps/{}", own[29]))
        .token(&ann)
        .send()
        .await;
    let first = b.get("/").await.text();
    assert!(first.contains("30 plans"), "{first}");
    assert!(!first.contains("New shared") && !first.contains("Plan 29"));
    app.assert_consistent();
}

#[tokio::test]
async fn progress_follows_the_plans_changes_and_a_changed_template_file() {
    let app = TestApp::new();
    let ann = app.user("ann").await;
    let id = app
        .dmp(
            &ann,
            &json!({"name": "Counted", "template": "h2020", "answers": {"purpose": "One."}}),
        )
        .await;
    let b = web_login(&app, "ann", "en").await;
    let h2020 = dmptool::render::template::Templates::new(std::path::Path::new("/nonexistent"))
        .get("h2020")
        .unwrap()
        .0
        .question_count();
    assert!(
        b.get("/")
            .await
            .text()
            .contains(&format!("1 of {h2020} answered"))
    );
    app.put(&format!("/dmps/{id}"))
        .token(&ann)
        .json(&json!({"answers": {"purpose": "One.", "types": "Two."}}))
        .send()
        .await
        .ok(200);
    assert!(
        b.get("/")
            .await
            .text()
            .contains(&format!("2 of {h2020} answered"))
    );
    // An administrator's own h2020 (an override file) is read, and read again once it
    // changes, also when its length stays the same.
    let dir = app.dir.path().join("templates");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("h2020.json");
    let write = |ids: &[&str], age_secs: u64| {
        let questions: Vec<_> = ids
            .iter()
            .map(|q| json!({"id": q, "question": format!("{q}?"), "answers": []}))
            .collect();
        let t = json!({"name": "h2020", "title": "Our H2020", "sections": [{"title": "S", "questions": questions}]});
        std::fs::write(&file, t.to_string()).unwrap();
        let past = std::time::SystemTime::now() - std::time::Duration::from_secs(age_secs);
        std::fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(past)
            .unwrap();
    };
    write(&["purpose", "zzzzz"], 3600);
    let page = b.get("/").await.text();
    assert!(
        page.contains("1 of 2 answered") && page.contains("Our H2020"),
        "{page}"
    );
    write(&["purpose", "types"], 1800);
    let page = b.get("/").await.text();
    assert!(page.contains("2 of 2 answered"), "{page}");
    // A file just written (its time within the clock's tick of the last read) is read too.
    write(&["zzzzz", "types"], 0);
    let page = b.get("/").await.text();
    assert!(page.contains("1 of 2 answered"), "{page}");
}

#[tokio::test]
async fn the_lists_document_links_serve_the_plans_latest_documents_to_every_member() {
    let app = TestApp::new();
    let ann = app.user("ann").await;
    app.user("bob").await;
    let id = app
        .dmp(
            &ann,
            &json!({"name": "With documents", "template": "h2020", "purpose": "Shown."}),
        )
        .await;
    app.put(&format!("/dmps/{id}/access/users/bob"))
        .token(&ann)
        .json(&json!({"role": "viewer"}))
        .send()
        .await
        .ok(201);
    let bob = web_login(&app, "bob", "en").await;
    let link = format!("/ui/plans/{id}/documents?download=pdf");
    assert!(!bob.get("/").await.text().contains(&link));
    // Ann's documents are the plan's latest: bob's list links them, and the link works.
    app.task(&ann, &id).await;
    while dmptool::worker::try_execute_task(&app.services)
        .unwrap()
        .is_some()
    {}
    let list = bob.get("/").await.text();
    assert!(list.contains(&link), "{list}");
    let r = bob.get(&link).await;
    assert_eq!(r.status.as_u16(), 303);
    let to = r.header("location").unwrap().to_owned();
    assert!(
        to.starts_with("/resources/pdf/") && to.contains("?sig="),
        "{to}"
    );
    let pdf = app.get(&to).send().await;
    assert_eq!(pdf.status.as_u16(), 200);
    assert!(pdf.text().starts_with("%PDF"));
    // Someone without a grant gets nothing from the same link.
    app.user("eve").await;
    let eve = web_login(&app, "eve", "en").await;
    assert_eq!(eve.get(&link).await.status.as_u16(), 404);
}

#[tokio::test]
async fn an_editor_page_opened_again_shows_every_change_since_in_each_language() {
    let app = TestApp::new();
    let ann = app.user("ann").await;
    let id = app
        .dmp(
            &ann,
            &json!({"name": "Again", "template": "h2020", "answers": {"purpose": "First words."}}),
        )
        .await;
    let en = web_login(&app, "ann", "en").await;
    let es = web_login(&app, "ann", "es").await;
    let path = format!("/ui/plans/{id}");
    for _ in 0..2 {
        let page = en.get(&path).await.text();
        assert!(page.contains("First words.") && page.contains("Plan details"));
        assert!(!page.contains("One open comment"));
    }
    // A comment changes no version, but the question's link counts it.
    app.post(&format!("/dmps/{id}/comments"))
        .token(&ann)
        .json(&json!({"text": "Which repository?", "question": "purpose"}))
        .send()
        .await
        .ok(201);
    assert!(en.get(&path).await.text().contains("One open comment"));
    // A new version shows its words; the other language its own strings.
    app.put(&path.replace("/ui/plans", "/dmps"))
        .token(&ann)
        .json(&json!({"answers": {"purpose": "Second words."}}))
        .send()
        .await
        .ok(200);
    let page = en.get(&path).await.text();
    assert!(page.contains("Second words.") && !page.contains("First words."));
    let page = es.get(&path).await.text();
    assert!(page.contains("Datos del plan") && page.contains("Un comentario abierto"));
    assert!(!page.contains("Plan details"));
    // A changed template file (an administrator's own h2020) is shown at once.
    let dir = app.dir.path().join("templates");
    std::fs::create_dir_all(&dir).unwrap();
    let t = json!({"name": "h2020", "title": "Our H2020", "sections": [{"title": "Only section", "questions": [{"id": "purpose", "question": "Why, in our words?", "answers": []}]}]});
    std::fs::write(dir.join("h2020.json"), t.to_string()).unwrap();
    let page = en.get(&path).await.text();
    assert!(
        page.contains("Why, in our words?") && page.contains("Second words."),
        "{page}"
    );
}

#[tokio::test]
async fn after_a_backup_is_restored_the_editor_and_the_list_show_the_plan_as_it_is_now() {
    let app = TestApp::new();
    let ann = app.user("ann").await;
    let id = app
        .dmp(&ann, &json!({"name": "Restored", "template": "h2020"}))
        .await;
    let backup = app.dir.path().join("before.redb");
    app.services.backup_to(&backup).unwrap();
    let path = format!("/ui/plans/{id}");
    let put = |token: String, text: &'static str| {
        let app = &app;
        let path = path.replace("/ui/plans", "/dmps");
        async move {
            let types = if text == "Text A" { "Two." } else { "" };
            app.put(&path)
                .token(&token)
                .json(&json!({"answers": {"purpose": text, "types": types}}))
                .send()
                .await
                .ok(200);
        }
    };
    put(ann.clone(), "Text A").await;
    let b = web_login(&app, "ann", "en").await;
    let page = b.get(&path).await.text();
    assert!(page.contains("Text A") && page.contains("revision 2"));
    assert!(b.get("/").await.text().contains("2 of 40 answered"));
    // The backup brings the plan back to revision 1; the next edit is revision 2 again, with
    // other words, at another time.
    app.services.restore_from(&backup).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let b = web_login(&app, "ann", "en").await;
    let (ann, _) = app.tokens("ann").await;
    put(ann, "Text B").await;
    let page = b.get(&path).await.text();
    assert!(page.contains("revision 2"), "{page}");
    assert!(
        page.contains("Text B") && !page.contains("Text A"),
        "{page}"
    );
    assert!(b.get("/").await.text().contains("1 of 40 answered"));
}

use dmptool::api::middleware::AllowedOrigins;
use dmptool::service::Settings;
use poem::http::Method;
use serde_json::json;

use crate::support::TestApp;

#[tokio::test]
async fn health_needs_no_token() {
    let app = TestApp::new();
    let r = app.get("/health").send().await;
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let v = r.ok(200);
    assert_eq!(v["status"], "ok");
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let app = TestApp::new();
    app.get("/nope").send().await.error(404);
    app.get("/test").send().await.error(404);
    let r = app.req(Method::PATCH, "/dmps").send().await;
    r.error(405);
    assert_eq!(r.header("allow"), Some("GET, POST"));
    let r = app
        .req(Method::PATCH, "/dmps/0123456789abcdef01234567")
        .send()
        .await;
    assert_eq!(r.header("allow"), Some("DELETE, GET, PUT"));
    let r = app.req(Method::GET, "/dmps/import").send().await;
    assert_eq!(r.header("allow"), Some("POST"));
    app.req(Method::DELETE, "/login").send().await.error(405);
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let app = TestApp::with(Settings::default(), AllowedOrigins::Any, 1000);
    let t = app.user("ana").await;
    let big = json!({"description": "x".repeat(2000)});
    app.post("/dmps")
        .token(&t)
        .json(&big)
        .send()
        .await
        .error(413);
    // Without a Content-Length (a streamed body), the limit holds as well.
    let streamed = serde_json::to_vec(&big).unwrap();
    app.post("/dmps")
        .token(&t)
        .stream("application/json", streamed)
        .send()
        .await
        .error(413);
    let small = serde_json::to_vec(&json!({"description": "small"})).unwrap();
    app.post("/dmps")
        .token(&t)
        .stream("application/json", small)
        .send()
        .await
        .ok(201);
}

#[tokio::test]
async fn deeply_nested_json_is_refused_not_crashed() {
    let app = TestApp::new();
    let t = app.user("ana").await;
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let body = format!("{{\"a\":{deep}}}");
    app.post("/dmps")
        .token(&t)
        .raw("application/json", body)
        .send()
        .await
        .error(400);
    app.get("/health").send().await.ok(200);
}

#[tokio::test]
async fn every_error_status_of_a_normal_session_is_json() {
    let app = TestApp::new();
    let t = app.user("ana").await;
    for (m, p) in [
        (Method::GET, "/dmps/abc"),
        (Method::GET, "/dmps/5f4788901670a9821bc72985"),
        (Method::POST, "/tasks"),
    ] {
        let r = app.req(m, p).token(&t).send().await;
        assert!(r.status.is_client_error());
        r.error(r.status.as_u16());
    }
}

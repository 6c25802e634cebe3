use dmptool::api::middleware::AllowedOrigins;
use dmptool::service::Settings;

use crate::support::TestApp;

const ORIGIN: &str = "https://app.example.org";

#[tokio::test]
async fn preflight_from_the_frontend_origin_succeeds_without_a_token() {
    let app = TestApp::new();
    for (path, method) in [
        ("/dmps", "POST"),
        ("/dmps/5f4788901670a9821bc72985", "PUT"),
        ("/login", "GET"),
        ("/tasks", "GET"),
    ] {
        let r = app
            .req(poem::http::Method::OPTIONS, path)
            .header("Origin", ORIGIN)
            .header("Access-Control-Request-Method", method)
            .header(
                "Access-Control-Request-Headers",
                "authorization,content-type",
            )
            .send()
            .await;
        assert!(r.status.is_success(), "{path}: {}", r.status);
        assert_eq!(r.header("access-control-allow-origin"), Some(ORIGIN));
        let headers = r
            .header("access-control-allow-headers")
            .unwrap()
            .to_ascii_lowercase();
        assert!(
            headers.contains("authorization") && headers.contains("content-type"),
            "{headers}"
        );
        let methods = r.header("access-control-allow-methods").unwrap();
        for m in ["GET", "POST", "PUT", "DELETE"] {
            assert!(methods.contains(m), "{methods}");
        }
    }
}

#[tokio::test]
async fn responses_to_an_allowed_origin_carry_cors_headers_errors_included() {
    let app = TestApp::new();
    let r = app.get("/dmps").header("Origin", ORIGIN).send().await;
    r.error(401);
    assert_eq!(r.header("access-control-allow-origin"), Some(ORIGIN));
    let t = app.user("ana").await;
    let r = app
        .get("/dmps")
        .token(&t)
        .header("Origin", ORIGIN)
        .send()
        .await;
    assert_eq!(r.header("access-control-allow-origin"), Some(ORIGIN));
    assert!(
        r.header("access-control-expose-headers")
            .unwrap()
            .contains("X-Total-Count")
    );
    let r = app.get("/nowhere").header("Origin", ORIGIN).send().await;
    r.error(404);
    assert_eq!(r.header("access-control-allow-origin"), Some(ORIGIN));
}

#[tokio::test]
async fn other_origins_get_no_cors_grant() {
    let app = TestApp::new();
    let r = app
        .req(poem::http::Method::OPTIONS, "/dmps")
        .header("Origin", "https://evil.example")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await;
    r.error(403);
    assert!(r.header("access-control-allow-origin").is_none());
    let r = app
        .get("/health")
        .header("Origin", "https://evil.example")
        .send()
        .await;
    assert_eq!(r.status.as_u16(), 200);
    assert!(r.header("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn development_mode_allows_any_origin() {
    let app = TestApp::with(Settings::default(), AllowedOrigins::Any, 1 << 20);
    let r = app
        .req(poem::http::Method::OPTIONS, "/dmps")
        .header("Origin", "http://localhost:3000")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await;
    assert!(r.status.is_success());
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("http://localhost:3000")
    );
}

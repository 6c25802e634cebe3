//! A dmptool app on a temp-dir redb file, driven through poem's TestClient.

use std::sync::Arc;

use dmptool::api::ApiState;
use dmptool::api::middleware::AllowedOrigins;
use dmptool::config::{LogFormat, ServeConfig};
use dmptool::service::{Services, Settings};
use poem::endpoint::BoxEndpoint;
use poem::http::{HeaderMap, Method, StatusCode};
use poem::test::TestClient;
use poem::{Body, EndpointExt};
use serde_json::Value;
use tempfile::TempDir;

pub const PASSWORD: &str = "pw-correct-horse";

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.bytes)))
    }
    /// The body as text (for messages).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// Asserts the status and that the body is the JSON error shape; returns the message.
    pub fn error(&self, status: u16) -> String {
        assert_eq!(
            self.status.as_u16(),
            status,
            "body: {}",
            String::from_utf8_lossy(&self.bytes)
        );
        let ct = self.header("content-type").unwrap_or_default();
        assert!(
            ct.starts_with("application/json"),
            "error content-type {ct}"
        );
        let v = self.json();
        let obj = v.as_object().expect("error body is an object");
        assert_eq!(obj.len(), 1, "error body has only `error`: {v}");
        obj["error"].as_str().expect("error is a string").to_owned()
    }
    pub fn ok(&self, status: u16) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "body: {}",
            String::from_utf8_lossy(&self.bytes)
        );
        self.json()
    }
}

pub struct TestApp {
    pub dir: TempDir,
    pub services: Arc<Services>,
    pub settings: Settings,
    pub origins: AllowedOrigins,
    pub body_limit: usize,
    pub public_url: Option<String>,
    cli: TestClient<BoxEndpoint<'static>>,
}

pub struct Req<'a> {
    app: &'a TestApp,
    method: Method,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<Body>,
}

impl Req<'_> {
    pub fn token(self, token: &str) -> Self {
        self.header("Authorization", &format!("Bearer {token}"))
    }
    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }
    pub fn json(mut self, v: &Value) -> Self {
        self.body = Some(Body::from_vec(serde_json::to_vec(v).unwrap()));
        self.header("Content-Type", "application/json")
    }
    pub fn raw(mut self, content_type: &str, bytes: impl Into<Vec<u8>>) -> Self {
        self.body = Some(Body::from_vec(bytes.into()));
        self.header("Content-Type", content_type)
    }
    /// A body of unknown length (no Content-Length header).
    pub fn stream(mut self, content_type: &str, bytes: Vec<u8>) -> Self {
        self.body = Some(Body::from_async_read(std::io::Cursor::new(bytes)));
        self.header("Content-Type", content_type)
    }
    pub async fn send(self) -> Resp {
        let mut rb = self.app.cli.request(self.method, self.path);
        for (k, v) in self.headers {
            rb = rb.header(k, v);
        }
        if let Some(b) = self.body {
            rb = rb.body(b);
        }
        let resp = rb.send().await.0;
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().into_vec().await.unwrap();
        Resp {
            status,
            headers,
            bytes,
        }
    }
}

fn config(
    dir: &TempDir,
    origins: &AllowedOrigins,
    body_limit: usize,
    settings: &Settings,
) -> ServeConfig {
    ServeConfig {
        data_dir: dir.path().to_owned(),
        host: "127.0.0.1".into(),
        port: 0,
        dev: false,
        origins: origins.clone(),
        body_limit,
        settings: settings.clone(),
        logging: dmptool::logging::LogSettings {
            format: LogFormat::Text,
            file: None,
            file_max_bytes: 1 << 20,
            file_keep: 20,
        },
        workers: None,
        trust_proxy: false,
        public_url: None,
        request_timeout: dmptool::net::REQUEST_READ_TIMEOUT,
        idle_timeout: dmptool::net::IDLE_TIMEOUT,
        write_timeout: dmptool::net::WRITE_TIMEOUT,
        max_connections: None,
        max_header_bytes: dmptool::net::MAX_HEADER_BYTES,
        max_page_size: dmptool::config::DEFAULT_MAX_PAGE_SIZE,
    }
}

impl TestApp {
    pub fn new() -> Self {
        Self::with(
            Settings::default(),
            AllowedOrigins::List(vec!["https://app.example.org".into()]),
            1024 * 1024,
        )
    }

    pub fn with(settings: Settings, origins: AllowedOrigins, body_limit: usize) -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self::open(dir, settings, origins, body_limit, None)
    }

    /// An app whose identifiers start with `public_url` (the `public_url` setting).
    pub fn with_public_url(public_url: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self::open(
            dir,
            Settings::default(),
            AllowedOrigins::List(vec!["https://app.example.org".into()]),
            1024 * 1024,
            Some(public_url.to_owned()),
        )
    }

    fn open(
        dir: TempDir,
        settings: Settings,
        origins: AllowedOrigins,
        body_limit: usize,
        public_url: Option<String>,
    ) -> Self {
        let services = Arc::new(Services::open(dir.path(), settings.clone(), None).unwrap());
        let state = ApiState::new(services.clone(), 2)
            .with_trusted_proxy(true)
            .with_public_url(public_url.clone());
        let cfg = config(&dir, &origins, body_limit, &settings);
        let cli = TestClient::new(dmptool::server::app(state, &cfg).boxed());
        Self {
            dir,
            services,
            settings,
            origins,
            body_limit,
            public_url,
            cli,
        }
    }

    /// Closes everything and opens the same data dir again, as a server restart does.
    pub fn restart(self) -> Self {
        let Self {
            dir,
            services,
            settings,
            origins,
            body_limit,
            public_url,
            cli,
        } = self;
        drop(cli);
        assert_eq!(Arc::strong_count(&services), 1, "services still shared");
        drop(services);
        Self::open(dir, settings, origins, body_limit, public_url)
    }

    pub fn req(&self, method: Method, path: &str) -> Req<'_> {
        Req {
            app: self,
            method,
            path: path.to_owned(),
            headers: Vec::new(),
            body: None,
        }
    }
    pub fn get(&self, path: &str) -> Req<'_> {
        self.req(Method::GET, path)
    }
    pub fn post(&self, path: &str) -> Req<'_> {
        self.req(Method::POST, path)
    }
    pub fn put(&self, path: &str) -> Req<'_> {
        self.req(Method::PUT, path)
    }
    pub fn delete(&self, path: &str) -> Req<'_> {
        self.req(Method::DELETE, path)
    }

    pub fn create_user(&self, name: &str, admin: bool) {
        self.services
            .create_user(name, Some(&format!("{name}@example.org")), PASSWORD, admin)
            .unwrap();
    }

    /// GET /login with Basic credentials: the answer, whatever it is.
    pub async fn login(&self, name: &str, password: &str) -> Resp {
        use base64::Engine;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{name}:{password}"));
        self.get("/login")
            .header("Authorization", &format!("Basic {basic}"))
            .send()
            .await
    }

    /// A login (with `PASSWORD`) that must succeed: (access, refresh).
    pub async fn tokens(&self, name: &str) -> (String, String) {
        let v = self.login(name, PASSWORD).await.ok(200);
        (
            v["access_token"].as_str().unwrap().to_owned(),
            v["refresh_token"].as_str().unwrap().to_owned(),
        )
    }

    /// A new user, logged in: their access token.
    pub async fn user(&self, name: &str) -> String {
        self.create_user(name, false);
        self.tokens(name).await.0
    }

    pub async fn admin(&self, name: &str) -> String {
        self.create_user(name, true);
        self.tokens(name).await.0
    }

    /// Creates a DMP from a JSON object; returns its id.
    pub async fn dmp(&self, token: &str, body: &Value) -> String {
        let v = self
            .post("/dmps")
            .token(token)
            .json(body)
            .send()
            .await
            .ok(201);
        v["id"].as_str().unwrap().to_owned()
    }

    /// Creates a task for a DMP; returns its id.
    pub async fn task(&self, token: &str, dmp: &str) -> String {
        let v = self
            .post("/tasks")
            .token(token)
            .json(&serde_json::json!({ "dmp": dmp }))
            .send()
            .await
            .ok(201);
        v["id"].as_str().unwrap().to_owned()
    }

    /// Every index agrees with its records.
    pub fn assert_consistent(&self) {
        super::consistent(&self.services);
    }
}

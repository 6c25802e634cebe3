//! Every operation of the served OpenAPI documents (`/openapi.json` and
//! `/rda/openapi.json`) is walked: each protected one must refuse, with a 401 before
//! anything else, a logged-out token, a deleted user's token and a token of the wrong kind
//! (a refresh token where an access token is declared, and the reverse). A route added
//! later without its scheme's check, or without any scheme, fails here.

use poem::http::Method;
use serde_json::{Value, json};

use crate::support::TestApp;

/// The operations anyone may call (no credentials declared, none needed).
const PUBLIC: &[&str] = &["health", "listTemplates", "getTemplate", "planSchema"];

/// A plausible value for every path parameter: an id (also a fine name); the check under
/// test must answer before the parameter is looked up.
const ANY_ID: &str = "5f0000000000000000000001";

struct Op {
    method: Method,
    path: String,
    id: String,
    /// The security schemes declared (alternatives, each one named).
    schemes: Vec<String>,
    has_body: bool,
}

fn operations(spec: &Value) -> Vec<Op> {
    let mut out = Vec::new();
    for (path, ops) in spec["paths"].as_object().expect("paths") {
        let filled: String = path
            .split('/')
            .map(|seg| if seg.starts_with('{') { ANY_ID } else { seg })
            .collect::<Vec<_>>()
            .join("/");
        for (method, op) in ops.as_object().expect("operations") {
            let Ok(m) = method.to_uppercase().parse::<Method>() else {
                continue;
            };
            let schemes = op["security"]
                .as_array()
                .map(|alts| {
                    alts.iter()
                        .filter_map(Value::as_object)
                        .flat_map(|o| o.keys().cloned())
                        .collect()
                })
                .unwrap_or_default();
            out.push(Op {
                method: m,
                path: filled.clone(),
                id: op["operationId"].as_str().unwrap_or(path).to_owned(),
                schemes,
                has_body: op.get("requestBody").is_some(),
            });
        }
    }
    out
}

async fn call(app: &TestApp, op: &Op, token: &str) -> crate::support::Resp {
    let mut req = app.req(op.method.clone(), &op.path).token(token);
    if op.has_body {
        req = req.json(&json!({}));
    }
    req.send().await
}

/// Asserts a 401 with a JSON error body (the plain or the RDA shape).
fn refused(op: &Op, what: &str, r: &crate::support::Resp) {
    assert_eq!(
        r.status.as_u16(),
        401,
        "{} {} ({}) with {what}: {}",
        op.method,
        op.path,
        op.id,
        String::from_utf8_lossy(&r.bytes)
    );
    // In the shape of the surface: RDA's error model under /rda, `{"error"}` elsewhere.
    let v = r.json();
    let shaped = if op.path.starts_with("/rda/") {
        v["error_code"] == "authentication_required" && v["error_message"].is_string()
    } else {
        v["error"].is_string()
    };
    assert!(shaped, "{} with {what}: not its JSON error: {v}", op.id);
}

#[tokio::test]
async fn every_protected_operation_refuses_revoked_deleted_and_wrong_kind_tokens() {
    let app = TestApp::new();
    // Administrators throughout, so a missing check would let the call through rather
    // than stop at the administrators' 403.
    app.create_user("revoked", true);
    app.create_user("deleted", true);
    app.create_user("holder", true);
    let (revoked_access, revoked_refresh) = app.tokens("revoked").await;
    app.delete("/logout")
        .token(&revoked_access)
        .send()
        .await
        .ok(200);
    let (deleted_access, deleted_refresh) = app.tokens("deleted").await;
    app.services.delete_user("deleted").unwrap();
    let (access, refresh) = app.tokens("holder").await;

    let mut checked = 0;
    for doc in ["/openapi.json", "/rda/openapi.json"] {
        let spec = app.get(doc).send().await.ok(200);
        let ops = operations(&spec);
        assert!(ops.len() > 3, "{doc} lists its operations");
        for op in &ops {
            if op.schemes.is_empty() {
                assert!(
                    PUBLIC.contains(&op.id.as_str()),
                    "{} {} ({}) declares no security scheme and is not a known public operation",
                    op.method,
                    op.path,
                    op.id
                );
                continue;
            }
            let takes_refresh = op.schemes.iter().any(|s| s == "RefreshAuth");
            if takes_refresh {
                refused(
                    op,
                    "a logged-out refresh token",
                    &call(&app, op, &revoked_refresh).await,
                );
                refused(
                    op,
                    "a deleted user's refresh token",
                    &call(&app, op, &deleted_refresh).await,
                );
                refused(op, "an access token", &call(&app, op, &access).await);
                let r = call(&app, op, &refresh).await;
                assert_eq!(r.status.as_u16(), 200, "{} takes a refresh token", op.id);
            } else {
                refused(
                    op,
                    "a logged-out token",
                    &call(&app, op, &revoked_access).await,
                );
                refused(
                    op,
                    "a deleted user's token",
                    &call(&app, op, &deleted_access).await,
                );
                refused(op, "a refresh token", &call(&app, op, &refresh).await);
            }
            checked += 1;
        }
    }
    // Every protected operation of both documents (the RDA ones twice).
    assert!(checked >= 30, "only {checked} protected operations checked");
}

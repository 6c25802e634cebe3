use serde_json::json;

use crate::support::{PASSWORD, TestApp};

#[tokio::test]
async fn login_returns_profile_and_tokens() {
    let app = TestApp::new();
    app.create_user("ana", false);
    app.services
        .create_project("azotea", "Night sky photometers")
        .unwrap();
    app.services
        .create_project("street-spectra", "Street lights")
        .unwrap();
    app.services.add_member("ana", "azotea").unwrap();
    app.services.add_member("ana", "street-spectra").unwrap();
    let r = app.login("ana", PASSWORD).await;
    assert!(
        r.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let v = r.ok(200);
    assert_eq!(v["username"], "ana");
    assert_eq!(v["email"], "ana@example.org");
    assert_eq!(v["project"], "azotea");
    assert_eq!(v["project_description"], "Night sky photometers");
    assert_eq!(v["projects"].as_array().unwrap().len(), 2);
    assert!(v["access_token"].as_str().unwrap().len() > 20);
    assert!(v["refresh_token"].as_str().unwrap().len() > 20);
}

#[tokio::test]
async fn user_without_project_gets_none() {
    let app = TestApp::new();
    app.create_user("solo", false);
    let v = app.login("solo", PASSWORD).await.ok(200);
    assert_eq!(v["project"], "none");
    assert_eq!(v["project_description"], "");
    assert_eq!(v["projects"], json!([]));
}

#[tokio::test]
async fn wrong_password_and_unknown_user_look_the_same() {
    let app = TestApp::new();
    app.create_user("ana", false);
    let wrong = app.login("ana", "nope").await.error(401);
    let unknown = app.login("nobody", "nope").await.error(401);
    assert_eq!(wrong, unknown);
    app.get("/login").send().await.error(401);
    app.get("/login")
        .header("Authorization", "Basic !!!")
        .send()
        .await
        .error(401);
}

#[tokio::test]
async fn repeated_failures_are_throttled_then_released_per_account() {
    let app = TestApp::new();
    app.create_user("ana", false);
    app.create_user("bob", false);
    for _ in 0..6 {
        app.login("ana", "guess").await.error(401);
    }
    let r = app.login("ana", PASSWORD).await;
    r.error(429);
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "retry-after {retry}");
    // Another account is not affected.
    app.login("bob", PASSWORD).await.ok(200);
}

#[tokio::test]
async fn logout_revokes_access_and_refresh_tokens_across_a_restart() {
    let app = TestApp::new();
    app.create_user("ana", false);
    let (access, refresh) = app.tokens("ana").await;
    let (other_access, _) = app.tokens("ana").await;
    app.get("/dmps").token(&access).send().await.ok(200);
    app.delete("/logout").token(&access).send().await.ok(200);
    app.get("/dmps").token(&access).send().await.error(401);
    app.get("/refresh").token(&refresh).send().await.error(401);
    // Another session of the same user is untouched.
    app.get("/dmps").token(&other_access).send().await.ok(200);

    let app = app.restart();
    app.get("/dmps").token(&access).send().await.error(401);
    app.get("/refresh").token(&refresh).send().await.error(401);
    app.get("/dmps").token(&other_access).send().await.ok(200);
}

#[tokio::test]
async fn refresh_accepts_only_refresh_tokens_and_they_work_nowhere_else() {
    let app = TestApp::new();
    app.create_user("ana", false);
    let (access, refresh) = app.tokens("ana").await;
    let v = app.get("/refresh").token(&refresh).send().await.ok(200);
    let fresh = v["access_token"].as_str().unwrap().to_owned();
    app.get("/dmps").token(&fresh).send().await.ok(200);
    let v = app.post("/refresh").token(&refresh).send().await.ok(200);
    assert!(v["access_token"].is_string());
    app.get("/refresh").token(&access).send().await.error(401);
    app.get("/dmps").token(&refresh).send().await.error(401);
    app.delete("/logout")
        .token(&refresh)
        .send()
        .await
        .error(401);
    // Logging out the session also kills access tokens minted by refresh.
    app.delete("/logout").token(&access).send().await.ok(200);
    app.get("/dmps").token(&fresh).send().await.error(401);
}

#[tokio::test]
async fn change_password_by_header_ends_older_tokens() {
    let app = TestApp::new();
    app.create_user("ana", false);
    let (access, refresh) = app.tokens("ana").await;
    let v = app
        .put("/changepassword")
        .token(&access)
        .header("oldpassword", PASSWORD)
        .header("newpassword", "n3w-pass")
        .send()
        .await
        .ok(200);
    let new_access = v["access_token"].as_str().unwrap().to_owned();
    app.get("/dmps").token(&access).send().await.error(401);
    app.get("/refresh").token(&refresh).send().await.error(401);
    app.get("/dmps").token(&new_access).send().await.ok(200);
    app.login("ana", PASSWORD).await.error(401);
    app.login("ana", "n3w-pass").await.ok(200);
}

#[tokio::test]
async fn change_password_by_json_body_and_refusals() {
    let app = TestApp::new();
    let t = app.user("ana").await;
    app.put("/changepassword").token(&t).send().await.error(400);
    app.put("/changepassword")
        .token(&t)
        .header("oldpassword", PASSWORD)
        .header("newpassword", "")
        .send()
        .await
        .error(400);
    app.put("/changepassword")
        .token(&t)
        .raw("text/plain", "x")
        .send()
        .await
        .error(415);
    app.put("/changepassword")
        .token(&t)
        .raw("application/json", "{")
        .send()
        .await
        .error(400);
    app.put("/changepassword").send().await.error(401);
    app.put("/changepassword")
        .token(&t)
        .json(&json!({"oldpassword": PASSWORD, "newpassword": "via-body"}))
        .send()
        .await
        .ok(200);
    app.login("ana", "via-body").await.ok(200);
}

#[tokio::test]
async fn forged_expired_and_malformed_tokens_are_refused() {
    use base64::Engine;
    let app = TestApp::new();
    let t = app.user("ana").await;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let parts: Vec<&str> = t.split('.').collect();
    // alg=none with the genuine claims
    let none = format!(
        "{}.{}.",
        b64.encode(br#"{"alg":"none","typ":"JWT"}"#),
        parts[1]
    );
    // claims changed to an admin / other user, signature kept
    let mut claims: serde_json::Value =
        serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
    claims["sub"] = json!("999");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64.encode(claims.to_string()),
        parts[2]
    );
    // signed with another key
    let other = TestApp::new();
    let foreign = other.user("ana").await;
    for bad in [
        none.as_str(),
        tampered.as_str(),
        foreign.as_str(),
        "garbage",
        "",
    ] {
        app.get("/dmps").token(bad).send().await.error(401);
    }
    app.get("/dmps")
        .header("Authorization", "Token abc")
        .send()
        .await
        .error(401);
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    let settings = dmptool::service::Settings {
        access_ttl: 1,
        ..Default::default()
    };
    let app = TestApp::with(
        settings,
        dmptool::api::middleware::AllowedOrigins::Any,
        1 << 20,
    );
    let t = app.user("ana").await;
    app.get("/dmps").token(&t).send().await.ok(200);
    // Past the lifetime and the 5 s leeway by the services' clock (no sleeping).
    app.settings
        .clock
        .advance(std::time::Duration::from_secs(7));
    let msg = app.get("/dmps").token(&t).send().await.error(401);
    assert!(msg.contains("expired"), "{msg}");
}

#[tokio::test]
async fn a_deleted_users_tokens_stop_working() {
    let app = TestApp::new();
    let t = app.user("ana").await;
    app.dmp(&t, &json!({"name": "x"})).await;
    app.services.delete_user("ana").unwrap();
    app.get("/dmps").token(&t).send().await.error(401);
    app.assert_consistent();
}

#[tokio::test]
async fn first_start_creates_one_admin() {
    let app = TestApp::new();
    let admin = app.services.ensure_initial_admin(None).unwrap().unwrap();
    let pw = admin.generated_password.unwrap();
    assert!(pw.len() >= 16);
    assert!(app.services.ensure_initial_admin(None).unwrap().is_none());
    let v = app.login("admin", &pw).await.ok(200);
    assert_eq!(v["admin"], true);
}

#[tokio::test]
async fn behind_a_trusted_proxy_one_clients_failures_do_not_block_another() {
    use base64::Engine;
    let app = TestApp::new();
    app.create_user("ana", false);
    let basic = |pw: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("ana:{pw}"))
        )
    };
    let from = |ip: &str, pw: &str| {
        app.get("/login")
            .header("Authorization", &basic(pw))
            .header("X-Forwarded-For", &format!("203.0.113.9, {ip}"))
    };
    for _ in 0..6 {
        from("198.51.100.1", "guess").send().await.error(401);
    }
    from("198.51.100.1", PASSWORD).send().await.error(429);
    // Another client (as the proxy reports it) logs in as usual.
    from("198.51.100.2", PASSWORD).send().await.ok(200);
}

#[tokio::test]
async fn look_alike_usernames_cannot_be_created_and_log_in_as_the_one_account() {
    let app = TestApp::new();
    let admin = app.admin("admin").await;
    app.create_user("alice", false);
    for alike in [
        "ADMIN",
        "Admin",
        "\u{ff41}\u{ff44}\u{ff4d}\u{ff49}\u{ff4e}",
        "ALICE",
    ] {
        let msg = app
            .post("/admin/users")
            .token(&admin)
            .json(&json!({"username": alike, "email": "x@example.org", "password": "pw-x"}))
            .send()
            .await
            .error(409);
        assert!(msg.contains("same name"), "{alike}: {msg}");
    }
    // A Cyrillic а among Latin letters is refused outright.
    let msg = app
        .post("/admin/users")
        .token(&admin)
        .json(&json!({"username": "\u{430}lice", "email": "x@example.org", "password": "pw-x"}))
        .send()
        .await
        .error(400);
    assert!(msg.contains("mixes scripts"), "{msg}");
    // Login takes the same folded form: ALICE is alice, with alice's password only.
    let v = app.login("ALICE", PASSWORD).await.ok(200);
    assert_eq!(v["username"], "alice");
    app.login("\u{ff41}lice", PASSWORD).await.ok(200);
    app.login("ALICE", "wrong").await.error(401);
    app.assert_consistent();
}

#[tokio::test]
async fn a_login_with_a_name_no_account_can_have_is_refused_before_any_work() {
    let app = TestApp::new();
    app.create_user("ana", false);
    // Over 64 characters (and under the request-head limit, which refuses far longer ones).
    let long = "a".repeat(3_000);
    let msg = app.login(&long, PASSWORD).await.error(400);
    assert!(msg.contains("at most 64"), "{msg}");
    let msg = app.login("a b", PASSWORD).await.error(400);
    assert!(msg.contains("letters, digits"), "{msg}");
    // Refused names leave no throttle state: many of them, then the real user gets in.
    for i in 0..50 {
        app.login(&format!("{long}{i}"), "x").await.error(400);
    }
    app.login("ana", PASSWORD).await.ok(200);
}

#[tokio::test]
async fn changing_a_password_needs_the_current_one_and_a_wrong_one_changes_nothing() {
    let app = TestApp::new();
    let t = app.user("ana").await;
    // A stolen token alone: no current password.
    let msg = app
        .put("/changepassword")
        .token(&t)
        .header("newpassword", "taken-over")
        .send()
        .await
        .error(403);
    assert!(msg.contains("current password"), "{msg}");
    // A wrong current password, as header and as field.
    let msg = app
        .put("/changepassword")
        .token(&t)
        .header("oldpassword", "guess")
        .header("newpassword", "taken-over")
        .send()
        .await
        .error(403);
    assert!(msg.contains("wrong"), "{msg}");
    app.put("/changepassword")
        .token(&t)
        .json(&json!({"oldpassword": "guess", "newpassword": "taken-over"}))
        .send()
        .await
        .error(403);
    // Nothing changed: the old password works, the token too, the new one does not.
    app.login("ana", "taken-over").await.error(401);
    app.login("ana", PASSWORD).await.ok(200);
    app.get("/dmps").token(&t).send().await.ok(200);
    // Guessing the current password through this route is throttled like logins.
    let mut throttled = false;
    for _ in 0..10 {
        let r = app
            .put("/changepassword")
            .token(&t)
            .header("oldpassword", "guess")
            .header("newpassword", "taken-over")
            .send()
            .await;
        if r.status == 429 {
            throttled = true;
            break;
        }
        r.error(403);
    }
    assert!(
        throttled,
        "guesses of the current password are not throttled"
    );
}

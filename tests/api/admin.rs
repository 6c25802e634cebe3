use serde_json::json;

use crate::support::TestApp;

#[tokio::test]
async fn non_admins_get_403_on_every_admin_route() {
    let app = TestApp::new();
    let t = app.user("ana").await;
    let body = json!({"username": "x", "email": "x@example.org", "password": "p", "name": "n", "confirm": "delete everything"});
    for (m, p) in [
        ("GET", "/admin/users"),
        ("POST", "/admin/users"),
        ("DELETE", "/admin/users/ana"),
        ("PUT", "/admin/users/ana/password"),
        ("GET", "/admin/projects"),
        ("POST", "/admin/projects"),
        ("DELETE", "/admin/projects/p"),
        ("PUT", "/admin/projects/p/members/ana"),
        ("DELETE", "/admin/projects/p/members/ana"),
        ("GET", "/admin/backup"),
        ("POST", "/admin/reset"),
    ] {
        let method = poem::http::Method::from_bytes(m.as_bytes()).unwrap();
        let r = app
            .req(method.clone(), p)
            .token(&t)
            .json(&body)
            .send()
            .await;
        r.error(403);
        app.req(method, p).json(&body).send().await.error(401);
    }
    assert_eq!(
        app.services.list_users().unwrap().len(),
        1,
        "nothing changed"
    );
}

#[tokio::test]
async fn admins_manage_users_projects_and_members() {
    let app = TestApp::new();
    let root = app.admin("root").await;
    let r = app
        .post("/admin/users")
        .token(&root)
        .json(&json!({"username": "ana", "email": "ana@example.org", "password": "pw-ana"}))
        .send()
        .await;
    r.ok(201);
    app.post("/admin/users")
        .token(&root)
        .json(&json!({"username": "ana", "email": "ana@example.org", "password": "x"}))
        .send()
        .await
        .error(409);
    app.post("/admin/users")
        .token(&root)
        .json(&json!({"username": "bob", "email": "not-an-email", "password": "x"}))
        .send()
        .await
        .error(400);
    app.post("/admin/projects")
        .token(&root)
        .json(&json!({"name": "azotea", "description": "sky"}))
        .send()
        .await
        .ok(201);
    app.post("/admin/projects")
        .token(&root)
        .json(&json!({"name": "azotea"}))
        .send()
        .await
        .error(409);
    app.put("/admin/projects/azotea/members/ana")
        .token(&root)
        .send()
        .await
        .ok(200);
    app.put("/admin/projects/azotea/members/ana")
        .token(&root)
        .send()
        .await
        .error(409);
    app.put("/admin/projects/nope/members/ana")
        .token(&root)
        .send()
        .await
        .error(404);
    let users = app.get("/admin/users").token(&root).send().await.ok(200);
    let ana = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "ana")
        .unwrap();
    assert_eq!(ana["projects"], json!(["azotea"]));
    assert!(ana.get("password_hash").is_none());
    let projects = app.get("/admin/projects").token(&root).send().await.ok(200);
    assert_eq!(projects[0]["members"], 1);

    let v = app.login("ana", "pw-ana").await.ok(200);
    let ana_token = v["access_token"].as_str().unwrap().to_owned();
    app.put("/admin/users/ana/password")
        .token(&root)
        .json(&json!({"password": "changed"}))
        .send()
        .await
        .ok(200);
    app.get("/dmps").token(&ana_token).send().await.error(401);
    app.login("ana", "changed").await.ok(200);

    app.delete("/admin/projects/azotea/members/ana")
        .token(&root)
        .send()
        .await
        .ok(200);
    app.delete("/admin/projects/azotea/members/ana")
        .token(&root)
        .send()
        .await
        .error(404);
    app.delete("/admin/projects/azotea")
        .token(&root)
        .send()
        .await
        .ok(200);
    app.delete("/admin/users/ana")
        .token(&root)
        .send()
        .await
        .ok(200);
    app.delete("/admin/users/ana")
        .token(&root)
        .send()
        .await
        .error(404);
    app.assert_consistent();
}

#[tokio::test]
async fn backup_over_http_is_a_database_file_and_reset_needs_confirmation() {
    let app = TestApp::new();
    let root = app.admin("root").await;
    let t = app.user("ana").await;
    app.dmp(&t, &json!({"name": "kept"})).await;
    let r = app.get("/admin/backup").token(&root).send().await;
    assert_eq!(r.status.as_u16(), 200);
    assert!(r.header("content-disposition").unwrap().contains(".redb"));
    let file = app.dir.path().join("copy.redb");
    std::fs::write(&file, &r.bytes).unwrap();
    let copy = dmptool::store::Store::open(&file).unwrap();
    let problems = copy.read(dmptool::store::integrity::check).unwrap();
    assert!(problems.is_empty());
    assert_eq!(copy.read(dmptool::store::users::count).unwrap(), 2);

    app.post("/admin/reset")
        .token(&root)
        .json(&json!({"confirm": "yes"}))
        .send()
        .await
        .error(400);
    let v = app
        .post("/admin/reset")
        .token(&root)
        .json(&json!({"confirm": "delete everything"}))
        .send()
        .await
        .ok(200);
    assert_eq!(v["users"], 2);
    assert_eq!(v["dmps"], 1);
    app.get("/dmps").token(&root).send().await.error(401);
    app.assert_consistent();
}

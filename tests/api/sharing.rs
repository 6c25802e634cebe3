//! Plans written together: sharing under roles, revisions, If-Match, and the matrix of every
//! plan route × every role, generated from the OpenAPI document.

use poem::http::Method;
use serde_json::{Value, json};

use crate::support::TestApp;

/// What a route needs of its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Need {
    Viewer,
    Commenter,
    Editor,
    Owner,
    /// The owner or an administrator (who change who has access).
    Manage,
}

/// The callers of the matrix, from none to administrator.
const CALLERS: [&str; 6] = ["stranger", "viewer", "commenter", "editor", "owner", "root"];

/// Every operation with a plan in its path, the role it needs, and a body and query that
/// make it succeed. An operation missing here fails the matrix.
fn rule(op: &str) -> Option<(Need, Option<Value>, &'static str)> {
    Some(match op {
        "getDmp" | "getDmpAccess" | "listRevisions" | "exportMadmp" | "getDMP" => {
            (Need::Viewer, None, "")
        }
        "getRevision" => (Need::Viewer, None, ""),
        "diffRevisions" => (Need::Viewer, None, "?from=1&to=2"),
        "updateDmp" => (Need::Editor, Some(json!({"name": "changed"})), ""),
        "restoreRevision" => (Need::Editor, None, ""),
        "putDMP" => (Need::Editor, Some(Value::Null), ""),
        "deleteDmp" | "deleteDMP" => (Need::Owner, None, ""),
        "shareDmpWithUser" | "shareDmpWithProject" => {
            (Need::Manage, Some(json!({"role": "viewer"})), "")
        }
        "unshareDmpWithUser" | "unshareDmpWithProject" => (Need::Manage, None, ""),
        "transferDmp" => (Need::Manage, Some(json!({"username": "friend"})), ""),
        "listDmpComments" | "getDmpActivity" => (Need::Viewer, None, ""),
        "addDmpComment" | "replyToDmpComment" => {
            (Need::Commenter, Some(json!({"text": "a comment"})), "")
        }
        "resolveDmpComment" => (Need::Commenter, Some(json!({"resolved": true})), ""),
        // The comment `{cid}` is the owner's: only they (its author) and an administrator.
        "deleteDmpComment" => (Need::Manage, None, ""),
        _ => return None,
    })
}

struct World {
    app: TestApp,
    tokens: Vec<(&'static str, String)>,
}

impl World {
    async fn new() -> Self {
        let app = TestApp::new();
        let mut tokens = Vec::new();
        for name in CALLERS {
            let t = if name == "root" {
                app.admin(name).await
            } else {
                app.user(name).await
            };
            tokens.push((name, t));
        }
        app.create_user("friend", false);
        app.services.create_project("lab", "").unwrap();
        app.services.add_member("friend", "lab").unwrap();
        Self { app, tokens }
    }

    fn token(&self, name: &str) -> &str {
        &self.tokens.iter().find(|(n, _)| *n == name).unwrap().1
    }

    /// A plan of the owner's at revision 2, shared with the viewer, commenter and editor
    /// (and the lab project, as viewer).
    async fn plan(&self) -> String {
        let owner = self.token("owner");
        let id = self
            .app
            .dmp(
                owner,
                &json!({"name": "Shared plan", "purpose": "first words"}),
            )
            .await;
        self.app
            .put(&format!("/dmps/{id}"))
            .token(owner)
            .json(&json!({"purpose": "second words"}))
            .send()
            .await
            .ok(200);
        for (who, role) in [
            ("viewer", "viewer"),
            ("commenter", "commenter"),
            ("editor", "editor"),
        ] {
            self.app
                .put(&format!("/dmps/{id}/access/users/{who}"))
                .token(owner)
                .json(&json!({"role": role}))
                .send()
                .await
                .ok(201);
        }
        self.app
            .put(&format!("/dmps/{id}/access/projects/lab"))
            .token(owner)
            .json(&json!({"role": "viewer"}))
            .send()
            .await
            .ok(201);
        id
    }
}

/// What each caller may do: their role on the plan, and whether they manage its access.
fn allowed(caller: &str, need: Need) -> Option<bool> {
    let role = match caller {
        "stranger" => return None,
        "viewer" | "root" => Need::Viewer,
        "commenter" => Need::Commenter,
        "editor" => Need::Editor,
        _ => Need::Owner,
    };
    Some(match need {
        Need::Manage => role == Need::Owner || caller == "root",
        n => role >= n,
    })
}

#[tokio::test]
async fn every_plan_route_answers_each_role_as_its_rule_says() {
    let w = World::new().await;
    let mut checked = 0;
    for doc in ["/openapi.json", "/rda/openapi.json"] {
        let spec = w.app.get(doc).send().await.ok(200);
        for (path, ops) in spec["paths"].as_object().unwrap() {
            let Some(rest) = path
                .strip_prefix("/dmps/{id}")
                .or_else(|| path.strip_prefix("/rda/dmps/{id}"))
            else {
                continue;
            };
            let rda = path.starts_with("/rda/");
            for (method, op) in ops.as_object().unwrap() {
                let Ok(m) = method.to_uppercase().parse::<Method>() else {
                    continue;
                };
                let op_id = op["operationId"].as_str().unwrap();
                let (need, body, query) = rule(op_id).unwrap_or_else(|| {
                    panic!("{method} {path} ({op_id}) has no rule in the sharing matrix")
                });
                for caller in CALLERS {
                    let id = w.plan().await;
                    let cid = if rest.contains("{cid}") {
                        w.app
                            .post(&format!("/dmps/{id}/comments"))
                            .token(w.token("owner"))
                            .json(&json!({"text": "the owner's comment"}))
                            .send()
                            .await
                            .ok(201)["id"]
                            .as_str()
                            .unwrap()
                            .to_owned()
                    } else {
                        String::new()
                    };
                    let filled =
                        format!("{}{}{query}", if rda { "/rda/dmps/" } else { "/dmps/" }, id)
                            + &rest
                                .replace(
                                    "{username}",
                                    if m == Method::DELETE {
                                        "viewer"
                                    } else {
                                        "friend"
                                    },
                                )
                                .replace("{name}", "lab")
                                .replace("{cid}", &cid)
                                .replace("{n}", "1");
                    let body = match &body {
                        // A maDMP document of the plan itself, as its owner reads it.
                        Some(Value::Null) => Some(
                            w.app
                                .get(&format!("/rda/dmps/{id}"))
                                .token(w.token("owner"))
                                .send()
                                .await
                                .ok(200),
                        ),
                        other => other.clone(),
                    };
                    let mut req = w.app.req(m.clone(), &filled).token(w.token(caller));
                    if let Some(b) = &body {
                        req = req.json(b);
                    }
                    let r = req.send().await;
                    let status = r.status.as_u16();
                    let what = format!("{method} {filled} ({op_id}) as {caller}");
                    match allowed(caller, need) {
                        None => assert_eq!(status, 404, "{what}: {}", r.text()),
                        Some(true) => {
                            assert!(
                                (200..300).contains(&status),
                                "{what}: {status} {}",
                                r.text()
                            )
                        }
                        Some(false) => {
                            assert_eq!(status, 403, "{what}: {}", r.text());
                            let v = r.json();
                            let msg = v["error"]
                                .as_str()
                                .or(v["error_message"].as_str())
                                .unwrap_or_default()
                                .to_owned();
                            assert!(
                                msg.contains("role") || msg.contains("owner"),
                                "{what}: the refusal names the role needed: {msg}"
                            );
                        }
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 18 * CALLERS.len(), "only {checked} checks");

    // Documents: a task for the plan needs a viewer; its files follow the plan's access.
    let id = w.plan().await;
    for caller in CALLERS {
        let r = w
            .app
            .post("/tasks")
            .token(w.token(caller))
            .json(&json!({"dmp": id}))
            .send()
            .await;
        let want = if caller == "stranger" { 404 } else { 201 };
        assert_eq!(
            r.status.as_u16(),
            want,
            "POST /tasks as {caller}: {}",
            r.text()
        );
    }
}

#[tokio::test]
async fn a_plan_is_shared_edited_with_if_match_diffed_and_restored() {
    let app = TestApp::new();
    let ana = app.user("ana").await;
    let ben = app.user("ben").await;
    let id = app
        .dmp(
            &ana,
            &json!({"name": "Soil study", "purpose": "We measure soil carbon."}),
        )
        .await;
    // Not shared yet: ben is told it does not exist.
    app.get(&format!("/dmps/{id}"))
        .token(&ben)
        .send()
        .await
        .error(404);
    let r = app
        .put(&format!("/dmps/{id}/access/users/ben"))
        .token(&ana)
        .json(&json!({"role": "editor"}))
        .send()
        .await;
    let access = r.ok(201);
    assert_eq!(access["owner"], "ana");
    assert_eq!(
        access["grants"],
        json!([{"kind": "user", "name": "ben", "role": "editor"}])
    );
    // Ben reads it with its ETag and sees his role.
    let r = app.get(&format!("/dmps/{id}")).token(&ben).send().await;
    let etag = r.header("etag").unwrap().to_owned();
    assert_eq!(r.ok(200)["role"], "editor");
    assert_eq!(etag, format!("\"{id}-1\""));
    // Ana changes the plan; Ben's write with the old ETag is refused, writing nothing.
    let r = app
        .put(&format!("/dmps/{id}"))
        .token(&ana)
        .json(&json!({"purpose": "We measure soil carbon and nitrogen."}))
        .send()
        .await;
    assert_eq!(r.header("etag"), Some(format!("\"{id}-2\"").as_str()));
    let v = r.ok(200);
    assert_eq!(
        (v["revision"].clone(), v["replaced"].clone()),
        (json!(2), json!(1))
    );
    let r = app
        .put(&format!("/dmps/{id}"))
        .token(&ben)
        .header("If-Match", &etag)
        .json(&json!({"purpose": "Ben's words."}))
        .send()
        .await;
    assert_eq!(r.status.as_u16(), 412, "{}", r.text());
    let v = r.json();
    assert_eq!(v["revision"], 2);
    assert_eq!(v["changed"], json!(["purpose"]));
    assert!(v["error"].as_str().unwrap().contains("revision 1"));
    let now = app
        .get(&format!("/dmps/{id}"))
        .token(&ben)
        .send()
        .await
        .ok(200);
    assert_eq!(now["purpose"], "We measure soil carbon and nitrogen.");
    assert_eq!(now["_version"], 2);
    // With the current ETag it goes through.
    let r = app
        .put(&format!("/dmps/{id}"))
        .token(&ben)
        .header("If-Match", &format!("\"{id}-2\""))
        .json(&json!({"purpose": "We measure soil carbon, nitrogen and water."}))
        .send()
        .await;
    r.ok(200);
    // The history: newest first, with authors and what changed.
    let r = app
        .get(&format!("/dmps/{id}/revisions"))
        .token(&ana)
        .send()
        .await;
    assert_eq!(r.header("x-total-count"), Some("3"));
    let revs = r.ok(200);
    let authors: Vec<&str> = revs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["author"].as_str().unwrap())
        .collect();
    assert_eq!(authors, ["ben", "ana", "ana"]);
    assert_eq!(revs[0]["changed"], json!(["purpose"]));
    assert_eq!(revs[0]["number"], 3);
    assert_eq!(revs[2]["via"], "api");
    // The diff from 1 to 3 shows the words inserted.
    let d = app
        .get(&format!("/dmps/{id}/diff?from=1&to=3"))
        .token(&ben)
        .send()
        .await
        .ok(200);
    let change = &d["changes"][0];
    assert_eq!(change["pointer"], "/purpose");
    assert_eq!(change["op"], "changed");
    let inserted: String = change["words"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["op"] == "inserted")
        .map(|r| r["text"].as_str().unwrap())
        .collect();
    assert!(inserted.contains("nitrogen"), "{d}");
    // Revision 1 as it was, and a restore that makes revision 4 of it.
    let one = app
        .get(&format!("/dmps/{id}/revisions/1"))
        .token(&ben)
        .send()
        .await
        .ok(200);
    assert_eq!(one["document"]["purpose"], "We measure soil carbon.");
    let r = app
        .post(&format!("/dmps/{id}/revisions/1/restore"))
        .token(&ben)
        .send()
        .await;
    let v = r.ok(200);
    assert_eq!(
        (v["revision"].clone(), v["replaced"].clone()),
        (json!(4), json!(3))
    );
    let now = app
        .get(&format!("/dmps/{id}"))
        .token(&ana)
        .send()
        .await
        .ok(200);
    assert_eq!(now["purpose"], "We measure soil carbon.");
    let revs = app
        .get(&format!("/dmps/{id}/revisions?limit=1"))
        .token(&ana)
        .send()
        .await
        .ok(200);
    assert_eq!(revs[0]["restored_from"], 1);
    assert_eq!(revs[0]["via"], "restore");
    // An old revision renders.
    let t = app
        .post("/tasks")
        .token(&ben)
        .json(&json!({"dmp": id, "revision": 2}))
        .send()
        .await;
    t.ok(201);
    app.post("/tasks")
        .token(&ben)
        .json(&json!({"dmp": id, "revision": 99}))
        .send()
        .await
        .error(404);
    app.get(&format!("/dmps/{id}/revisions/99"))
        .token(&ben)
        .send()
        .await
        .error(404);
    // Ben may not share, delete or transfer it.
    app.put(&format!("/dmps/{id}/access/users/ana"))
        .token(&ben)
        .json(&json!({"role": "viewer"}))
        .send()
        .await
        .error(403);
    app.delete(&format!("/dmps/{id}"))
        .token(&ben)
        .send()
        .await
        .error(403);
    app.assert_consistent();
}

#[tokio::test]
async fn the_own_list_is_unchanged_and_include_shared_adds_only_granted_plans_with_roles() {
    let app = TestApp::new();
    let ana = app.user("ana").await;
    let ben = app.user("ben").await;
    let cai = app.user("cai").await;
    let mine = app.dmp(&ben, &json!({"name": "ben's"})).await;
    let shared = app.dmp(&ana, &json!({"name": "shared"})).await;
    let through_project = app.dmp(&cai, &json!({"name": "project"})).await;
    let private = app.dmp(&ana, &json!({"name": "private"})).await;
    app.put(&format!("/dmps/{shared}/access/users/ben"))
        .token(&ana)
        .json(&json!({"role": "commenter"}))
        .send()
        .await
        .ok(201);
    app.services.create_project("lab", "").unwrap();
    app.services.add_member("ben", "lab").unwrap();
    app.put(&format!("/dmps/{through_project}/access/projects/lab"))
        .token(&cai)
        .json(&json!({"role": "viewer"}))
        .send()
        .await
        .ok(201);
    // The list the existing frontend reads: only ben's own, no role field.
    let own = app.get("/dmps").token(&ben).send().await.ok(200);
    assert_eq!(own.as_array().unwrap().len(), 1);
    assert_eq!(own[0]["_id"], mine.as_str());
    assert!(own[0].get("role").is_none());
    let r = app.get("/dmps?include=shared").token(&ben).send().await;
    assert_eq!(r.header("x-total-count"), Some("3"));
    let all = r.ok(200);
    let seen: Vec<(String, String)> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["_id"].as_str().unwrap().to_owned(),
                d["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(seen.contains(&(mine.clone(), "owner".into())));
    assert!(seen.contains(&(shared.clone(), "commenter".into())));
    assert!(seen.contains(&(through_project.clone(), "viewer".into())));
    assert!(!seen.iter().any(|(id, _)| *id == private));
    // Paging across own and shared.
    let r = app
        .get("/dmps?include=shared&offset=1&limit=1")
        .token(&ben)
        .send()
        .await;
    assert!(r.header("link").unwrap().contains("include=shared"));
    assert_eq!(r.ok(200).as_array().unwrap().len(), 1);
    // A viewer cannot read another plan of the same owner.
    app.get(&format!("/dmps/{private}"))
        .token(&ben)
        .send()
        .await
        .error(404);
    app.get(&format!("/dmps/{private}/revisions"))
        .token(&ben)
        .send()
        .await
        .error(404);
    // Leaving the project takes its plans away at once, with the token already issued.
    app.services.remove_member("ben", "lab").unwrap();
    app.get(&format!("/dmps/{through_project}"))
        .token(&ben)
        .send()
        .await
        .error(404);
    let all = app
        .get("/dmps?include=shared")
        .token(&ben)
        .send()
        .await
        .ok(200);
    assert_eq!(all.as_array().unwrap().len(), 2);
    // So does deleting the project (after rejoining), and unsharing.
    app.services.add_member("ben", "lab").unwrap();
    app.get(&format!("/dmps/{through_project}"))
        .token(&ben)
        .send()
        .await
        .ok(200);
    app.services.delete_project("lab").unwrap();
    app.get(&format!("/dmps/{through_project}"))
        .token(&ben)
        .send()
        .await
        .error(404);
    app.delete(&format!("/dmps/{shared}/access/users/ben"))
        .token(&ana)
        .send()
        .await
        .ok(200);
    app.get(&format!("/dmps/{shared}"))
        .token(&ben)
        .send()
        .await
        .error(404);
    app.delete(&format!("/dmps/{shared}/access/users/ben"))
        .token(&ana)
        .send()
        .await
        .error(404);
    let all = app
        .get("/dmps?include=shared")
        .token(&ben)
        .send()
        .await
        .ok(200);
    assert_eq!(all.as_array().unwrap().len(), 1);
    app.assert_consistent();
}

#[tokio::test]
async fn deleting_a_user_takes_their_grants_and_a_transfer_moves_the_plan() {
    let app = TestApp::new();
    let ana = app.user("ana").await;
    let ben = app.user("ben").await;
    app.create_user("dora", false);
    let id = app.dmp(&ana, &json!({"name": "p"})).await;
    app.put(&format!("/dmps/{id}/access/users/dora"))
        .token(&ana)
        .json(&json!({"role": "editor"}))
        .send()
        .await
        .ok(201);
    // A role that is not grantable, a user that does not exist, the owner themself.
    app.put(&format!("/dmps/{id}/access/users/ben"))
        .token(&ana)
        .json(&json!({"role": "owner"}))
        .send()
        .await
        .error(400);
    app.put(&format!("/dmps/{id}/access/users/nobody"))
        .token(&ana)
        .json(&json!({"role": "viewer"}))
        .send()
        .await
        .error(404);
    app.put(&format!("/dmps/{id}/access/users/ana"))
        .token(&ana)
        .json(&json!({"role": "viewer"}))
        .send()
        .await
        .error(409);
    app.services.delete_user("dora").unwrap();
    let access = app
        .get(&format!("/dmps/{id}/access"))
        .token(&ana)
        .send()
        .await
        .ok(200);
    assert_eq!(access["grants"], json!([]));
    // Transfer to ben: he owns it (in his own list), ana stays an editor.
    let access = app
        .post(&format!("/dmps/{id}/transfer"))
        .token(&ana)
        .json(&json!({"username": "ben"}))
        .send()
        .await
        .ok(200);
    assert_eq!(access["owner"], "ben");
    assert_eq!(
        access["grants"],
        json!([{"kind": "user", "name": "ana", "role": "editor"}])
    );
    let bens = app.get("/dmps").token(&ben).send().await.ok(200);
    assert_eq!(bens[0]["_id"], id.as_str());
    assert_eq!(bens[0]["user"], "ben");
    assert_eq!(app.get("/dmps").token(&ana).send().await.ok(200), json!([]));
    app.put(&format!("/dmps/{id}"))
        .token(&ana)
        .json(&json!({"name": "still writing"}))
        .send()
        .await
        .ok(200);
    app.delete(&format!("/dmps/{id}"))
        .token(&ana)
        .send()
        .await
        .error(403);
    app.delete(&format!("/dmps/{id}"))
        .token(&ben)
        .send()
        .await
        .ok(200);
    app.assert_consistent();
}

#[tokio::test]
async fn a_write_that_changes_nothing_makes_no_revision() {
    let app = TestApp::new();
    let ana = app.user("ana").await;
    let id = app
        .dmp(&ana, &json!({"name": "p", "purpose": "same"}))
        .await;
    let r = app
        .put(&format!("/dmps/{id}"))
        .token(&ana)
        .json(&json!({"purpose": "same"}))
        .send()
        .await;
    assert_eq!(r.header("etag"), Some(format!("\"{id}-1\"").as_str()));
    let v = r.ok(200);
    assert_eq!(v["revision"], 1);
    assert!(v.get("replaced").is_none(), "{v}");
    let r = app
        .get(&format!("/dmps/{id}/revisions"))
        .token(&ana)
        .send()
        .await;
    assert_eq!(r.header("x-total-count"), Some("1"));
    let doc = app
        .get(&format!("/dmps/{id}"))
        .token(&ana)
        .send()
        .await
        .ok(200);
    assert_eq!(doc["_version"], 1);
    // An empty If-Match names no revision: no condition (as schemathesis sends it).
    let v = app
        .put(&format!("/dmps/{id}"))
        .token(&ana)
        .header("If-Match", "")
        .json(&json!({"purpose": "changed"}))
        .send()
        .await
        .ok(200);
    assert_eq!(v["revision"], 2);
    app.post(&format!("/dmps/{id}/revisions/1/restore"))
        .token(&ana)
        .header("If-Match", " , ")
        .send()
        .await
        .ok(200);
    // An empty anchor filter filters nothing; a revision number past any is 404, not 400.
    app.get(&format!("/dmps/{id}/comments?anchor="))
        .token(&ana)
        .send()
        .await
        .ok(200);
    app.get(&format!("/dmps/{id}/revisions/999999999999"))
        .token(&ana)
        .send()
        .await
        .error(404);
}

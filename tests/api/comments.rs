//! Comments on a plan (threads, replies, resolve, delete) and the plan's activity.

use serde_json::{Value, json};

use crate::support::TestApp;

/// Gives `user` `role` on plan `id` (as its owner, `owner`).
async fn share(app: &TestApp, owner: &str, id: &str, user: &str, role: &str) {
    app.put(&format!("/dmps/{id}/access/users/{user}"))
        .token(owner)
        .json(&json!({ "role": role }))
        .send()
        .await
        .ok(201);
}

async fn comment(app: &TestApp, token: &str, id: &str, body: Value) -> Value {
    app.post(&format!("/dmps/{id}/comments"))
        .token(token)
        .json(&body)
        .send()
        .await
        .ok(201)
}

async fn reply(app: &TestApp, token: &str, id: &str, cid: &str, text: &str) -> Value {
    app.post(&format!("/dmps/{id}/comments/{cid}/replies"))
        .token(token)
        .json(&json!({ "text": text }))
        .send()
        .await
        .ok(201)
}

async fn threads(app: &TestApp, token: &str, path: &str) -> Vec<Value> {
    app.get(path)
        .token(token)
        .send()
        .await
        .ok(200)
        .as_array()
        .unwrap()
        .clone()
}

fn plan() -> Value {
    json!({
        "name": "Sky plan",
        "datasets": [{"id": "photometry", "title": "Photometry"}],
        "answers": {"own_question": "Our own words."}
    })
}

#[tokio::test]
async fn a_commenter_comments_on_a_question_and_replies_in_its_thread() {
    let app = TestApp::new();
    let ana = app.user("ana").await;
    let bob = app.user("bob").await;
    let id = app.dmp(&ana, &plan()).await;
    share(&app, &ana, &id, "bob", "commenter").await;

    let first = comment(
        &app,
        &bob,
        &id,
        json!({"text": "  Which **repository**?\n", "question": "purpose"}),
    )
    .await;
    assert_eq!(first["author"], "bob");
    assert_eq!(first["anchor"], "question");
    assert_eq!(first["question"], "purpose");
    assert_eq!(
        first["text"], "Which **repository**?",
        "trimmed, Markdown kept"
    );
    assert_eq!(first["revision"], 1);
    assert_eq!(first["resolved"], false);
    assert!(first.get("thread").is_none());
    let created = first["created"].as_str().unwrap();
    assert!(created.ends_with('Z') && created.contains('T'), "{created}");
    let cid = first["id"].as_str().unwrap();

    let r1 = reply(&app, &ana, &id, cid, "Zenodo.").await;
    assert_eq!(r1["thread"], cid);
    assert_eq!(r1["anchor"], "question");
    assert_eq!(r1["question"], "purpose");
    // A reply to a reply joins the same thread.
    let r2 = reply(&app, &bob, &id, r1["id"].as_str().unwrap(), "Thanks").await;
    assert_eq!(r2["thread"], cid);

    // A dataset, an answer key that is not a template question, the plan itself.
    let on_dataset = comment(
        &app,
        &bob,
        &id,
        json!({"text": "Size?", "dataset": "photometry"}),
    )
    .await;
    assert_eq!(on_dataset["anchor"], "dataset");
    assert_eq!(on_dataset["dataset"], "photometry");
    comment(
        &app,
        &bob,
        &id,
        json!({"text": "ok", "question": "own_question"}),
    )
    .await;
    let on_plan = comment(&app, &ana, &id, json!({"text": "Overall fine"})).await;
    assert_eq!(on_plan["anchor"], "plan");

    let all = threads(&app, &bob, &format!("/dmps/{id}/comments")).await;
    assert_eq!(all.len(), 4, "{all:#?}");
    assert_eq!(all[0]["id"], cid, "oldest first");
    let replies: Vec<&Value> = all[0]["replies"].as_array().unwrap().iter().collect();
    assert_eq!(replies.len(), 2);
    assert_eq!(replies[0]["text"], "Zenodo.");
    assert_eq!(replies[1]["text"], "Thanks");
    assert_eq!(replies[0]["author"], "ana");

    let only = threads(
        &app,
        &bob,
        &format!("/dmps/{id}/comments?anchor=question:purpose"),
    )
    .await;
    assert_eq!(only.len(), 1);
    assert_eq!(only[0]["id"], cid);
    let only = threads(&app, &bob, &format!("/dmps/{id}/comments?anchor=plan")).await;
    assert_eq!(only.len(), 1);
    assert_eq!(only[0]["text"], "Overall fine");
    let only = threads(
        &app,
        &bob,
        &format!("/dmps/{id}/comments?anchor=dataset:photometry"),
    )
    .await;
    assert_eq!(only.len(), 1);
    let e = app
        .get(&format!("/dmps/{id}/comments?anchor=answer:x"))
        .token(&bob)
        .send()
        .await
        .error(400);
    // Refused by the parameter's documented pattern, naming the parameter.
    assert!(e.contains("anchor"), "{e}");

    // What a comment may be about, and its text.
    for (body, needle) in [
        (
            json!({"text": "x", "question": "no_such"}),
            "no question 'no_such'",
        ),
        (
            json!({"text": "x", "dataset": "nope"}),
            "no dataset with id 'nope'",
        ),
        (
            json!({"text": "x", "question": "purpose", "dataset": "photometry"}),
            "not both",
        ),
        (json!({"text": " \n "}), "needs some text"),
        (json!({"text": "a".repeat(10_001)}), "at most 10000"),
        (json!({"text": "bell \u{7}"}), "U+0007"),
        (json!({"text": 5}), ""),
    ] {
        let e = app
            .post(&format!("/dmps/{id}/comments"))
            .token(&bob)
            .json(&body)
            .send()
            .await
            .error(400);
        assert!(e.contains(needle), "{needle:?} not in {e:?}");
    }
    comment(&app, &bob, &id, json!({"text": "b".repeat(10_000)})).await;
    let e = app
        .post(&format!("/dmps/{id}/comments/{cid}/replies"))
        .token(&bob)
        .json(&json!({"text": ""}))
        .send()
        .await
        .error(400);
    assert!(e.contains("needs some text"), "{e}");
    app.assert_consistent();
}

#[tokio::test]
async fn a_viewer_reads_comments_but_cannot_write_them() {
    let app = TestApp::new();
    let ana = app.user("ana").await;
    let vic = app.user("vic").await;
    let id = app.dmp(&ana, &plan()).await;
    share(&app, &ana, &id, "vic", "viewer").await;
    let c = comment(&app, &ana, &id, json!({"text": "note"})).await;
    let cid = c["id"].as_str().unwrap();

    assert_eq!(
        threads(&app, &vic, &format!("/dmps/{id}/comments"))
            .await
            .len(),
        1
    );
    let e = app
        .post(&format!("/dmps/{id}/comments"))
        .token(&vic)
        .json(&json!({"text": "mine"}))
        .send()
        .await
        .error(403);
    assert!(e.contains("commenter"), "names the role needed: {e}");
    let e = app
        .post(&format!("/dmps/{id}/comments/{cid}/replies"))
        .token(&vic)
        .json(&json!({"text": "mine"}))
        .send()
        .await
        .error(403);
    assert!(e.contains("commenter"), "{e}");
    let e = app
        .put(&format!("/dmps/{id}/comments/{cid}/resolve"))
        .token(&vic)
        .json(&json!({"resolved": true}))
        .send()
        .await
        .error(403);
    assert!(e.contains("commenter"), "{e}");
    let e = app
        .delete(&format!("/dmps/{id}/comments/{cid}"))
        .token(&vic)
        .send()
        .await
        .error(403);
    assert!(e.contains("author (ana) or the plan's owner"), "{e}");
    app.get(&format!("/dmps/{id}/activity"))
        .token(&vic)
        .send()
        .await
        .ok(200);
}

#[tokio::test]
async fn without_a_grant_every_comment_and_activity_route_is_not_found() {
    let app = TestApp::new();
    let ana = app.user("ana").await;
    let eve = app.user("eve").await;
    let id = app.dmp(&ana, &plan()).await;
    let other = app.dmp(&ana, &plan()).await;
    let c = comment(&app, &ana, &id, json!({"text": "note"})).await;
    let cid = c["id"].as_str().unwrap();
    let missing = "0123456789abcdef01234567";

    for dmp in [id.as_str(), missing] {
        let base = format!("/dmps/{dmp}");
        let answers = [
            app.get(&format!("{base}/comments"))
                .token(&eve)
                .send()
                .await,
            app.post(&format!("{base}/comments"))
                .token(&eve)
                .json(&json!({"text": "x"}))
                .send()
                .await,
            app.post(&format!("{base}/comments/{cid}/replies"))
                .token(&eve)
                .json(&json!({"text": "x"}))
                .send()
                .await,
            app.put(&format!("{base}/comments/{cid}/resolve"))
                .token(&eve)
                .json(&json!({"resolved": true}))
                .send()
                .await,
            app.delete(&format!("{base}/comments/{cid}"))
                .token(&eve)
                .send()
                .await,
            app.get(&format!("{base}/activity"))
                .token(&eve)
                .send()
                .await,
        ];
        for r in answers {
            let e = r.error(404);
            assert!(e.contains("no DMP"), "{e}");
        }
    }

    // An unknown comment, or one of another plan, is not found either.
    for (dmp, comment) in [(id.as_str(), missing), (other.as_str(), cid)] {
        let base = format!("/dmps/{dmp}/comments/{comment}");
        let answers = [
            app.post(&format!("{base}/replies"))
                .token(&ana)
                .json(&json!({"text": "x"}))
                .send()
                .await,
            app.put(&format!("{base}/resolve"))
                .token(&ana)
                .json(&json!({"resolved": true}))
                .send()
                .await,
            app.delete(&base).token(&ana).send().await,
        ];
        for r in answers {
            let e = r.error(404);
            assert!(e.contains("no comment"), "{e}");
        }
    }
}

#[tokio::test]
async fn threads_are_resolved_and_reopened() {
    let app = TestApp::new();
    let ana = app.user("ana").await;
    let bob = app.user("bob").await;
    let id = app.dmp(&ana, &plan()).await;
    share(&app, &ana, &id, "bob", "commenter").await;
    let c = comment(&app, &ana, &id, json!({"text": "fix this"})).await;
    let cid = c["id"].as_str().unwrap();
    let r = reply(&app, &bob, &id, cid, "done").await;
    let open = comment(&app, &ana, &id, json!({"text": "still open"})).await;

    // Resolving through a reply resolves its thread.
    let t = app
        .put(&format!(
            "/dmps/{id}/comments/{}/resolve",
            r["id"].as_str().unwrap()
        ))
        .token(&bob)
        .json(&json!({"resolved": true}))
        .send()
        .await
        .ok(200);
    assert_eq!(t["id"], cid);
    assert_eq!(t["resolved"], true);
    assert_eq!(t["resolved_by"], "bob");
    assert!(t["resolved_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(t["replies"].as_array().unwrap().len(), 1);

    let resolved = threads(&app, &ana, &format!("/dmps/{id}/comments?resolved=true")).await;
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0]["id"], cid);
    let unresolved = threads(&app, &ana, &format!("/dmps/{id}/comments?resolved=false")).await;
    assert_eq!(unresolved.len(), 1);
    assert_eq!(unresolved[0]["id"], open["id"]);

    // Resolving again changes nothing; reopening clears who and when.
    app.put(&format!("/dmps/{id}/comments/{cid}/resolve"))
        .token(&ana)
        .json(&json!({"resolved": true}))
        .send()
        .await
        .ok(200);
    let t = app
        .put(&format!("/dmps/{id}/comments/{cid}/resolve"))
        .token(&ana)
        .json(&json!({"resolved": false}))
        .send()
        .await
        .ok(200);
    assert_eq!(t["resolved"], false);
    assert!(t.get("resolved_by").is_none() && t.get("resolved_at").is_none());

    let kinds: Vec<String> = app
        .get(&format!("/dmps/{id}/activity"))
        .token(&ana)
        .send()
        .await
        .ok(200)
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| *k == "resolved").count(),
        1,
        "the second resolve recorded nothing: {kinds:?}"
    );
    assert_eq!(kinds[0], "reopened");
}

#[tokio::test]
async fn comments_are_deleted_by_their_author_or_the_owner_only() {
    let app = TestApp::new();
    let ana = app.user("ana").await;
    let bob = app.user("bob").await;
    let dan = app.user("dan").await;
    let root = app.admin("root").await;
    let id = app.dmp(&ana, &plan()).await;
    share(&app, &ana, &id, "bob", "commenter").await;
    share(&app, &ana, &id, "dan", "editor").await;

    let c = comment(&app, &bob, &id, json!({"text": "first"})).await;
    let cid = c["id"].as_str().unwrap();
    let r1 = reply(&app, &dan, &id, cid, "r1").await;
    let r2 = reply(&app, &bob, &id, cid, "r2").await;

    // Another member (an editor even) may not delete bob's comment.
    let e = app
        .delete(&format!("/dmps/{id}/comments/{cid}"))
        .token(&dan)
        .send()
        .await
        .error(403);
    assert!(
        e.contains("only the comment's author (bob) or the plan's owner"),
        "{e}"
    );
    // The author deletes their reply; only it goes.
    let d = app
        .delete(&format!(
            "/dmps/{id}/comments/{}",
            r2["id"].as_str().unwrap()
        ))
        .token(&bob)
        .send()
        .await
        .ok(200);
    assert_eq!(d["deleted"], 1);
    // The owner deletes the thread: its replies go with it.
    let d = app
        .delete(&format!("/dmps/{id}/comments/{cid}"))
        .token(&ana)
        .send()
        .await
        .ok(200);
    assert_eq!(d["deleted"], 2);
    assert!(
        threads(&app, &ana, &format!("/dmps/{id}/comments"))
            .await
            .is_empty()
    );
    app.delete(&format!(
        "/dmps/{id}/comments/{}",
        r1["id"].as_str().unwrap()
    ))
    .token(&ana)
    .send()
    .await
    .error(404);

    // An administrator may delete anyone's.
    let c = comment(&app, &dan, &id, json!({"text": "again"})).await;
    app.delete(&format!(
        "/dmps/{id}/comments/{}",
        c["id"].as_str().unwrap()
    ))
    .token(&root)
    .send()
    .await
    .ok(200);
    let activity = app
        .get(&format!("/dmps/{id}/activity"))
        .token(&ana)
        .send()
        .await
        .ok(200);
    let first = &activity[0];
    assert_eq!(first["kind"], "comment-deleted");
    assert_eq!(first["actor"], "root");
    app.assert_consistent();
}

#[tokio::test]
async fn a_comment_survives_later_revisions_and_shows_its_revision() {
    let app = TestApp::new();
    let ana = app.user("ana").await;
    let id = app.dmp(&ana, &plan()).await;
    let c = comment(
        &app,
        &ana,
        &id,
        json!({"text": "about the data", "dataset": "photometry"}),
    )
    .await;
    assert_eq!(c["revision"], 1);
    // The edit removes the dataset the comment was about: the comment stays.
    app.put(&format!("/dmps/{id}"))
        .token(&ana)
        .json(&json!({"name": "Renamed", "datasets": []}))
        .send()
        .await
        .ok(200);
    let later = comment(&app, &ana, &id, json!({"text": "after the edit"})).await;
    assert_eq!(later["revision"], 2);
    let all = threads(&app, &ana, &format!("/dmps/{id}/comments")).await;
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["id"], c["id"]);
    assert_eq!(all[0]["revision"], 1);
    assert_eq!(all[0]["dataset"], "photometry");
    assert_eq!(all[1]["revision"], 2);
    // A new comment on the removed dataset is refused.
    app.post(&format!("/dmps/{id}/comments"))
        .token(&ana)
        .json(&json!({"text": "x", "dataset": "photometry"}))
        .send()
        .await
        .error(400);
}

#[tokio::test]
async fn activity_lists_creation_edits_shares_comments_and_documents_newest_first() {
    let app = TestApp::new();
    let ana = app.user("ana").await;
    let bob = app.user("bob").await;
    let id = app.dmp(&ana, &json!({"name": "Plan"})).await;
    app.put(&format!("/dmps/{id}"))
        .token(&ana)
        .json(&json!({"name": "Plan 2", "answers": {"purpose": "Why"}}))
        .send()
        .await
        .ok(200);
    share(&app, &ana, &id, "bob", "commenter").await;
    let c = comment(
        &app,
        &bob,
        &id,
        json!({"text": "Hm", "question": "purpose"}),
    )
    .await;
    let task = app.task(&bob, &id).await;

    let r = app
        .get(&format!("/dmps/{id}/activity"))
        .token(&bob)
        .send()
        .await;
    assert_eq!(r.header("x-total-count"), Some("5"));
    assert_eq!(r.header("link"), None);
    let items = r.ok(200);
    let items = items.as_array().unwrap();
    let kinds: Vec<&str> = items.iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["documents", "commented", "shared", "edited", "created"],
        "{items:#?}"
    );
    let actors: Vec<&str> = items.iter().map(|i| i["actor"].as_str().unwrap()).collect();
    assert_eq!(actors, ["bob", "bob", "ana", "ana", "ana"]);
    assert_eq!(items[0]["detail"]["task"], task.as_str());
    assert_eq!(items[0]["detail"]["revision"], 2);
    assert_eq!(items[1]["detail"]["comment"], c["id"]);
    assert_eq!(items[1]["detail"]["question"], "purpose");
    assert_eq!(
        items[2]["detail"],
        json!({"user": "bob", "role": "commenter"})
    );
    let edited = &items[3];
    assert_eq!(edited["revision"], 2);
    assert_eq!(edited["via"], "api");
    let changed: Vec<&str> = edited["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(changed.contains(&"name"), "{changed:?}");
    assert!(
        changed.iter().any(|c| c.starts_with("answers")),
        "{changed:?}"
    );
    assert!(edited.get("detail").is_none());
    assert_eq!(items[4]["revision"], 1);
    assert_eq!(items[4]["via"], "api");
    let mut times: Vec<&str> = items.iter().map(|i| i["time"].as_str().unwrap()).collect();
    let newest_first = times.clone();
    times.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(times, newest_first);
}

#[tokio::test]
async fn activity_pages_through_revisions_and_events_alike() {
    let app = TestApp::new();
    let ana = app.user("ana").await;
    let id = app.dmp(&ana, &json!({"name": "v1"})).await;
    for n in 2..=4 {
        app.put(&format!("/dmps/{id}"))
            .token(&ana)
            .json(&json!({"name": format!("v{n}")}))
            .send()
            .await
            .ok(200);
        comment(&app, &ana, &id, json!({"text": format!("after v{n}")})).await;
        comment(&app, &ana, &id, json!({"text": format!("and again v{n}")})).await;
    }
    // 4 revisions and 6 events.
    let whole = app
        .get(&format!("/dmps/{id}/activity"))
        .token(&ana)
        .send()
        .await;
    assert_eq!(whole.header("x-total-count"), Some("10"));
    let whole = whole.ok(200).as_array().unwrap().clone();
    assert_eq!(whole.len(), 10);
    assert_eq!(whole[9]["kind"], "created");
    for limit in [1usize, 3, 4] {
        let mut paged = Vec::new();
        let mut offset = 0;
        loop {
            let r = app
                .get(&format!(
                    "/dmps/{id}/activity?offset={offset}&limit={limit}"
                ))
                .token(&ana)
                .send()
                .await;
            assert_eq!(r.header("x-total-count"), Some("10"));
            let link = r.header("link").map(str::to_owned);
            let page = r.ok(200).as_array().unwrap().clone();
            assert!(page.len() <= limit);
            offset += page.len();
            paged.extend(page);
            match link {
                Some(l) => assert!(l.contains(&format!("offset={offset}&limit={limit}")), "{l}"),
                None => break,
            }
            assert!(offset <= 10, "bounded");
        }
        assert_eq!(paged, whole, "limit {limit}");
    }
    let past = app
        .get(&format!("/dmps/{id}/activity?offset=10"))
        .token(&ana)
        .send()
        .await
        .ok(200);
    assert_eq!(past, json!([]));
}

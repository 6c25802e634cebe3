//! The RDA Common maDMP API at `/rda`: its main flows, preconditions, content negotiation
//! and error model.

use dmptool::madmp::{MEDIA_TYPE, schema};
use serde_json::{Value, json};

use super::madmp::{EXAMPLES, example};
use crate::support::{Resp, TestApp, comparable, fixture};

/// Asserts the RDA error shape and code; returns the message.
fn rda_error(r: &Resp, status: u16, code: &str) -> String {
    let v = r.ok(status);
    assert_eq!(v["error_code"], code, "{v}");
    assert_eq!(v.as_object().unwrap().len(), 2, "{v}");
    v["error_message"].as_str().unwrap().to_owned()
}

fn with_dmp(item: &Value) -> Value {
    json!({"dmp": item["dmp"]})
}

#[tokio::test]
async fn create_get_list_put_delete() {
    let app = TestApp::new();
    let t = app.user("ana").await;
    let doc = example("ex9-dmp-long.json");
    let r = app
        .post("/rda/dmps")
        .token(&t)
        .header("Accept", MEDIA_TYPE)
        .raw(MEDIA_TYPE, doc.to_string())
        .send()
        .await;
    assert_eq!(r.header("content-type"), Some(MEDIA_TYPE));
    let last_modified = r.header("last-modified").unwrap().to_owned();
    let etag = r.header("etag").unwrap().to_owned();
    let created = r.ok(200);
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(schema::validate(&with_dmp(&created)).is_ok());
    assert_eq!(comparable(with_dmp(&created)), comparable(with_dmp(&doc)));

    // GET one: same document, maDMP 1.3 when not asked otherwise, plain JSON when asked so.
    let r = app.get(&format!("/rda/dmps/{id}")).token(&t).send().await;
    assert_eq!(r.header("content-type"), Some(MEDIA_TYPE));
    let plain = app
        .get(&format!("/rda/dmps/{id}"))
        .token(&t)
        .header("Accept", "application/json")
        .send()
        .await;
    assert!(
        plain
            .header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    let got = r.ok(200);
    assert_eq!(got["id"], id.as_str());
    assert_eq!(got["dmp"], created["dmp"]);

    // It is an ordinary DMP: listed by /dmps, renderable.
    let plain = app.get("/dmps").token(&t).send().await.ok(200);
    assert_eq!(plain[0]["_id"], id.as_str());
    let task = app
        .post("/tasks")
        .token(&t)
        .json(&json!({"dmp": id}))
        .send()
        .await;
    assert!(task.status.is_success());

    // PUT with the current ETag and Last-Modified: overwritten, modified set by the server.
    let mut changed = with_dmp(&got);
    changed["dmp"]["title"] = json!("Second version");
    changed["dmp"]["modified"] = json!("1999-01-01T00:00:00Z");
    let r = app
        .put(&format!("/rda/dmps/{id}"))
        .token(&t)
        .header("If-Match", &etag)
        .header("If-Unmodified-Since", &last_modified)
        .json(&changed)
        .send()
        .await;
    let new_etag = r.header("etag").unwrap().to_owned();
    let v = r.ok(200);
    assert_eq!(v["dmp"]["title"], "Second version");
    assert_ne!(v["dmp"]["modified"], "1999-01-01T00:00:00Z");
    assert_ne!(new_etag, etag);
    // The questionnaire view follows.
    let plain = app
        .get(&format!("/dmps/{id}"))
        .token(&t)
        .send()
        .await
        .ok(200);
    assert_eq!(plain["name"], "Second version");

    // The old ETag no longer matches: 409, nothing changed.
    changed["dmp"]["title"] = json!("Lost update");
    let r = app
        .put(&format!("/rda/dmps/{id}"))
        .token(&t)
        .header("If-Match", &etag)
        .json(&changed)
        .send()
        .await;
    rda_error(&r, 409, "dmp_stale");
    // Nor does a time before the last change.
    let r = app
        .put(&format!("/rda/dmps/{id}"))
        .token(&t)
        .header("If-Unmodified-Since", "2001-01-01T00:00:00Z")
        .json(&changed)
        .send()
        .await;
    rda_error(&r, 409, "dmp_stale");
    let r = app
        .delete(&format!("/rda/dmps/{id}"))
        .token(&t)
        .header("If-Match", &etag)
        .send()
        .await;
    rda_error(&r, 409, "dmp_stale");
    let now = app
        .get(&format!("/rda/dmps/{id}"))
        .token(&t)
        .send()
        .await
        .ok(200);
    assert_eq!(now["dmp"]["title"], "Second version");

    // A PUT breaking the schema: 400 dmp_invalid with the pointer.
    let mut bad = changed.clone();
    bad["dmp"]["ethical_issues_exist"] = json!("perhaps");
    let r = app
        .put(&format!("/rda/dmps/{id}"))
        .token(&t)
        .json(&bad)
        .send()
        .await;
    assert!(rda_error(&r, 400, "dmp_invalid").contains("/dmp/ethical_issues_exist"));

    // DELETE with the current ETag: 204, then gone everywhere.
    let r = app
        .delete(&format!("/rda/dmps/{id}"))
        .token(&t)
        .header("If-Match", &new_etag)
        .send()
        .await;
    assert_eq!(r.status.as_u16(), 204);
    rda_error(
        &app.get(&format!("/rda/dmps/{id}")).token(&t).send().await,
        404,
        "dmp_not_found",
    );
    app.get(&format!("/dmps/{id}"))
        .token(&t)
        .send()
        .await
        .error(404);
}

#[tokio::test]
async fn another_users_dmp_is_not_found_and_no_token_is_401() {
    let app = TestApp::new();
    let ana = app.user("ana").await;
    let eve = app.user("eve").await;
    let id = app
        .post("/dmps")
        .token(&ana)
        .json(&fixture("dmp-posted-by-frontend.json"))
        .send()
        .await
        .ok(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let doc = app
        .get(&format!("/rda/dmps/{id}"))
        .token(&ana)
        .send()
        .await
        .ok(200);
    assert!(schema::validate(&with_dmp(&doc)).is_ok());
    let path = format!("/rda/dmps/{id}");
    rda_error(
        &app.get(&path).token(&eve).send().await,
        404,
        "dmp_not_found",
    );
    rda_error(
        &app.put(&path)
            .token(&eve)
            .json(&with_dmp(&doc))
            .send()
            .await,
        404,
        "dmp_not_found",
    );
    rda_error(
        &app.delete(&path).token(&eve).send().await,
        404,
        "dmp_not_found",
    );
    rda_error(
        &app.get("/rda/dmps/not-an-id").token(&ana).send().await,
        404,
        "dmp_not_found",
    );
    let list = app.get("/rda/dmps").token(&eve).send().await.ok(200);
    assert_eq!(list, json!({"total_count": 0, "items": []}));
    rda_error(
        &app.get("/rda/dmps").send().await,
        401,
        "authentication_required",
    );
    rda_error(
        &app.get(&path).token("nonsense").send().await,
        401,
        "authentication_required",
    );
    // Ana still has it.
    app.get(&path).token(&ana).send().await.ok(200);
}

#[tokio::test]
async fn content_negotiation_406_and_415() {
    let app = TestApp::new();
    let t = app.user("ana").await;
    let r = app
        .get("/rda/dmps")
        .token(&t)
        .header("Accept", "text/html")
        .send()
        .await;
    rda_error(&r, 406, "not_acceptable");
    let r = app
        .get("/rda/dmps")
        .token(&t)
        .header("Accept", "application/vnd.com.example.dmp+json")
        .send()
        .await;
    rda_error(&r, 406, "not_acceptable");
    let both = format!("application/json;q=0.4, {MEDIA_TYPE};q=0.9");
    let r = app
        .get("/rda/dmps")
        .token(&t)
        .header("Accept", &both)
        .send()
        .await;
    assert_eq!(r.header("content-type"), Some(MEDIA_TYPE));
    r.ok(200);
    let r = app
        .get("/rda/dmps")
        .token(&t)
        .header("Accept", "*/*")
        .send()
        .await;
    assert_eq!(r.header("content-type"), Some(MEDIA_TYPE));

    let doc = example("ex8-dmp-minimal-content.json");
    let r = app
        .post("/rda/dmps")
        .token(&t)
        .raw("application/xml", doc.to_string())
        .send()
        .await;
    rda_error(&r, 415, "unsupported_media_type");
    let r = app
        .post("/rda/dmps")
        .token(&t)
        .raw("text/plain", doc.to_string())
        .send()
        .await;
    rda_error(&r, 415, "unsupported_media_type");
    let r = app
        .post("/rda/dmps")
        .token(&t)
        .raw("application/json", "{oops")
        .send()
        .await;
    rda_error(&r, 400, "bad_request");
    assert_eq!(
        app.get("/rda/dmps").token(&t).send().await.ok(200)["total_count"],
        0
    );
}

async fn seed(app: &TestApp, t: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for (i, name) in EXAMPLES.into_iter().enumerate() {
        // The examples share one placeholder dmp_id, which the API keeps unique per user.
        let mut doc = example(name);
        if i > 0 {
            doc["dmp"]["dmp_id"]["identifier"] = json!(format!("10.0000/00.0.{i}"));
        }
        let r = app.post("/rda/dmps").token(t).json(&doc).send().await;
        ids.push(r.ok(200)["id"].as_str().unwrap().to_owned());
    }
    ids
}

fn titles(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["dmp"]["title"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn list_pages_sorts_and_filters() {
    let app = TestApp::new();
    let t = app.user("ana").await;
    seed(&app, &t).await;
    let all = app
        .get("/rda/dmps?count=100")
        .token(&t)
        .send()
        .await
        .ok(200);
    assert_eq!(all["total_count"], EXAMPLES.len());
    for item in all["items"].as_array().unwrap() {
        assert!(schema::validate(&with_dmp(item)).is_ok());
    }
    // Default order: newest creation first (the documents' own creation times).
    let created: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["dmp"]["created"].as_str().unwrap())
        .collect();
    let times: Vec<i64> = created
        .iter()
        .map(|c| dmptool::domain::time::parse_iso8601(c).unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{created:?}");

    // Paging.
    let p1 = app.get("/rda/dmps?count=3").token(&t).send().await.ok(200);
    let p2 = app
        .get("/rda/dmps?count=3&offset=3")
        .token(&t)
        .send()
        .await
        .ok(200);
    assert_eq!(p1["total_count"], EXAMPLES.len());
    let mut joined = titles(&p1);
    joined.extend(titles(&p2));
    assert_eq!(joined, titles(&all)[..6].to_vec());

    // Sort by title, ascending then descending.
    let asc = titles(
        &app.get("/rda/dmps?count=100&sort[]=title,asc")
            .token(&t)
            .send()
            .await
            .ok(200),
    );
    let mut sorted = asc.clone();
    sorted.sort_by_key(|s| s.to_lowercase());
    assert_eq!(asc, sorted);
    let desc = titles(
        &app.get("/rda/dmps?count=100&sort[]=title,desc")
            .token(&t)
            .send()
            .await
            .ok(200),
    );
    assert_eq!(desc, asc.iter().rev().cloned().collect::<Vec<_>>());
    app.get("/rda/dmps?sort[]=language,asc&sort[]=modified,desc")
        .token(&t)
        .send()
        .await
        .ok(200);

    // Query on title/description, case-insensitive.
    let min = app
        .get("/rda/dmps?query=MINIMAL")
        .token(&t)
        .send()
        .await
        .ok(200);
    assert_eq!(titles(&min), vec!["Minimal DMP".to_owned()]);

    // Created range: only the documents created after 2019.
    let after = app
        .get("/rda/dmps?count=100&created_after=2019-01-01T00:00:00Z")
        .token(&t)
        .send()
        .await
        .ok(200);
    let n_after = times.iter().filter(|t| **t > 1_546_300_800_000).count();
    assert_eq!(after["total_count"], n_after);
    // Modified: everything was just written.
    let recent = app
        .get("/rda/dmps?modified_after=2020-01-01T00:00:00Z")
        .token(&t)
        .send()
        .await
        .ok(200);
    assert_eq!(recent["total_count"], EXAMPLES.len());
    let none = app
        .get("/rda/dmps?modified_before=2020-01-01T00:00:00Z")
        .token(&t)
        .send()
        .await
        .ok(200);
    assert_eq!(none["total_count"], 0);

    // Identifier filters.
    let by_dmp_id = app
        .get("/rda/dmps?dmp_ids[]=10.0000/00.0.1234")
        .token(&t)
        .send()
        .await
        .ok(200);
    assert!(by_dmp_id["total_count"].as_u64().unwrap() >= 1);
    for item in by_dmp_id["items"].as_array().unwrap() {
        assert_eq!(item["dmp"]["dmp_id"]["identifier"], "10.0000/00.0.1234");
    }
    let langs = app
        .get("/rda/dmps?languages[]=eng&languages[]=deu&count=100")
        .token(&t)
        .send()
        .await
        .ok(200);
    for item in langs["items"].as_array().unwrap() {
        assert!(["eng", "deu"].contains(&item["dmp"]["language"].as_str().unwrap()));
    }
    let ethical = app
        .get("/rda/dmps?ethical_issues_exist=true&count=100")
        .token(&t)
        .send()
        .await
        .ok(200);
    for item in ethical["items"].as_array().unwrap() {
        assert_eq!(item["dmp"]["ethical_issues_exist"], "yes");
    }
    let embargo = app
        .get("/rda/dmps?embargo_after=2020-01-01")
        .token(&t)
        .send()
        .await
        .ok(200);
    assert!(
        titles(&embargo).iter().any(|t| !t.is_empty()),
        "ex4 has an embargo: {embargo}"
    );

    // Bad parameters: 400 invalid_query_string.
    for q in [
        "count=0",
        "count=101",
        "sort[]=size,asc",
        "created_after=yesterday",
        "offset=-1",
        "languages[]=xx",
        "embargo_before=soon",
    ] {
        let r = app.get(&format!("/rda/dmps?{q}")).token(&t).send().await;
        rda_error(&r, 400, "invalid_query_string");
    }
}

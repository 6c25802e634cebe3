//! The RDA Common maDMP API 1.0.0 as an outside client meets it: create, read, list with
//! every filter and sort, update with and without preconditions, a stale update, a
//! duplicate create, delete, both maDMP versions by negotiation, and discovery. Every
//! DMP in a response is checked against the official schema of the version served, every
//! error against the API's error model, and every DMP response for `ETag` and
//! `Last-Modified`.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use dmptool::madmp::{Version, schema};
use serde_json::{Value, json};

use crate::support::{Resp, TestApp, fixture};

const V13: &str = "application/vnd.org.rd-alliance.dmp-common.v1.3+json";
const V12: &str = "application/vnd.org.rd-alliance.dmp-common.v1.2+json";

/// The error codes of the API's error model.
const ERROR_CODES: [&str; 13] = [
    "bad_request",
    "invalid_query_string",
    "dmp_invalid",
    "authentication_required",
    "insufficient_permissions",
    "dmp_not_found",
    "not_acceptable",
    "dmp_stale",
    "dmp_already_exists",
    "conflict",
    "unsupported_media_type",
    "generic_error",
    "payload_too_large",
];

/// Checks an error against the model (`{error_code, error_message}`, nothing else, a
/// known code) and that it is the one expected; returns the message.
fn error(r: &Resp, status: u16, code: &str) -> String {
    assert_eq!(
        r.status.as_u16(),
        status,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    ERRORS.fetch_add(1, Ordering::Relaxed);
    let v = r.json();
    let o = v.as_object().expect("an error is an object");
    assert_eq!(o.len(), 2, "{v}");
    let c = o["error_code"].as_str().expect("error_code is a string");
    assert!(ERROR_CODES.contains(&c), "{c} is not in the error model");
    assert_eq!(c, code, "{v}");
    o["error_message"]
        .as_str()
        .expect("error_message is a string")
        .to_owned()
}

/// The media type and version a response claims.
fn served(r: &Resp) -> Version {
    let ct = r.header("content-type").unwrap_or_default();
    match ct {
        V12 => Version::V1_2,
        V13 => Version::V1_3,
        ct if ct.starts_with("application/json") => Version::V1_3,
        ct => panic!("content-type {ct}"),
    }
}

/// How many response bodies were checked against an official schema, per version.
static VALIDATED: [AtomicUsize; 2] = [AtomicUsize::new(0), AtomicUsize::new(0)];
/// How many error bodies were checked against the error model.
static ERRORS: AtomicUsize = AtomicUsize::new(0);

fn valid(dmp: &Value, version: Version) {
    VALIDATED[usize::from(version == Version::V1_3)].fetch_add(1, Ordering::Relaxed);
    let doc = json!({"dmp": dmp});
    if let Err(e) = schema::validate_as(&doc, version) {
        panic!("not valid maDMP {version}: {e:?}\n{dmp}");
    }
}

/// Checks one DMP response: 200, the caching headers, `{id, dmp}`, and a `dmp` valid
/// against the official schema of `version`, which its media type must name.
fn dmp(r: &Resp, version: Version) -> Value {
    assert_eq!(
        r.status.as_u16(),
        200,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    assert!(r.header("etag").is_some_and(|e| e.starts_with('"')));
    let lm = r.header("last-modified").expect("Last-Modified");
    assert!(chrono::DateTime::parse_from_rfc3339(lm).is_ok(), "{lm}");
    assert_eq!(served(r), version);
    let v = r.json();
    assert!(v["id"].is_string());
    valid(&v["dmp"], version);
    v
}

/// Checks a list response; returns the ids of its items.
fn list(r: &Resp, version: Version) -> Vec<String> {
    assert_eq!(
        r.status.as_u16(),
        200,
        "{}",
        String::from_utf8_lossy(&r.bytes)
    );
    assert_eq!(served(r), version);
    let v = r.json();
    let items = v["items"].as_array().expect("items");
    assert!(v["total_count"].as_u64().unwrap() >= items.len() as u64);
    items
        .iter()
        .map(|i| {
            valid(&i["dmp"], version);
            i["id"].as_str().unwrap().to_owned()
        })
        .collect()
}

/// A: long, funded, with everything the listing can filter on (from the 1.3 ex9).
fn plan_a() -> Value {
    let mut doc = fixture("madmp-1.3/ex9-dmp-long.json");
    let dmp = doc["dmp"].as_object_mut().unwrap();
    dmp.insert(
        "dmp_id".into(),
        json!({"identifier": "10.0000/conformance.a", "type": "doi"}),
    );
    dmp.insert(
        "alternate_identifier".into(),
        json!([{"identifier": "E-GEOD-34814", "type": "accession number"}]),
    );
    dmp.insert(
        "cost".into(),
        json!([{"title": "Storage", "value": 1000, "currency_code": "EUR"}]),
    );
    dmp["contributor"].as_array_mut().unwrap().push(json!({
        "name": "Bo Li", "role": ["DataSteward"],
        "contributor_id": {"identifier": "https://orcid.org/0000-0002-1825-0097", "type": "orcid"}}));
    dmp["dataset"].as_array_mut().unwrap().push(json!({
        "title": "Derived", "personal_data": "no", "sensitive_data": "no",
        "dataset_id": {"identifier": "https://example.org/ds/derived", "type": "url"},
        "is_reused": false,
        "related_identifier": [{"identifier": "https://doi.org/10.1234/raw",
                                "relation_type": "IsDerivedFrom", "type": "doi"}],
        "metadata": [{"description": "DDI", "language": "eng",
            "metadata_standard_id": {"identifier": "https://ddialliance.org/Specification/DDI-Lifecycle/", "type": "url"}}],
        "distribution": [{"title": "On the lab NAS", "data_access": "restricted",
            "host": {"title": "Lab NAS",
                     "host_id": [{"identifier": "https://doi.org/10.17616/R3QP53", "type": "re3data"}]}}]}));
    doc
}

/// C: a 1.2 document with the deprecated `shared`.
fn plan_c() -> Value {
    let mut doc = fixture("madmp/ex3-dataset-finished.json");
    doc["dmp"]["dmp_id"]["identifier"] = json!("10.0000/conformance.c");
    doc["dmp"]["dataset"][0]["distribution"][0]["data_access"] = json!("shared");
    doc
}

#[tokio::test]
async fn the_rda_api_as_an_outside_client_meets_it() {
    let app = TestApp::new();
    let t = app.user("ana").await;
    macro_rules! send {
        ($r:expr $(,)?) => {
            $r.token(&t).send()
        };
    }

    // ---- create, in both versions --------------------------------------------------
    let r = send!(app.post("/rda/dmps").raw(V13, plan_a().to_string())).await;
    let a = dmp(&r, Version::V1_3);
    let a_id = a["id"].as_str().unwrap().to_owned();
    let a_etag = r.header("etag").unwrap().to_owned();
    let a_modified = r.header("last-modified").unwrap().to_owned();
    let b_doc = fixture("madmp-1.3/ex1-header-fundedProject.json");
    let b = dmp(
        &send!(app.post("/rda/dmps").raw(V13, b_doc.to_string())).await,
        Version::V1_3,
    );
    let b_id = b["id"].as_str().unwrap().to_owned();
    // A 1.2 body is read as 1.2; the answer is what was asked for in Accept.
    let r = send!(
        app.post("/rda/dmps")
            .header("Accept", V12)
            .raw(V12, plan_c().to_string()),
    )
    .await;
    let c = dmp(&r, Version::V1_2);
    let c_id = c["id"].as_str().unwrap().to_owned();
    assert_eq!(
        c["dmp"]["dataset"][0]["distribution"][0]["data_access"],
        "shared"
    );
    // A plan of the frontend's is readable here too.
    let d_id = app.dmp(&t, &fixture("dmp-posted-by-frontend.json")).await;
    let d = dmp(
        &send!(app.get(&format!("/rda/dmps/{d_id}"))).await,
        Version::V1_3,
    );

    // ---- duplicate creates --------------------------------------------------------
    let r = send!(app.post("/rda/dmps").raw(V13, plan_a().to_string())).await;
    let msg = error(&r, 409, "dmp_already_exists");
    assert!(msg.contains(&a_id), "{msg}");
    // Also for a document carrying this server's identifier of one of the caller's DMPs.
    let again = json!({"dmp": d["dmp"]});
    let r = send!(app.post("/rda/dmps").json(&again)).await;
    error(&r, 409, "dmp_already_exists");
    // A body that breaks its version's schema: a 1.2 host needs a url.
    let mut no_url = plan_a();
    no_url["dmp"]["dmp_id"]["identifier"] = json!("10.0000/conformance.x");
    let r = send!(app.post("/rda/dmps").raw(V12, no_url.to_string())).await;
    let msg = error(&r, 400, "dmp_invalid");
    assert!(msg.contains("/dmp/dataset/3/distribution/0"), "{msg}");

    // ---- read, negotiating both versions ------------------------------------------
    let path_a = format!("/rda/dmps/{a_id}");
    let r = send!(app.get(&path_a)).await;
    let got = dmp(&r, Version::V1_3);
    assert_eq!(r.header("etag"), Some(a_etag.as_str()));
    assert_eq!(
        got["dmp"]["dataset"][3]["distribution"][0]["data_access"],
        "restricted"
    );
    let r = send!(app.get(&path_a).header("Accept", V12)).await;
    let old = dmp(&r, Version::V1_2);
    assert_eq!(
        old["dmp"]["dataset"][3]["distribution"][0]["data_access"],
        "shared"
    );
    let r = send!(app.get(&format!("{path_a}?version=1.2"))).await;
    dmp(&r, Version::V1_2);
    let r = send!(
        app.get(&format!("/rda/dmps/{c_id}"))
            .header("Accept", "*/*")
    )
    .await;
    let c13 = dmp(&r, Version::V1_3);
    assert_eq!(
        c13["dmp"]["dataset"][0]["distribution"][0]["data_access"],
        "restricted"
    );
    let r = send!(app.get(&path_a).header("Accept", "application/json")).await;
    dmp(&r, Version::V1_3);
    let r = send!(
        app.get(&format!("{path_a}?version=1.2"))
            .header("Accept", "application/json")
    )
    .await;
    assert_eq!(served(&r), Version::V1_3);
    valid(&r.json()["dmp"], Version::V1_2);
    for accept in [
        "text/html",
        "application/vnd.org.rd-alliance.dmp-common.v1.1+json",
    ] {
        error(
            &send!(app.get(&path_a).header("Accept", accept)).await,
            406,
            "not_acceptable",
        );
    }
    error(
        &send!(
            app.get(&format!("{path_a}?version=1.2"))
                .header("Accept", V13)
        )
        .await,
        406,
        "not_acceptable",
    );
    error(
        &send!(app.get("/rda/dmps/ffffffffffffffffffffffff")).await,
        404,
        "dmp_not_found",
    );
    error(
        &app.get(&path_a).send().await,
        401,
        "authentication_required",
    );
    error(
        &send!(app.post("/rda/dmps").raw("text/csv", "a,b")).await,
        415,
        "unsupported_media_type",
    );

    // ---- list: every filter, each with a hit and a miss ----------------------------
    let all: BTreeSet<String> = [&a_id, &b_id, &c_id, &d_id].into_iter().cloned().collect();
    let set = |ids: &[&String]| {
        ids.iter()
            .map(|s| (*s).clone())
            .collect::<BTreeSet<String>>()
    };
    let d_url = d["dmp"]["dmp_id"]["identifier"]
        .as_str()
        .unwrap()
        .to_owned();
    let cases: Vec<(String, BTreeSet<String>)> = vec![
        ("languages[]=eng".into(), all.clone()),
        ("languages[]=fra".into(), set(&[])),
        (
            "contact_ids[]=0000-0000-0000-0000".into(),
            set(&[&b_id, &c_id]),
        ),
        (
            "contributor_ids[]=https://orcid.org/0000-0002-1825-0097".into(),
            set(&[&a_id]),
        ),
        ("dataset_ids[]=10.5281/zenodo.1200361".into(), set(&[&c_id])),
        (
            "metadata_standard_ids[]=https://ddialliance.org/Specification/DDI-Lifecycle/".into(),
            set(&[&a_id]),
        ),
        ("dmp_ids[]=10.0000/00.0.1234".into(), set(&[&b_id])),
        (format!("dmp_ids[]={d_url}"), set(&[&d_id])),
        ("funder_ids[]=013tf3c58".into(), set(&[&b_id])),
        ("funder_ids[]=501100002428".into(), set(&[&b_id])),
        ("funder_ids[]=nobody".into(), set(&[])),
        ("grant_ids[]=EO-2-2017".into(), set(&[&a_id])),
        ("query=FUNDED%20DMP".into(), set(&[&b_id])),
        ("ethical_issues_exist=true".into(), set(&[&a_id, &d_id])),
        ("ethical_issues_exist=false".into(), set(&[&b_id, &c_id])),
        ("embargo_after=2020-01-01".into(), set(&[&a_id])),
        ("embargo_before=2020-01-01".into(), set(&[&c_id])),
        (
            "created_before=2019-01-01T00:00:00Z".into(),
            set(&[&b_id, &c_id]),
        ),
        (
            "created_after=2019-01-01T00:00:00Z".into(),
            set(&[&a_id, &d_id]),
        ),
        ("modified_after=2019-01-01T00:00:00Z".into(), all.clone()),
        ("modified_before=2019-01-01T00:00:00Z".into(), set(&[])),
        (
            "dmp_alternate_identifier[]=E-GEOD-34814".into(),
            set(&[&a_id]),
        ),
        (
            format!("dmp_alternate_identifier[]=http://localhost/rda/dmps/{c_id}"),
            set(&[&c_id]),
        ),
        ("dataset_personal_data[]=yes".into(), set(&[&a_id, &d_id])),
        ("dataset_sensitive_data[]=yes".into(), set(&[&a_id, &d_id])),
        (
            "dataset_sensitive_data[]=no".into(),
            set(&[&a_id, &b_id, &c_id]),
        ),
        ("dataset_personal_data[]=unknown".into(), set(&[&b_id])),
        ("distribution_formats[]=audio/mpeg".into(), set(&[&a_id])),
        (
            "distribution_data_access[]=restricted".into(),
            set(&[&a_id, &c_id]),
        ),
        (
            "distribution_data_access[]=shared".into(),
            set(&[&a_id, &c_id]),
        ),
        (
            "host_ids[]=https://doi.org/10.17616/R3QP53".into(),
            set(&[&a_id]),
        ),
        (
            "host_ids[]=https://www.re3data.org/repository/r3d100010468".into(),
            set(&[&a_id]),
        ),
        ("host_titles[]=lab%20nas".into(), set(&[&a_id])),
        (
            "license_refs[]=https://creativecommons.org/licenses/by/4.0/".into(),
            set(&[&c_id]),
        ),
        ("license_refs[]=https://example.org/none".into(), set(&[])),
    ];
    for (query, want) in &cases {
        for (accept, version) in [(V13, Version::V1_3), (V12, Version::V1_2)] {
            let r = send!(
                app.get(&format!("/rda/dmps?{query}"))
                    .header("Accept", accept)
            )
            .await;
            let got: BTreeSet<String> = list(&r, version).into_iter().collect();
            assert_eq!(&got, want, "{query} ({version})");
        }
    }
    // Every sort, both ways: all four, in an order the key allows.
    for key in [
        "title", "created", "modified", "language", "embargo", "keyword",
    ] {
        for dir in ["asc", "desc"] {
            let r = send!(app.get(&format!("/rda/dmps?sort[]={key},{dir}&count=2"))).await;
            assert_eq!(list(&r, Version::V1_3).len(), 2, "{key},{dir}");
            assert_eq!(r.json()["total_count"], 4);
        }
    }
    let r = send!(app.get("/rda/dmps?sort[]=title,asc")).await;
    let titles: Vec<String> = r.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["dmp"]["title"].as_str().unwrap().to_lowercase())
        .collect();
    let mut sorted = titles.clone();
    sorted.sort();
    assert_eq!(titles, sorted);
    for bad in [
        "sort[]=colour,asc",
        "count=0",
        "languages[]=xx",
        "distribution_data_access[]=public",
        "dataset_personal_data[]=maybe",
        "created_before=yesterday",
        "version=1.1",
    ] {
        error(
            &send!(app.get(&format!("/rda/dmps?{bad}"))).await,
            400,
            "invalid_query_string",
        );
    }

    // ---- update, with and without preconditions ------------------------------------
    let mut edit = plan_a();
    edit["dmp"]["title"] = json!("A, edited");
    let r = send!(app.put(&path_a).raw(V13, edit.to_string())).await;
    let edited = dmp(&r, Version::V1_3);
    assert_eq!(edited["dmp"]["title"], "A, edited");
    let etag = r.header("etag").unwrap().to_owned();
    let modified = r.header("last-modified").unwrap().to_owned();
    assert_ne!(etag, a_etag);
    // Stale: the first ETag and Last-Modified no longer hold.
    edit["dmp"]["title"] = json!("A, lost update");
    let stale_tag = send!(
        app.put(&path_a)
            .header("If-Match", &a_etag)
            .raw(V13, edit.to_string()),
    )
    .await;
    error(&stale_tag, 409, "dmp_stale");
    std::thread::sleep(std::time::Duration::from_millis(5));
    let stale_time = send!(
        app.put(&path_a)
            .header("If-Unmodified-Since", &a_modified)
            .raw(V13, edit.to_string()),
    )
    .await;
    // (a_modified is the creation's; the edit after it makes it stale)
    if a_modified != modified {
        error(&stale_time, 409, "dmp_stale");
    }
    let r = send!(app.get(&path_a)).await;
    assert_eq!(
        dmp(&r, Version::V1_3)["dmp"]["title"],
        "A, edited",
        "nothing written"
    );
    // Current preconditions hold; a 1.2 body replaces in 1.2 terms.
    let r = send!(
        app.put(&path_a)
            .header("If-Match", &etag)
            .header("If-Unmodified-Since", &modified)
            .header("Accept", V12)
            .raw(V13, edit.to_string()),
    )
    .await;
    let kept = dmp(&r, Version::V1_2);
    assert_eq!(kept["dmp"]["title"], "A, lost update");
    let etag = r.header("etag").unwrap().to_owned();
    let r = send!(
        app.put(&path_a)
            .header("If-Match", "*")
            .raw(V12, old_doc(&old).to_string())
    )
    .await;
    dmp(&r, Version::V1_3);
    error(
        &send!(
            app.put(&path_a)
                .header("If-Match", &etag)
                .raw(V13, edit.to_string())
        )
        .await,
        409,
        "dmp_stale",
    );
    error(
        &send!(app.put(&path_a).raw(V13, json!({"dmp": {}}).to_string())).await,
        400,
        "dmp_invalid",
    );
    error(
        &send!(
            app.put("/rda/dmps/ffffffffffffffffffffffff")
                .raw(V13, edit.to_string())
        )
        .await,
        404,
        "dmp_not_found",
    );

    // ---- delete ------------------------------------------------------------------------
    let r = send!(app.delete(&path_a).header("If-Match", &a_etag)).await;
    error(&r, 409, "dmp_stale");
    let r = send!(app.delete(&path_a)).await;
    assert_eq!(r.status.as_u16(), 204);
    error(&send!(app.get(&path_a)).await, 404, "dmp_not_found");
    error(&send!(app.delete(&path_a)).await, 404, "dmp_not_found");
    let r = send!(app.get("/rda/dmps")).await;
    assert_eq!(list(&r, Version::V1_3).len(), 3);
    eprintln!(
        "FIGURES conformance: {} DMP bodies valid against maDMP 1.3, {} against 1.2, {} errors in the model",
        VALIDATED[1].load(Ordering::Relaxed),
        VALIDATED[0].load(Ordering::Relaxed),
        ERRORS.load(Ordering::Relaxed)
    );
}

/// A 1.2 response's document, to send back.
fn old_doc(item: &Value) -> Value {
    json!({"dmp": item["dmp"]})
}

#[tokio::test]
async fn identifiers_start_with_the_public_url_or_say_what_base_was_assumed() {
    let app = TestApp::with_public_url("https://dmp.example.org/");
    let t = app.user("ana").await;
    let id = app.dmp(&t, &fixture("dmp-posted-by-frontend.json")).await;
    let r = app
        .get(&format!("/rda/dmps/{id}"))
        .token(&t)
        .header("Host", "internal:8080")
        .send()
        .await;
    let v = dmp(&r, Version::V1_3);
    let doc = &v["dmp"];
    let url = format!("https://dmp.example.org/rda/dmps/{id}");
    assert_eq!(doc["dmp_id"], json!({"identifier": url, "type": "url"}));
    assert_eq!(
        doc["dataset"][0]["dataset_id"],
        json!({"identifier": format!("{url}#dataset-1"), "type": "url"})
    );
    assert_eq!(
        doc["contact"]["contact_id"],
        json!({"identifier": "https://dmp.example.org/users/ana", "type": "url"})
    );
    assert!(doc["x_dmptool"].get("assumed_base_url").is_none());
    let cat = app.get("/.well-known/api-catalog").send().await.ok(200);
    assert_eq!(cat["linkset"][1]["anchor"], "https://dmp.example.org/rda");

    // Without it, the base is the address the request used, and the document says so.
    let app = TestApp::new();
    let t = app.user("ana").await;
    let id = app.dmp(&t, &fixture("dmp-posted-by-frontend.json")).await;
    let r = app
        .get(&format!("/rda/dmps/{id}"))
        .token(&t)
        .header("Host", "dmp.internal:8080")
        .send()
        .await;
    let v = dmp(&r, Version::V1_3);
    assert_eq!(
        v["dmp"]["dmp_id"]["identifier"],
        format!("http://dmp.internal:8080/rda/dmps/{id}")
    );
    assert_eq!(
        v["dmp"]["x_dmptool"]["assumed_base_url"],
        "http://dmp.internal:8080"
    );
}

#[tokio::test]
async fn the_api_catalog_and_the_rda_openapi_document_are_served() {
    let app = TestApp::new();
    let r = app
        .get("/.well-known/api-catalog")
        .header("Host", "dmp.example.org")
        .send()
        .await;
    assert_eq!(r.status.as_u16(), 200);
    assert_eq!(
        r.header("content-type"),
        Some("application/linkset+json; profile=\"https://www.rfc-editor.org/info/rfc9727\"")
    );
    let link = r.header("link").unwrap();
    assert!(link.contains("rel=\"api-catalog\""), "{link}");
    let v = r.json();
    let sets = v["linkset"].as_array().unwrap();
    assert_eq!(
        sets[0]["anchor"],
        "http://dmp.example.org/.well-known/api-catalog"
    );
    let items: Vec<&str> = sets[0]["item"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["href"].as_str().unwrap())
        .collect();
    assert_eq!(
        items,
        ["http://dmp.example.org/rda", "http://dmp.example.org/"]
    );
    assert_eq!(
        sets[1]["service-desc"][0]["href"],
        "http://dmp.example.org/rda/openapi.json"
    );
    assert_eq!(
        sets[1]["service-doc"][0]["href"],
        "http://dmp.example.org/rda/docs"
    );
    assert_eq!(
        sets[2]["service-desc"][0]["href"],
        "http://dmp.example.org/openapi.json"
    );
    // Every link the catalog gives on this server answers.
    for set in sets {
        for rel in ["service-desc", "service-doc"] {
            for l in set[rel].as_array().into_iter().flatten() {
                let href = l["href"].as_str().unwrap();
                if let Some(path) = href.strip_prefix("http://dmp.example.org") {
                    let r = app.get(path).send().await;
                    assert_eq!(r.status.as_u16(), 200, "{href}");
                }
            }
        }
    }
    // HEAD: the headers without the body.
    let r = app
        .req(poem::http::Method::HEAD, "/.well-known/api-catalog")
        .send()
        .await;
    assert_eq!(r.status.as_u16(), 200);
    assert!(r.bytes.is_empty());
    assert!(r.header("link").unwrap().contains("rel=\"api-catalog\""));

    // The RDA API's own document: only its operations, bearer tokens, both media types.
    let spec = app.get("/rda/openapi.json").send().await.ok(200);
    assert_eq!(spec["info"]["version"], "1.0.0");
    let paths: Vec<&String> = spec["paths"].as_object().unwrap().keys().collect();
    assert_eq!(paths, ["/rda/dmps", "/rda/dmps/{id}"]);
    let schemes = spec["components"]["securitySchemes"].as_object().unwrap();
    assert!(schemes.values().any(|s| s["scheme"] == "bearer"));
    let ok = &spec["paths"]["/rda/dmps/{id}"]["get"]["responses"]["200"]["content"];
    assert!(ok.get(V13).is_some() && ok.get(V12).is_some());
    let conflict = spec["paths"]["/rda/dmps/{id}"]["put"]["responses"]["409"]["description"]
        .as_str()
        .unwrap();
    assert!(conflict.contains("dmp_stale") && conflict.contains("dmp_already_exists"));
    let list_params: Vec<&str> = spec["paths"]["/rda/dmps"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for p in [
        "host_ids[]",
        "license_refs[]",
        "distribution_data_access[]",
        "version",
    ] {
        assert!(list_params.contains(&p), "{p}");
    }
    let ui = app.get("/rda/docs").send().await;
    assert_eq!(ui.status.as_u16(), 200);
}

#[tokio::test]
async fn an_export_that_would_not_validate_is_a_500_never_an_invalid_document() {
    let app = TestApp::new();
    let t = app.user("ana").await;
    let id = app.dmp(&t, &fixture("dmp-posted-by-frontend.json")).await;
    // An address no check let in (written to the store directly): the contact's `mbox`
    // would break the schema's `email` format.
    app.services
        .store
        .write(|tx| {
            let uid = dmptool::store::users::id_by_name(tx, "ana")?.unwrap();
            let mut u = dmptool::store::users::get(tx, uid)?.unwrap();
            u.email = Some("not an address".into());
            dmptool::store::users::update(tx, uid, &u)
        })
        .unwrap();
    for accept in [V13, V12] {
        let r = app
            .get(&format!("/rda/dmps/{id}"))
            .token(&t)
            .header("Accept", accept)
            .send()
            .await;
        let msg = error(&r, 500, "generic_error");
        assert!(!msg.contains("not an address"), "{msg}");
    }
    let r = app.get(&format!("/dmps/{id}/madmp")).token(&t).send().await;
    r.error(500);
}

use crate::support::TestApp;

#[test]
fn committed_openapi_yaml_matches_the_code() {
    let generated = dmptool::api::spec_yaml();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.yaml");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed.trim_end() == generated.trim_end(),
        "openapi.yaml is out of date: run `cargo run -- openapi > openapi.yaml`"
    );
}

#[tokio::test]
async fn the_document_and_swagger_ui_are_served() {
    let app = TestApp::new();
    let v = app.get("/openapi.json").send().await.ok(200);
    assert_eq!(v["info"]["title"], "dmptool");
    for path in [
        "/login",
        "/logout",
        "/changepassword",
        "/refresh",
        "/dmps",
        "/dmps/{id}",
        "/tasks",
        "/tasks/{id}",
        "/resources/docx/{file_id}",
        "/resources/pdf/{file_id}",
        "/health",
        "/dmps/{id}/madmp",
        "/dmps/import",
        "/rda/dmps",
        "/rda/dmps/{id}",
    ] {
        assert!(
            v["paths"].get(path).is_some(),
            "{path} missing from the OpenAPI document"
        );
    }
    // The RDA surface documents both of its media types.
    let madmp = dmptool::madmp::MEDIA_TYPE;
    assert!(
        v["paths"]["/rda/dmps"]["post"]["requestBody"]["content"]
            .get(madmp)
            .is_some()
    );
    assert!(
        v["paths"]["/rda/dmps/{id}"]["get"]["responses"]["200"]["content"]
            .get(madmp)
            .is_some()
    );
    assert!(
        v["paths"]["/rda/dmps/{id}"]["get"]["responses"]["404"]["content"]
            .get(madmp)
            .is_some()
    );
    let yaml = app.get("/openapi.yaml").send().await;
    assert_eq!(yaml.status.as_u16(), 200);
    assert!(String::from_utf8_lossy(&yaml.bytes).starts_with("openapi: 3"));
    let ui = app.get("/docs").send().await;
    assert_eq!(ui.status.as_u16(), 200);
    assert!(
        String::from_utf8_lossy(&ui.bytes)
            .to_lowercase()
            .contains("swagger")
    );
}

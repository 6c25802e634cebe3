//! In-process cost of making the documents: one typical DMP from the frontend
//! (tests/fixtures/dmp-from-action-frontend.json, Horizon 2020 template: the baseline),
//! the complete plan (tests/fixtures/plan-complete.json, Horizon Europe), a plan of about
//! 20 pages with 10 datasets, and the complete plan's answers grown 1x, 4x and 16x (the
//! cost must grow linearly). Run: `cargo bench --bench render`; bench/README.md says how
//! to read the ratios.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use dmptool::render::template::Templates;
use dmptool::render::{DocModel, RenderInput, docx, pdf};

fn bench(c: &mut Criterion) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dmp-from-action-frontend.json");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let doc = doc.as_object().unwrap().clone();
    let dir = tempfile::tempdir().unwrap();
    let (template, _) = Templates::new(dir.path()).get("h2020").unwrap();
    let input = || RenderInput {
        doc: &doc,
        template: &template,
        dmp_id: "6b08e7b7ffbdc5aca6e8c3ac",
        owner: "maria.lopez",
        version: 1,
        rendered_at: chrono::Utc::now(),
    };
    let model = DocModel::build(&input());
    // Warm the embedded fonts once, as a running server has.
    dmptool::render::render(&model).unwrap();

    let mut g = c.benchmark_group("render");
    g.bench_function("model", |b| b.iter(|| DocModel::build(black_box(&input()))));
    g.bench_function("docx", |b| {
        b.iter(|| docx::write(black_box(&model)).unwrap())
    });
    g.bench_function("pdf", |b| b.iter(|| pdf::write(black_box(&model)).unwrap()));
    g.bench_function("model+docx+pdf", |b| {
        b.iter(|| {
            let m = DocModel::build(&input());
            dmptool::render::render(black_box(&m)).unwrap()
        })
    });
    g.finish();

    let complete = fixture("plan-complete.json");
    let (he, _) = Templates::new(dir.path()).get("horizon-europe").unwrap();
    let mut g = c.benchmark_group("plans");
    let cases = [
        ("complete", complete.clone()),
        ("20-pages-10-datasets", twenty_pages(&complete)),
        ("grown-1x", grown(&complete, 1)),
        ("grown-4x", grown(&complete, 4)),
        ("grown-16x", grown(&complete, 16)),
    ];
    for (name, doc) in &cases {
        let m = DocModel::build(&RenderInput {
            doc,
            template: &he,
            dmp_id: "6b08e7b7ffbdc5aca6e8c3ac",
            owner: "maria.lopez",
            version: 1,
            rendered_at: chrono::Utc::now(),
        });
        g.bench_function(*name, |b| {
            b.iter(|| dmptool::render::render(black_box(&m)).unwrap())
        });
    }
    g.finish();
}

fn fixture(name: &str) -> serde_json::Map<String, serde_json::Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v.as_object().unwrap().clone()
}

/// The complete plan with 10 datasets and an answer of ~300 words for 15 questions:
/// about 20 A4 pages.
fn twenty_pages(
    complete: &serde_json::Map<String, serde_json::Value>,
) -> serde_json::Map<String, serde_json::Value> {
    let mut doc = complete.clone();
    let first = doc["datasets"][0].clone();
    let datasets: Vec<serde_json::Value> = (0..10)
        .map(|i| {
            let mut d = first.clone();
            d["id"] = format!("set-{i}").into();
            d["title"] = format!("Dataset {i}: photometer series of site {i}").into();
            d
        })
        .collect();
    doc.insert("datasets".into(), datasets.into());
    let words = "Calibrated readings are checked against the reference photometer every night, and outliers are flagged with the reason. ".repeat(18);
    let ids = [
        "harvesting",
        "repository_arrangements",
        "repository_identifier",
        "access_protocol",
        "restricted_access",
        "access_identity",
        "access_committee",
        "metadata_licence",
        "software",
        "ontology_mappings",
        "qualified_references",
        "documentation",
        "third_parties",
        "provenance",
        "preservation_resources",
    ];
    let answers: serde_json::Map<String, serde_json::Value> = ids
        .iter()
        .map(|id| {
            (
                (*id).to_owned(),
                format!("{words}\n\n- first point\n- second point with **bold** text\n\n{words}")
                    .into(),
            )
        })
        .collect();
    doc.insert("answers".into(), answers.into());
    doc
}

/// The complete plan with every own answer repeated `n` times.
fn grown(
    complete: &serde_json::Map<String, serde_json::Value>,
    n: usize,
) -> serde_json::Map<String, serde_json::Value> {
    let mut doc = twenty_pages(complete);
    if let Some(serde_json::Value::Object(a)) = doc.get_mut("answers") {
        for v in a.values_mut() {
            if let Some(s) = v.as_str() {
                *v = vec![s; n].join("\n\n").into();
            }
        }
    }
    doc
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! In-process cost of making the documents of one typical DMP
//! (tests/fixtures/dmp-from-action-frontend.json, Horizon 2020 template).
//! Run: `cargo bench --bench render`.
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
}

criterion_group!(benches, bench);
criterion_main!(benches);

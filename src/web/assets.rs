//! The web editor's static files (`assets/web/*.css|js`), served under content-hashed names
//! (`/ui/assets/app.3f2a9c1b0d.css`) computed once at start-up, cached for a year.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use poem::http::StatusCode;
use poem::web::Path;
use poem::{Response, handler};
use sha2::{Digest, Sha256};

/// The files, by their plain name.
const FILES: [&str; 3] = ["app.css", "app.js", "editor.js"];

struct Asset {
    hashed: String,
    bytes: &'static [u8],
    content_type: &'static str,
}

fn table() -> &'static BTreeMap<&'static str, Asset> {
    static TABLE: OnceLock<BTreeMap<&'static str, Asset>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut out = BTreeMap::new();
        for name in FILES {
            let Some(bytes) = crate::assets::bytes(&format!("web/{name}")) else {
                tracing::error!(name, "a web asset is missing from the build");
                continue;
            };
            let digest = hex::encode(Sha256::digest(bytes));
            let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
            let content_type = match ext {
                "css" => "text/css; charset=utf-8",
                "js" => "text/javascript; charset=utf-8",
                _ => "application/octet-stream",
            };
            out.insert(
                name,
                Asset {
                    hashed: format!("{stem}.{}.{ext}", &digest[..12]),
                    bytes,
                    content_type,
                },
            );
        }
        out
    })
}

/// The path a page links to for asset `name` (`app.css`).
pub fn url(name: &str) -> String {
    table().get(name).map_or_else(
        || format!("/ui/assets/{name}"),
        |a| format!("/ui/assets/{}", a.hashed),
    )
}

/// The bytes of every asset a page may load, by URL (for the page-weight test).
pub fn size_of_url(url: &str) -> Option<usize> {
    table()
        .values()
        .find(|a| url == format!("/ui/assets/{}", a.hashed))
        .map(|a| a.bytes.len())
}

#[handler]
pub fn serve(Path(name): Path<String>) -> Response {
    match table().values().find(|a| a.hashed == name) {
        Some(a) => Response::builder()
            .content_type(a.content_type)
            .header("Cache-Control", "public, max-age=31536000, immutable")
            .body(a.bytes),
        None => super::layout::error_response(StatusCode::NOT_FOUND, "not found"),
    }
}

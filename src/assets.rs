//! Files built into the binary: funder templates, and fonts with their licences (the
//! licence texts travel inside the binary with the fonts they cover).

use std::borrow::Cow;

#[derive(rust_embed::RustEmbed)]
#[folder = "assets/"]
struct Assets;

/// An embedded file's bytes for the life of the program. Embedded data is static; should a
/// build hand out an owned copy instead, it is kept once (callers cache what they load).
pub fn bytes(path: &str) -> Option<&'static [u8]> {
    Assets::get(path).map(|f| match f.data {
        Cow::Borrowed(b) => b,
        Cow::Owned(v) => Box::leak(v.into_boxed_slice()),
    })
}

/// Names (without `.json`) of the embedded templates, sorted.
pub fn template_names() -> Vec<String> {
    let mut names: Vec<String> = Assets::iter()
        .filter_map(|p| {
            p.strip_prefix("templates/")
                .and_then(|n| n.strip_suffix(".json"))
                .map(str::to_owned)
        })
        .collect();
    names.sort();
    names
}

//! The web editor's words: one Fluent catalogue per language (`assets/web/i18n/<lang>.ftl`),
//! the language chosen from the account, then `Accept-Language`, then English; dates and
//! numbers written the way each language writes them.

use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

/// A language of the web editor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Es,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Es];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(code))
    }

    /// The codes of every language, for the account's stored choice.
    pub fn codes() -> Vec<&'static str> {
        Lang::ALL.iter().map(|l| l.code()).collect()
    }

    /// The language's own name, as the picker shows it.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Es => "Español",
        }
    }

    fn index(self) -> usize {
        match self {
            Lang::En => 0,
            Lang::Es => 1,
        }
    }

    /// The account's choice, else the best of `Accept-Language`, else English.
    pub fn choose(stored: Option<&str>, accept: Option<&str>) -> Lang {
        if let Some(l) = stored.and_then(Lang::from_code) {
            return l;
        }
        let mut best: Option<(f32, Lang)> = None;
        for part in accept.unwrap_or("").split(',') {
            let mut bits = part.split(';');
            let tag = bits.next().unwrap_or("").trim();
            let q = bits
                .find_map(|b| b.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split(['-', '_']).next().unwrap_or("");
            if let Some(l) = Lang::from_code(primary)
                && q > 0.0
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, l));
            }
        }
        best.map_or(Lang::En, |(_, l)| l)
    }
}

/// The catalogue of a language as shipped (the `.ftl` text).
pub fn source(lang: Lang) -> &'static str {
    let path = format!("web/i18n/{}.ftl", lang.code());
    crate::assets::bytes(&path)
        .and_then(|b| std::str::from_utf8(b).ok())
        .unwrap_or("")
}

type Bundle = FluentBundle<FluentResource>;

fn bundles() -> &'static [Bundle; 2] {
    static BUNDLES: OnceLock<[Bundle; 2]> = OnceLock::new();
    BUNDLES.get_or_init(|| Lang::ALL.map(make_bundle))
}

fn make_bundle(lang: Lang) -> Bundle {
    let id: LanguageIdentifier = lang.code().parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // No Unicode isolation marks around arguments: the pages set their direction.
    bundle.set_use_isolating(false);
    let resource = match FluentResource::try_new(source(lang).to_owned()) {
        Ok(r) => r,
        Err((r, errors)) => {
            tracing::error!(lang = lang.code(), ?errors, "errors in a web catalogue");
            r
        }
    };
    if let Err(errors) = bundle.add_resource(resource) {
        tracing::error!(lang = lang.code(), ?errors, "errors in a web catalogue");
    }
    bundle
}

/// The message `id` in `lang` with `args`; the id itself when the catalogue lacks it (a
/// unit test makes sure none does).
pub fn ta(lang: Lang, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
    let bundle = &bundles()[lang.index()];
    let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
        tracing::warn!(lang = lang.code(), id, "missing web message");
        return id.to_owned();
    };
    let mut fargs = FluentArgs::new();
    for (k, v) in args {
        fargs.set(*k, v.clone());
    }
    let mut errors = Vec::new();
    bundle
        .format_pattern(pattern, Some(&fargs), &mut errors)
        .into_owned()
}

/// The message `id` in `lang`.
pub fn t(lang: Lang, id: &str) -> String {
    ta(lang, id, &[])
}

/// A time (milliseconds since the epoch, UTC) as the language writes it: `2026-12-02 14:05`
/// in English, `02/12/2026 14:05` in Spanish.
pub fn datetime(lang: Lang, millis: i64) -> String {
    let Some(t) = chrono::DateTime::from_timestamp_millis(millis) else {
        return String::new();
    };
    use chrono::{Datelike, Timelike};
    let (y, m, d, hh, mm) = (t.year(), t.month(), t.day(), t.hour(), t.minute());
    match lang {
        Lang::En => format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02} UTC"),
        Lang::Es => format!("{d:02}/{m:02}/{y:04} {hh:02}:{mm:02} UTC"),
    }
}

/// A number as the language writes it: `1,234.5` in English, `1.234,5` in Spanish.
pub fn number(lang: Lang, n: f64) -> String {
    let text = if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.0}")
    } else {
        format!("{n:.2}")
    };
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let (group, decimal) = match lang {
        Lang::En => (',', '.'),
        Lang::Es => ('.', ','),
    };
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(c);
    }
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}{decimal}{frac}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn ids(src: &str) -> BTreeSet<String> {
        src.lines()
            .filter(|l| !l.starts_with([' ', '#', '\t']) && l.contains(" ="))
            .filter_map(|l| l.split(" =").next())
            .map(|s| s.trim().to_owned())
            .collect()
    }

    /// Every message id the code names literally (through `t` and `ta`).
    fn used() -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/web");
        for e in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
            for marker in ["t(l, \"", "ta(l, \"", "t(lang, \"", "ta(lang, \""] {
                for piece in text.split(marker).skip(1) {
                    if let Some(id) = piece.split('"').next()
                        && !id.is_empty()
                        && id
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit())
                    {
                        out.insert(id.to_owned());
                    }
                }
            }
        }
        out
    }

    #[test]
    fn english_and_spanish_have_the_same_messages_and_every_used_one() {
        let en = ids(source(Lang::En));
        let es = ids(source(Lang::Es));
        assert!(en.len() > 50, "{}", en.len());
        let only_en: Vec<_> = en.difference(&es).collect();
        let only_es: Vec<_> = es.difference(&en).collect();
        assert!(only_en.is_empty(), "missing in es.ftl: {only_en:?}");
        assert!(only_es.is_empty(), "missing in en.ftl: {only_es:?}");
        let missing: Vec<_> = used().into_iter().filter(|id| !en.contains(id)).collect();
        assert!(
            missing.is_empty(),
            "used but not in the catalogues: {missing:?}"
        );
        for l in Lang::ALL {
            for id in &en {
                assert!(bundles()[l.index()].has_message(id), "{id} not in {l:?}");
            }
        }
    }

    #[test]
    fn language_from_account_then_header_then_english() {
        assert_eq!(Lang::choose(Some("es"), Some("en")), Lang::Es);
        assert_eq!(
            Lang::choose(None, Some("fr-FR, es;q=0.8, en;q=0.5")),
            Lang::Es
        );
        assert_eq!(Lang::choose(None, Some("es-MX")), Lang::Es);
        assert_eq!(Lang::choose(None, Some("fr")), Lang::En);
        assert_eq!(Lang::choose(Some("xx"), None), Lang::En);
    }

    #[test]
    fn dates_and_numbers_per_language() {
        let ms = 1_796_220_300_000; // 2026-12-02 14:05 UTC
        assert_eq!(datetime(Lang::En, ms), "2026-12-02 14:05 UTC");
        assert_eq!(datetime(Lang::Es, ms), "02/12/2026 14:05 UTC");
        assert_eq!(number(Lang::En, 1234567.5), "1,234,567.50");
        assert_eq!(number(Lang::Es, 1234567.5), "1.234.567,50");
        assert_eq!(number(Lang::Es, 900.0), "900");
    }
}

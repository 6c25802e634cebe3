//! The questionnaire's licence choices and their canonical URLs.

/// `(choice as the frontend offers it, canonical URL)`.
const LICENSES: [(&str, &str); 7] = [
    ("CC BY", "https://creativecommons.org/licenses/by/4.0/"),
    (
        "CC BY-SA",
        "https://creativecommons.org/licenses/by-sa/4.0/",
    ),
    (
        "CC BY-ND",
        "https://creativecommons.org/licenses/by-nd/4.0/",
    ),
    (
        "CC BY-NC",
        "https://creativecommons.org/licenses/by-nc/4.0/",
    ),
    (
        "CC BY-NC-SA",
        "https://creativecommons.org/licenses/by-nc-sa/4.0/",
    ),
    (
        "CC BY-NC-ND",
        "https://creativecommons.org/licenses/by-nc-nd/4.0/",
    ),
    ("CC0", "https://creativecommons.org/publicdomain/zero/1.0/"),
];

/// `"CC-BY 4.0"`, `"cc by"` and `"CC BY"` all become `"CCBY"`: spelling does not matter.
fn squash(s: &str) -> String {
    let s = s.trim().to_ascii_uppercase();
    let s = s.strip_suffix("4.0").unwrap_or(&s);
    let s = s.strip_suffix("1.0").unwrap_or(s);
    s.chars().filter(|c| c.is_ascii_alphanumeric()).collect()
}

/// The URL of a licence answer: a known choice maps to its Creative Commons URL, an answer
/// that is itself a URL stays as it is; anything else ("Others", free text) has none.
pub fn url_of(answer: &str) -> Option<String> {
    let a = answer.trim();
    if a.starts_with("https://") || a.starts_with("http://") {
        return Some(a.to_owned());
    }
    let key = squash(a);
    LICENSES
        .iter()
        .find(|(name, _)| squash(name) == key)
        .map(|(_, url)| (*url).to_owned())
}

/// The questionnaire answer for a licence URL: the choice's name for a Creative Commons
/// licence (any version, http or https), else the URL itself.
pub fn answer_of(url: &str) -> String {
    let norm = |u: &str| {
        let u = u.trim().trim_end_matches('/');
        let u = u
            .strip_prefix("https://")
            .or_else(|| u.strip_prefix("http://"))
            .unwrap_or(u);
        u.strip_prefix("www.").unwrap_or(u).to_ascii_lowercase()
    };
    let given = norm(url);
    for (name, canonical) in LICENSES {
        let c = norm(canonical);
        // Same licence, any version: compare up to the version segment.
        let stem = c.rsplit_once('/').map_or(c.as_str(), |(s, _)| s);
        if given == c || given.rsplit_once('/').is_some_and(|(s, _)| s == stem) {
            return name.to_owned();
        }
    }
    url.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_choices_to_urls_and_back() {
        assert_eq!(
            url_of("CC BY").as_deref(),
            Some("https://creativecommons.org/licenses/by/4.0/")
        );
        assert_eq!(
            url_of("cc-by-sa 4.0").as_deref(),
            Some("https://creativecommons.org/licenses/by-sa/4.0/")
        );
        assert_eq!(
            url_of("CC0").as_deref(),
            Some("https://creativecommons.org/publicdomain/zero/1.0/")
        );
        assert_eq!(url_of("Others"), None);
        assert_eq!(url_of(""), None);
        assert_eq!(
            answer_of("http://creativecommons.org/licenses/by/4.0/"),
            "CC BY"
        );
        assert_eq!(
            answer_of("https://creativecommons.org/licenses/by-sa/3.0"),
            "CC BY-SA"
        );
        assert_eq!(
            answer_of("https://creativecommons.org/publicdomain/zero/1.0/"),
            "CC0"
        );
        let mit = "http://opensource.org/licenses/mit-license.php";
        assert_eq!(answer_of(mit), mit);
        assert_eq!(url_of(mit).as_deref(), Some(mit));
    }
}

//! Validated values that arrive from users: names, e-mail addresses, passwords.

use std::fmt;

use super::InvalidValue;

/// A login name: 1 to 64 characters of letters, digits and `. _ - @`.
///
/// Two names are the same account name when their [folded](Username::folded) forms are
/// equal (Unicode NFKC and case folding): `ADMIN`, `Admin` and fullwidth `ａｄｍｉｎ` are all
/// `admin`. A new name must also be written in one script ([`Username::parse_new`]), so
/// `аlice` with a Cyrillic `а` cannot pose as `alice`.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Username(String);

impl Username {
    /// A name as given at login or found in a database: the shape is checked, nothing else.
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let s = s.trim();
        if s.is_empty() {
            return Err(InvalidValue("username must not be empty".into()));
        }
        if s.chars().nth(64).is_some() {
            return Err(InvalidValue(
                "username must be at most 64 characters".into(),
            ));
        }
        if let Some(c) = s
            .chars()
            .find(|c| !(c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')))
        {
            return Err(InvalidValue(format!(
                "username may hold letters, digits and . _ - @ only, not {c:?}"
            )));
        }
        Ok(Self(s.to_owned()))
    }

    /// A name for a new account: as [`Username::parse`], kept in Unicode NFKC form, and in
    /// one script (digits and `. _ - @` go with any).
    pub fn parse_new(s: &str) -> Result<Self, InvalidValue> {
        use unicode_normalization::UnicodeNormalization;
        use unicode_security::MixedScript;
        let given = Self::parse(s)?;
        let name = Self::parse(&given.0.nfkc().collect::<String>())?;
        if !name.0.as_str().is_single_script() {
            return Err(InvalidValue(format!(
                "username '{}' mixes scripts (for example Latin and Cyrillic letters); write it in one script",
                name.0
            )));
        }
        Ok(name)
    }

    /// The form under which names are unique and looked up (see [`fold`]).
    pub fn folded(&self) -> String {
        fold(&self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Unicode compatibility caseless form: NFKC, full case folding (`ß` is `ss`, a final `ς` is
/// `σ`), NFKC again (folding can leave a string that is not normalised).
pub fn fold(name: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let folded = caseless::default_case_fold_str(&name.nfkc().collect::<String>());
    folded.nfkc().collect()
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail address of plausible shape (`local@domain.tld`, no spaces, at most 254 bytes).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Email(String);

impl Email {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let s = s.trim();
        let invalid = || InvalidValue(format!("'{s}' is not a valid e-mail address"));
        if s.chars().count() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = s.split_once('@').ok_or_else(invalid)?;
        if local.is_empty()
            || domain.contains('@')
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
            || domain.contains("..")
        {
            return Err(invalid());
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: not empty, at most 1024 bytes (argon2 input stays bounded).
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        if s.is_empty() {
            return Err(InvalidValue("password must not be empty".into()));
        }
        if s.len() > 1024 {
            return Err(InvalidValue("password must be at most 1024 bytes".into()));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A project name: 1 to 200 characters, no control characters.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ProjectName(String);

impl ProjectName {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let s = s.trim();
        if s.is_empty() {
            return Err(InvalidValue("project name must not be empty".into()));
        }
        if s.chars().count() > 200 || s.chars().any(char::is_control) {
            return Err(InvalidValue(
                "project name must be at most 200 characters, without control characters".into(),
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!(Username::parse("maria.lopez").is_ok());
        assert!(Username::parse("").is_err());
        assert!(Username::parse("a b").is_err());
        assert!(Username::parse("x/y").is_err());
        assert!(Username::parse(&"a".repeat(64)).is_ok());
        assert!(Username::parse(&"a".repeat(65)).is_err());
    }

    #[test]
    fn look_alike_names_fold_together_and_mixed_scripts_are_refused() {
        let admin = Username::parse_new("admin").unwrap();
        assert_eq!(fold("stra\u{df}e"), fold("STRASSE"));
        assert_eq!(
            fold("\u{3bb}\u{3cc}\u{3b3}\u{3bf}\u{3c2}"),
            fold("\u{39b}\u{38c}\u{393}\u{39f}\u{3a3}")
        );
        for alike in ["ADMIN", "Admin", "\u{ff41}\u{ff44}\u{ff4d}\u{ff49}\u{ff4e}"] {
            assert_eq!(
                Username::parse(alike).unwrap().folded(),
                admin.folded(),
                "{alike}"
            );
        }
        // Fullwidth letters become their plain form in a new name.
        assert_eq!(
            Username::parse_new("\u{ff41}\u{ff44}\u{ff4d}\u{ff49}\u{ff4e}")
                .unwrap()
                .as_str(),
            "admin"
        );
        // A Cyrillic а among Latin letters.
        assert!(Username::parse_new("\u{430}lice").is_err());
        // One script is fine, whichever it is; digits and punctuation go with any.
        assert!(Username::parse_new("\u{430}\u{43b}\u{438}\u{441}\u{430}").is_ok());
        assert!(Username::parse_new("maria.lopez-2").is_ok());
        assert!(Username::parse_new("\u{7530}\u{4e2d}_1").is_ok());
    }

    #[test]
    fn emails() {
        assert!(Email::parse("a@example.org").is_ok());
        for bad in [
            "",
            "a",
            "a@b",
            "@b.org",
            "a@@b.org",
            "a b@c.org",
            "a@.org",
            "a@b..org",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords() {
        assert!(Password::parse("").is_err());
        assert!(Password::parse("x").is_ok());
        assert_eq!(
            format!("{:?}", Password::parse("secret").unwrap()),
            "Password(<redacted>)"
        );
    }
}

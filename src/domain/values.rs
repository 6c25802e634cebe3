//! Validated values that arrive from users: names, e-mail addresses, passwords.

use std::fmt;

use super::InvalidValue;

/// A login name: 1 to 64 characters of letters, digits and `. _ - @`.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Username(String);

impl Username {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let s = s.trim();
        if s.is_empty() {
            return Err(InvalidValue("username must not be empty".into()));
        }
        if s.chars().count() > 64 {
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

    pub fn as_str(&self) -> &str {
        &self.0
    }
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

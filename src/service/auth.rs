//! Logging in and out, refreshing, changing passwords, and turning a token into a `Caller`.

use std::net::IpAddr;

use rand::RngCore;

use super::error::{Result, ServiceError};
use super::tokens::{Claims, TokenKind, parse_sid};
use super::{Caller, Services, passwords};
use crate::domain::time::now_millis;
use crate::domain::{UserId, Username};
use crate::store::{ReadTx, meta, projects, sessions, users};

/// What a successful login returns.
#[derive(Debug, Clone)]
pub struct LoginOutcome {
    pub user_id: UserId,
    pub username: String,
    pub email: Option<String>,
    pub admin: bool,
    pub projects: Vec<ProjectInfo>,
    pub tokens: TokenPair,
}

#[derive(Debug, Clone)]
pub struct ProjectInfo {
    pub name: String,
    pub description: String,
}

#[derive(Debug, Clone)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
}

fn unauthorized(msg: &str) -> ServiceError {
    ServiceError::Unauthorized(msg.into())
}

impl Services {
    /// Checks a username and password. Unknown users cost the same work as a wrong password
    /// and get the same answer; repeated failures are throttled. Blocks for one argon2 hash.
    pub fn login(
        &self,
        username: &str,
        password: &str,
        client: Option<IpAddr>,
    ) -> Result<LoginOutcome> {
        // A name that no account can have costs nothing more: no throttle entry, no hash.
        let username = Username::parse(username)?;
        let key = username.folded();
        if let Some(retry_after) = self.throttle.check(&key, client) {
            return Err(ServiceError::Throttled { retry_after });
        }
        let found = self.store.read(|tx| {
            let Some(id) = users::id_by_name(tx, username.as_str())? else {
                return Ok::<_, ServiceError>(None);
            };
            Ok(users::get(tx, id)?.map(|rec| (id, rec)))
        })?;
        let ok = self.passwords.verify(
            found.as_ref().map(|(_, r)| r.password_hash.as_str()),
            password,
        );
        let Some((id, found)) = found.filter(|_| ok) else {
            self.throttle.failure(&key, client);
            return Err(unauthorized("wrong username or password"));
        };
        self.throttle.success(&key, client);
        if passwords::is_legacy(&found.password_hash) {
            self.upgrade_hash(id, &found.password_hash, password)?;
        }
        let (rec, projects, ep) = self.store.read(|tx| {
            let rec =
                users::get(tx, id)?.ok_or_else(|| unauthorized("wrong username or password"))?;
            Ok::<_, ServiceError>((rec, project_infos(tx, id)?, meta::epoch(tx)?))
        })?;
        let tokens = self.issue_session(UserId(id), &rec.username, (rec.token_gen, ep))?;
        Ok(LoginOutcome {
            user_id: UserId(id),
            username: rec.username,
            email: rec.email,
            admin: rec.admin,
            projects,
            tokens,
        })
    }

    /// Replaces an imported legacy hash by argon2id after a successful login (unless it
    /// changed meanwhile). The user's tokens stay valid: the password is the same.
    fn upgrade_hash(&self, id: u64, legacy: &str, password: &str) -> Result<()> {
        let hash = passwords::hash(password)?;
        let upgraded = self.store.write(|tx| {
            if let Some(mut rec) = users::get(tx, id)?
                && rec.password_hash == legacy
            {
                rec.password_hash = hash.clone();
                rec.updated = now_millis();
                users::update(tx, id, &rec)?;
                return Ok(Some(rec.username));
            }
            Ok::<_, ServiceError>(None)
        })?;
        if let Some(user) = upgraded {
            tracing::info!(%user, "replaced a legacy password hash by argon2id");
        }
        Ok(())
    }

    /// Claims of a new token; `(gen, ep)` are the user's token generation and the epoch.
    fn claims(
        &self,
        user: UserId,
        name: &str,
        (r#gen, ep): (u64, u64),
        kind: TokenKind,
        sid: &str,
    ) -> Claims {
        let now = self.now_secs();
        let ttl = match kind {
            TokenKind::Access => self.settings.access_ttl,
            TokenKind::Refresh => self.settings.refresh_ttl,
        };
        let mut jti = [0u8; 12];
        rand::rng().fill_bytes(&mut jti);
        Claims {
            sub: user.0.to_string(),
            name: name.to_owned(),
            typ: kind,
            sid: sid.to_owned(),
            r#gen,
            ep,
            iat: now,
            exp: now + ttl,
            jti: hex::encode(jti),
        }
    }

    /// A new session's tokens; `(gen, ep)` as for [`Services::claims`], read by the caller
    /// in the transaction that checked the account.
    fn issue_session(
        &self,
        user: UserId,
        name: &str,
        (r#gen, ep): (u64, u64),
    ) -> Result<TokenPair> {
        let mut sid = [0u8; 16];
        rand::rng().fill_bytes(&mut sid);
        let sid = hex::encode(sid);
        Ok(TokenPair {
            access_token: self.tokens.sign(&self.claims(
                user,
                name,
                (r#gen, ep),
                TokenKind::Access,
                &sid,
            ))?,
            refresh_token: self.tokens.sign(&self.claims(
                user,
                name,
                (r#gen, ep),
                TokenKind::Refresh,
                &sid,
            ))?,
        })
    }

    /// Checks a token's signature, algorithm, expiry and kind. Pure computation: the
    /// session and the user are checked by [`Services::caller`].
    pub fn verify_token(&self, token: &str, expected: TokenKind) -> Result<Claims> {
        let claims = self.tokens.verify(token, self.now_secs())?;
        if claims.typ != expected {
            return Err(match expected {
                TokenKind::Access => unauthorized("a refresh token is accepted only at /refresh"),
                TokenKind::Refresh => unauthorized("a refresh token is required here"),
            });
        }
        Ok(claims)
    }

    /// The caller behind verified claims: the session must not be logged out, the user must
    /// still exist and the password must not have changed since the token was issued.
    pub fn caller(&self, claims: &Claims) -> Result<Caller> {
        let sid = parse_sid(&claims.sid)?;
        let id: u64 = claims
            .sub
            .parse()
            .map_err(|_| unauthorized("invalid token"))?;
        self.store.read(|tx| {
            if claims.ep != meta::epoch(tx)? {
                return Err(unauthorized(
                    "the database was restored, imported or reset since this token was issued; log in again",
                ));
            }
            if sessions::is_revoked(tx, sid)? {
                return Err(unauthorized("token has been revoked; log in again"));
            }
            let rec =
                users::get(tx, id)?.ok_or_else(|| unauthorized("the account no longer exists"))?;
            if rec.token_gen != claims.r#gen {
                return Err(unauthorized(
                    "the password has changed since this token was issued; log in again",
                ));
            }
            Ok(Caller {
                id: UserId(id),
                username: rec.username,
                admin: rec.admin,
            })
        })
    }

    /// Verifies a token of the expected kind completely (see the two functions above).
    pub fn authenticate(&self, token: &str, expected: TokenKind) -> Result<(Caller, Claims)> {
        let claims = self.verify_token(token, expected)?;
        Ok((self.caller(&claims)?, claims))
    }

    /// A new access token for the session of verified refresh-token claims.
    pub fn refresh(&self, claims: &Claims) -> Result<(Caller, String)> {
        if claims.typ != TokenKind::Refresh {
            return Err(unauthorized("a refresh token is required here"));
        }
        let caller = self.caller(claims)?;
        let access = self.tokens.sign(&self.claims(
            caller.id,
            &caller.username,
            (claims.r#gen, claims.ep),
            TokenKind::Access,
            &claims.sid,
        ))?;
        Ok((caller, access))
    }

    /// Revokes the session of these claims: its access and refresh tokens stop working, and
    /// stay revoked across restarts.
    pub fn logout(&self, claims: &Claims) -> Result<()> {
        let sid = parse_sid(&claims.sid)?;
        let now = self.now_secs();
        let until = now + self.settings.refresh_ttl.max(self.settings.access_ttl);
        self.store.write(|tx| {
            sessions::revoke(tx, sid, until)?;
            sessions::purge_expired(tx, now)?;
            Ok::<_, ServiceError>(())
        })
    }

    /// The CSRF token of a session (the web editor's forms and scripts send it back): a MAC
    /// of the session id under the server secret, so it needs no storage and dies with it.
    pub fn csrf_token(&self, claims: &Claims) -> String {
        self.links.mac("csrf", &claims.sid)
    }

    /// Whether `given` is the CSRF token of the session of `claims` (constant time).
    pub fn check_csrf(&self, claims: &Claims, given: &str) -> bool {
        let want = self.csrf_token(claims);
        want.len() == given.len()
            && want
                .bytes()
                .zip(given.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }

    /// Forgets revocations whose sessions have expired anyway (run at start-up).
    pub fn purge_expired_sessions(&self) -> Result<usize> {
        self.store
            .write(|tx| Ok(sessions::purge_expired(tx, self.now_secs())?))
    }

    /// Sets a new password for the caller, who must give the current one (a stolen token
    /// alone cannot take the account over; wrong guesses are throttled like logins). Every
    /// token issued before stops working; a new session is returned so the caller stays
    /// logged in. Blocks for one or two argon2 hashes.
    pub fn change_password(
        &self,
        caller: &Caller,
        current: &str,
        new_password: &str,
        client: Option<IpAddr>,
    ) -> Result<TokenPair> {
        let new_password = crate::domain::Password::parse(new_password)?;
        let key = crate::domain::values::fold(&caller.username);
        if let Some(retry_after) = self.throttle.check_strict(&key, client) {
            return Err(ServiceError::Throttled { retry_after });
        }
        let (stored, ep) = self.store.read(|tx| {
            let rec = users::get(tx, caller.id.0)?;
            Ok::<_, ServiceError>((rec, meta::epoch(tx)?))
        })?;
        let stored = stored.ok_or_else(|| unauthorized("the account no longer exists"))?;
        if !passwords::verify(&stored.password_hash, current) {
            self.throttle.failure(&key, client);
            return Err(ServiceError::Forbidden(
                "the current password is wrong; nothing was changed".into(),
            ));
        }
        self.throttle.success(&key, client);
        let new_password = new_password.as_str();
        let r#gen = self.replace_password(caller.id.0, new_password, || {
            unauthorized("the account no longer exists")
        })?;
        self.issue_session(caller.id, &caller.username, (r#gen, ep))
    }
}

/// The projects of a user, in the order they were created (the first is the default).
pub fn project_infos(tx: &impl ReadTx, user: u64) -> Result<Vec<ProjectInfo>> {
    let mut out = Vec::new();
    for pid in projects::projects_of(tx, user)? {
        if let Some(p) = projects::get(tx, pid)? {
            out.push(ProjectInfo {
                name: p.name,
                description: p.description,
            });
        }
    }
    Ok(out)
}

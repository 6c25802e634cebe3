//! The RDA Common maDMP API (1.0.0: maDMP 1.3, and 1.2 by negotiation) at `/rda`: list,
//! create, read, overwrite and delete the caller's DMPs as maDMP documents, with the same
//! bearer tokens as the rest of the API. DMPs made here are ordinary DMPs, and every DMP
//! is readable here.

pub mod errors;
pub mod negotiate;

use std::time::{Duration, UNIX_EPOCH};

use chrono::{DateTime, FixedOffset};
use poem::Request;
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, Tags};
use serde_json::Value;

use super::ApiState;
use super::security::Authed;
use crate::domain::Precondition;
use crate::domain::time::iso8601;
use crate::service::madmp::{MadmpDoc, MadmpQuery, SortKey};
pub use errors::{RdaError, RdaErrorBody};

/// The description of the RDA API's own OpenAPI document.
pub const SPEC_DESCRIPTION: &str = "The RDA Common maDMP API 1.0.0 as dmptool serves it: the caller's DMPs as \
     maDMP documents. Responses are `application/vnd.org.rd-alliance.dmp-common.v1.3+json` \
     (maDMP 1.3) unless `Accept` prefers `application/vnd.org.rd-alliance.dmp-common.v1.2+json` \
     (maDMP 1.2) or `application/json` (1.3, or the `version` asked for); `?version=1.2` asks \
     for 1.2 too. Anything else is 406. Bodies may be sent in any of those types (a v1.2 body is \
     checked against the 1.2 schema, others against 1.3). Authenticate with `Authorization: \
     Bearer <token>` (from dmptool's `GET /login`). Errors are `{error_code, error_message}`. \
     Decisions where the 1.0.0 CHANGELOG is silent are listed in dmptool's docs/madmp.md.";

#[derive(Tags)]
enum RdaTags {
    /// The RDA Common maDMP API 1.0.0: the caller's DMPs as maDMP 1.3 documents (1.2 by
    /// content negotiation or `?version=1.2`). See the description of `/rda/openapi.json`.
    Rda,
}

/// A maDMP version a client can ask for with `?version=`.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename = "RdaVersion")]
pub enum VersionParam {
    #[oai(rename = "1.2")]
    V1_2,
    #[oai(rename = "1.3")]
    V1_3,
}

/// `Last-Modified` spelling: an HTTP date (RFC 9110, whole seconds).
pub fn http_date(millis: i64) -> String {
    let t = UNIX_EPOCH + Duration::from_millis(u64::try_from(millis).unwrap_or(0));
    httpdate::fmt_http_date(t)
}

/// A DMP with its system id.
#[derive(Object, Debug)]
#[oai(rename = "RdaDmpWithId")]
pub struct DmpWithId {
    /// The DMP's id in this system (as in `/dmps/{id}`); `dmp.dmp_id` is its
    /// system-independent identifier.
    pub id: String,
    /// The maDMP `dmp` object; it validates against the official schema of the version
    /// served (maDMP-schema-1.3.json, or -1.2.json when 1.2 was negotiated).
    pub dmp: Value,
}

impl From<MadmpDoc> for DmpWithId {
    fn from(d: MadmpDoc) -> Self {
        let dmp = match d.doc {
            Value::Object(mut o) => o.remove("dmp").unwrap_or(Value::Null),
            _ => Value::Null,
        };
        DmpWithId {
            id: d.id.to_string(),
            dmp,
        }
    }
}

/// A page of DMPs.
#[derive(Object, Debug)]
#[oai(rename = "RdaDmpList")]
pub struct DmpListBody {
    /// How many DMPs match the filters (all pages).
    pub total_count: u64,
    pub items: Vec<DmpWithId>,
}

#[derive(ApiResponse)]
pub enum RdaOne {
    /// The DMP. `Last-Modified` (an RFC 3339 date-time, as this API declares it) and `ETag`
    /// serve a later conditional `PUT` or `DELETE`.
    #[oai(status = 200)]
    Ok(
        Json<DmpWithId>,
        #[oai(header = "Last-Modified")] String,
        #[oai(header = "ETag")] String,
    ),
}

#[derive(ApiResponse)]
pub enum RdaList {
    /// The caller's DMPs that match, in the order asked for.
    #[oai(status = 200)]
    Ok(Json<DmpListBody>),
}

#[derive(ApiResponse)]
pub enum RdaDeleted {
    /// Deleted, with its tasks and generated documents.
    #[oai(status = 204)]
    Deleted,
}

/// How `GET /rda/dmps` orders its items.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename = "RdaSort")]
pub enum SortParam {
    #[oai(rename = "title,asc")]
    TitleAsc,
    #[oai(rename = "title,desc")]
    TitleDesc,
    #[oai(rename = "created,asc")]
    CreatedAsc,
    #[oai(rename = "created,desc")]
    CreatedDesc,
    #[oai(rename = "modified,asc")]
    ModifiedAsc,
    #[oai(rename = "modified,desc")]
    ModifiedDesc,
    #[oai(rename = "language,asc")]
    LanguageAsc,
    #[oai(rename = "language,desc")]
    LanguageDesc,
    #[oai(rename = "embargo,asc")]
    EmbargoAsc,
    #[oai(rename = "embargo,desc")]
    EmbargoDesc,
    #[oai(rename = "keyword,asc")]
    KeywordAsc,
    #[oai(rename = "keyword,desc")]
    KeywordDesc,
}

impl SortParam {
    fn key(self) -> (SortKey, bool) {
        use SortParam as S;
        match self {
            S::TitleAsc => (SortKey::Title, false),
            S::TitleDesc => (SortKey::Title, true),
            S::CreatedAsc => (SortKey::Created, false),
            S::CreatedDesc => (SortKey::Created, true),
            S::ModifiedAsc => (SortKey::Modified, false),
            S::ModifiedDesc => (SortKey::Modified, true),
            S::LanguageAsc => (SortKey::Language, false),
            S::LanguageDesc => (SortKey::Language, true),
            S::EmbargoAsc => (SortKey::Embargo, false),
            S::EmbargoDesc => (SortKey::Embargo, true),
            S::KeywordAsc => (SortKey::Keyword, false),
            S::KeywordDesc => (SortKey::Keyword, true),
        }
    }
}

fn one(d: MadmpDoc) -> RdaOne {
    // The RDA API declares Last-Modified a date-time (RFC 3339), not an HTTP date; a
    // client written against it parses it so. Milliseconds also make it exact.
    let modified = iso8601(d.modified);
    let etag = d.etag();
    RdaOne::Ok(Json(d.into()), modified, etag)
}

/// Reads `If-Match` and `If-Unmodified-Since` (a date-time, as this API declares it and
/// as its `Last-Modified` is written; compared to the millisecond).
fn precondition(
    if_match: Option<String>,
    unmodified_since: Option<DateTime<FixedOffset>>,
) -> Precondition {
    Precondition {
        unmodified_since: unmodified_since.map(|t| t.timestamp_millis()),
        ..Precondition::from_if_match(if_match)
    }
}

fn millis(t: Option<DateTime<FixedOffset>>) -> Option<i64> {
    t.map(|t| t.timestamp_millis())
}

pub struct RdaApi;

#[OpenApi(prefix_path = "/rda", tag = "RdaTags::Rda")]
impl RdaApi {
    /// List and search the caller's DMPs. All filters apply together; a list filter
    /// matches any of its values. `*_before`/`*_after` are exclusive.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/dmps", method = "get", operation_id = "listDMPs")]
    async fn list(
        &self,
        state: Data<&ApiState>,
        req: &Request,
        auth: Authed,
        /// The maDMP version to answer in (default 1.3; see content negotiation).
        #[oai(name = "version")]
        _version: Query<Option<VersionParam>>,
        /// Number of items to skip from the start.
        #[oai(
            default,
            validator(minimum(value = "0"), maximum(value = "1000000000"))
        )]
        offset: Query<u64>,
        /// Number of items to fetch (1 to 100).
        #[oai(
            default = "default_count",
            validator(minimum(value = "1"), maximum(value = "100"))
        )]
        count: Query<u32>,
        /// Fields to sort by with the order; the first is the most significant
        /// (default `created,desc`).
        #[oai(name = "sort[]")]
        sort: Query<Vec<SortParam>>,
        created_before: Query<Option<DateTime<FixedOffset>>>,
        created_after: Query<Option<DateTime<FixedOffset>>>,
        modified_before: Query<Option<DateTime<FixedOffset>>>,
        modified_after: Query<Option<DateTime<FixedOffset>>>,
        /// ISO 639-3 language codes.
        #[oai(name = "languages[]")]
        languages: Query<Vec<LanguageCode>>,
        #[oai(name = "contact_ids[]")] contact_ids: Query<Vec<String>>,
        #[oai(name = "contributor_ids[]")] contributor_ids: Query<Vec<String>>,
        #[oai(name = "dataset_ids[]")] dataset_ids: Query<Vec<String>>,
        #[oai(name = "metadata_standard_ids[]")] metadata_standard_ids: Query<Vec<String>>,
        #[oai(name = "dmp_ids[]")] dmp_ids: Query<Vec<String>>,
        #[oai(name = "funder_ids[]")] funder_ids: Query<Vec<String>>,
        #[oai(name = "grant_ids[]")] grant_ids: Query<Vec<String>>,
        /// Text to find (case-insensitive) in the title or description.
        query: Query<Option<String>>,
        ethical_issues_exist: Query<Option<bool>>,
        /// Embargo (the licence start date after the plan's creation) before this date
        /// (`YYYY-MM-DD`).
        #[oai(validator(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
        embargo_before: Query<Option<String>>,
        /// Embargo after this date (`YYYY-MM-DD`).
        #[oai(validator(pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))]
        embargo_after: Query<Option<String>>,
        /// The DMP's `alternate_identifier`s, or its URL on this server.
        #[oai(name = "dmp_alternate_identifier[]")]
        dmp_alternate_identifier: Query<Vec<String>>,
        /// Any dataset's `personal_data`.
        #[oai(name = "dataset_personal_data[]")]
        dataset_personal_data: Query<Vec<YesNoUnknown>>,
        /// Any dataset's `sensitive_data`.
        #[oai(name = "dataset_sensitive_data[]")]
        dataset_sensitive_data: Query<Vec<YesNoUnknown>>,
        /// Any distribution's `format` (as the document writes it, e.g. a media type).
        #[oai(name = "distribution_formats[]")]
        distribution_formats: Query<Vec<String>>,
        /// Any distribution's `data_access` (`shared` and `restricted` are the same).
        #[oai(name = "distribution_data_access[]")]
        distribution_data_access: Query<Vec<DataAccess>>,
        /// Any host's `host_id.identifier` (e.g. a re3data id) or `url`.
        #[oai(name = "host_ids[]")]
        host_ids: Query<Vec<String>>,
        /// Any host's `title` (case-insensitive, whole title).
        #[oai(name = "host_titles[]")]
        host_titles: Query<Vec<String>>,
        /// Any licence's `license_ref`.
        #[oai(name = "license_refs[]")]
        license_refs: Query<Vec<String>>,
    ) -> Result<RdaList, RdaError> {
        let q = MadmpQuery {
            offset: usize::try_from(offset.0).unwrap_or(usize::MAX),
            count: count.0 as usize,
            sort: sort.0.iter().map(|s| s.key()).collect(),
            created_after: millis(created_after.0),
            created_before: millis(created_before.0),
            modified_after: millis(modified_after.0),
            modified_before: millis(modified_before.0),
            languages: languages.0.into_iter().map(|l| l.0).collect(),
            contact_ids: contact_ids.0,
            contributor_ids: contributor_ids.0,
            dataset_ids: dataset_ids.0,
            metadata_standard_ids: metadata_standard_ids.0,
            dmp_ids: dmp_ids.0,
            funder_ids: funder_ids.0,
            grant_ids: grant_ids.0,
            query: query.0.filter(|s| !s.trim().is_empty()),
            ethical_issues_exist: ethical_issues_exist.0,
            // Dates compare as text (YYYY-MM-DD sorts by time), so any value of that
            // shape is a usable bound.
            embargo_before: embargo_before.0,
            embargo_after: embargo_after.0,
            dmp_alternate_identifiers: dmp_alternate_identifier.0,
            dataset_personal_data: dataset_personal_data
                .0
                .iter()
                .map(|v| v.as_str().to_owned())
                .collect(),
            dataset_sensitive_data: dataset_sensitive_data
                .0
                .iter()
                .map(|v| v.as_str().to_owned())
                .collect(),
            distribution_formats: distribution_formats.0,
            distribution_data_access: distribution_data_access
                .0
                .iter()
                .map(|v| v.as_str().to_owned())
                .collect(),
            host_ids: host_ids.0,
            host_titles: host_titles.0,
            license_refs: license_refs.0,
        };
        let served = state.served(req);
        let page = state
            .run(move |s| s.list_madmp(&auth.0, &q, &served))
            .await
            .map_err(|e| RdaError::from_api(e, true))?;
        Ok(RdaList::Ok(Json(DmpListBody {
            total_count: page.total,
            items: page.items.into_iter().map(DmpWithId::from).collect(),
        })))
    }

    /// Create (import) a DMP from a maDMP document (1.3; 1.2 when sent as the v1.2 type);
    /// it becomes an ordinary DMP of the caller's, kept in 1.3 form (`shared` becomes
    /// `restricted`). `dmp.modified` is set by the server. A `dmp_id` that is already one
    /// of the caller's DMPs' is 409 `dmp_already_exists`.
    #[oai(path = "/dmps", method = "post", operation_id = "createDMP")]
    async fn create(
        &self,
        state: Data<&ApiState>,
        req: &Request,
        auth: Authed,
        /// The maDMP version to answer in (default 1.3; see content negotiation).
        #[oai(name = "version")]
        _version: Query<Option<VersionParam>>,
        body: Json<Value>,
    ) -> Result<RdaOne, RdaError> {
        let served = crate::service::madmp::Served {
            unique_dmp_id: true,
            ..state.served(req)
        };
        let d = state
            .run(move |s| s.import_madmp(&auth.0, body.0, &served))
            .await?;
        Ok(one(d))
    }

    /// One of the caller's DMPs.
    #[oai(path = "/dmps/:id", method = "get", operation_id = "getDMP")]
    async fn get(
        &self,
        state: Data<&ApiState>,
        req: &Request,
        auth: Authed,
        id: Path<String>,
        /// The maDMP version to answer in (default 1.3; see content negotiation).
        #[oai(name = "version")]
        _version: Query<Option<VersionParam>>,
    ) -> Result<RdaOne, RdaError> {
        let served = state.served(req);
        let d = state
            .run(move |s| s.get_own_madmp(&auth.0, &id.0, &served))
            .await?;
        Ok(one(d))
    }

    /// Overwrite one of the caller's DMPs with a maDMP document. With `If-Match` (an
    /// `ETag` from an earlier response) or `If-Unmodified-Since` (a `Last-Modified`), a DMP
    /// changed since is not overwritten: 409 `dmp_stale`. `dmp.modified` is set by the
    /// server.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/dmps/:id", method = "put", operation_id = "putDMP")]
    async fn put(
        &self,
        state: Data<&ApiState>,
        req: &Request,
        auth: Authed,
        id: Path<String>,
        /// The maDMP version to answer in (default 1.3; see content negotiation).
        #[oai(name = "version")]
        _version: Query<Option<VersionParam>>,
        /// `ETag`s of an earlier response: the DMP is overwritten only if one is still
        /// current (`*`: any); else 409 `dmp_stale`.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        /// A `Last-Modified` of an earlier response (RFC 3339): the DMP is overwritten
        /// only if unchanged since; else 409 `dmp_stale`.
        #[oai(name = "If-Unmodified-Since")]
        if_unmodified_since: Header<Option<DateTime<FixedOffset>>>,
        body: Json<Value>,
    ) -> Result<RdaOne, RdaError> {
        let pre = precondition(if_match.0, if_unmodified_since.0);
        let served = state.served(req);
        let d = state
            .run(move |s| {
                let c = &auth.0;
                s.replace_madmp(c, &id.0, body.0, &pre, &served)
            })
            .await?;
        Ok(one(d))
    }

    /// Delete one of the caller's DMPs with its tasks and documents. `If-Match` and
    /// `If-Unmodified-Since` are honoured as for `PUT` (409 `dmp_stale`).
    #[oai(path = "/dmps/:id", method = "delete", operation_id = "deleteDMP")]
    async fn delete(
        &self,
        state: Data<&ApiState>,
        auth: Authed,
        id: Path<String>,
        #[oai(name = "If-Match")] if_match: Header<Option<String>>,
        #[oai(name = "If-Unmodified-Since")] if_unmodified_since: Header<
            Option<DateTime<FixedOffset>>,
        >,
    ) -> Result<RdaDeleted, RdaError> {
        let pre = precondition(if_match.0, if_unmodified_since.0);
        state
            .run(move |s| s.delete_own_dmp(&auth.0, &id.0, &pre))
            .await?;
        Ok(RdaDeleted::Deleted)
    }
}

/// `yes`, `no` or `unknown`, as the standard writes them.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename = "RdaYesNoUnknown", rename_all = "lowercase")]
pub enum YesNoUnknown {
    Yes,
    No,
    Unknown,
}

impl YesNoUnknown {
    fn as_str(self) -> &'static str {
        match self {
            YesNoUnknown::Yes => "yes",
            YesNoUnknown::No => "no",
            YesNoUnknown::Unknown => "unknown",
        }
    }
}

/// A distribution's `data_access` (maDMP 1.3; `shared` is deprecated for `restricted`).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename = "RdaDataAccess", rename_all = "lowercase")]
pub enum DataAccess {
    Open,
    Restricted,
    Closed,
    Shared,
}

impl DataAccess {
    fn as_str(self) -> &'static str {
        match self {
            DataAccess::Open => "open",
            DataAccess::Restricted => "restricted",
            DataAccess::Closed => "closed",
            DataAccess::Shared => "shared",
        }
    }
}

fn default_count() -> u32 {
    20
}

/// An ISO 639-3 language code from the maDMP schema's list (documented as that enum).
#[derive(Debug, Clone)]
pub struct LanguageCode(pub String);

super::scalars::string_type!(
    LanguageCode,
    "RdaLanguageCode",
    MetaSchema {
        enum_items: crate::madmp::schema::languages()
            .iter()
            .map(|l| Value::String(l.clone()))
            .collect(),
        ..MetaSchema::new("string")
    }
);

impl poem_openapi::types::ParseFromParameter for LanguageCode {
    fn parse_from_parameter(value: &str) -> poem_openapi::types::ParseResult<Self> {
        if crate::madmp::schema::is_language(value) {
            Ok(LanguageCode(value.to_owned()))
        } else {
            Err(poem_openapi::types::ParseError::custom(format!(
                "'{value}' is not an ISO 639-3 code of the maDMP schema"
            )))
        }
    }
}

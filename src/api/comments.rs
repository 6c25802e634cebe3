//! `/dmps/{id}/comments`: threads of comments on a plan, a question or a dataset.

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, Tags};

use super::ApiState;
use super::error::ApiError;
use super::scalars::{HexId, Text};
use super::security::Authed;
use crate::domain::DmpId;
use crate::domain::time::iso8601;
use crate::service::ServiceError;
use crate::service::comments::{CommentView, NewComment, Thread, ThreadFilter, parse_anchor};
use crate::store::comments::Anchor;

#[derive(Tags)]
enum CommentTags {
    /// Comments on a plan, its questions and datasets, in threads.
    Comments,
}

/// What a thread is about.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum AnchorKind {
    /// The plan as a whole.
    Plan,
    /// A question of the plan's template (`question` names it).
    Question,
    /// A dataset of the plan (`dataset` names its `id`).
    Dataset,
}

/// One comment.
#[derive(Object)]
pub struct Comment {
    pub id: String,
    /// The author's username.
    pub author: String,
    pub created: String,
    /// Changes when the thread is resolved or reopened.
    pub updated: String,
    pub anchor: AnchorKind,
    /// The template question's id, for a comment on a question.
    #[oai(skip_serializing_if_is_none)]
    pub question: Option<String>,
    /// The dataset's `id`, for a comment on a dataset.
    #[oai(skip_serializing_if_is_none)]
    pub dataset: Option<String>,
    /// Plain text or the plan model's Markdown subset.
    pub text: String,
    /// For a reply: the id of its thread's first comment.
    #[oai(skip_serializing_if_is_none)]
    pub thread: Option<String>,
    /// The plan's revision when the comment was made.
    pub revision: u64,
    /// Whether the thread is resolved (on a thread's first comment).
    pub resolved: bool,
    /// Who resolved it.
    #[oai(skip_serializing_if_is_none)]
    pub resolved_by: Option<String>,
    /// When it was resolved.
    #[oai(skip_serializing_if_is_none)]
    pub resolved_at: Option<String>,
}

impl From<CommentView> for Comment {
    fn from(c: CommentView) -> Self {
        let (anchor, question, dataset) = match c.anchor {
            Anchor::Plan => (AnchorKind::Plan, None, None),
            Anchor::Question(q) => (AnchorKind::Question, Some(q), None),
            Anchor::Dataset(d) => (AnchorKind::Dataset, None, Some(d)),
        };
        Comment {
            id: c.id,
            author: c.author,
            created: iso8601(c.created),
            updated: iso8601(c.updated),
            anchor,
            question,
            dataset,
            text: c.text,
            thread: c.parent,
            revision: c.revision,
            resolved: c.resolved,
            resolved_by: c.resolved_by,
            resolved_at: c.resolved_at.map(iso8601),
        }
    }
}

/// A thread: its first comment with the replies, oldest first.
#[derive(Object)]
pub struct CommentThread {
    #[oai(flatten)]
    pub comment: Comment,
    pub replies: Vec<Comment>,
}

impl From<Thread> for CommentThread {
    fn from(t: Thread) -> Self {
        CommentThread {
            comment: t.comment.into(),
            replies: t.replies.into_iter().map(Into::into).collect(),
        }
    }
}

/// A new thread: on a question (`question`), a dataset (`dataset`) or, with neither, the
/// plan as a whole.
#[derive(Object)]
pub struct NewCommentBody {
    /// 1 to 10 000 characters once trimmed; no control characters but newline and tab.
    pub text: Text,
    /// A question id of the plan's template, or any key of the plan's `answers`.
    pub question: Option<Text>,
    /// The `id` of one of the plan's datasets.
    pub dataset: Option<Text>,
}

#[derive(Object)]
pub struct ReplyBody {
    /// 1 to 10 000 characters once trimmed; no control characters but newline and tab.
    pub text: Text,
}

#[derive(Object)]
pub struct ResolveBody {
    /// `true` resolves the thread, `false` reopens it.
    pub resolved: bool,
}

/// What a delete removed.
#[derive(Object)]
pub struct CommentDeleted {
    pub ok: bool,
    /// The comment and, for a thread's first comment, its replies.
    pub deleted: u64,
}

#[derive(ApiResponse)]
pub enum CommentCreated {
    /// Created.
    #[oai(status = 201)]
    Created(Json<Comment>),
}

fn dmp(id: &HexId) -> Result<DmpId, ApiError> {
    Ok(DmpId::parse(&id.0).map_err(ServiceError::from)?)
}

pub struct CommentsApi;

#[OpenApi(tag = "CommentTags::Comments")]
impl CommentsApi {
    /// Every thread of the plan, oldest first, each with its replies (any member).
    #[oai(
        path = "/dmps/:id/comments",
        method = "get",
        operation_id = "listDmpComments"
    )]
    async fn list(
        &self,
        state: Data<&ApiState>,
        auth: Authed,
        id: Path<HexId>,
        /// Only the threads on `plan`, `question:<id>` or `dataset:<id>` (empty: all).
        #[oai(validator(pattern = r"^(plan|question:.+|dataset:.+)?$"))]
        anchor: Query<Option<String>>,
        /// Only the resolved (`true`) or the open (`false`) threads.
        resolved: Query<Option<bool>>,
    ) -> Result<Json<Vec<CommentThread>>, ApiError> {
        let id = dmp(&id.0)?;
        let filter = ThreadFilter {
            // An empty `anchor=` filters nothing, as if it were absent.
            anchor: anchor
                .0
                .as_deref()
                .filter(|a| !a.trim().is_empty())
                .map(parse_anchor)
                .transpose()?,
            resolved: resolved.0,
        };
        let threads = state
            .run(move |s| s.list_comments(&auth.0, id, &filter))
            .await?;
        Ok(Json(threads.into_iter().map(Into::into).collect()))
    }

    /// Start a thread on the plan, one of its template's questions or one of its datasets
    /// (commenter and up).
    #[oai(
        path = "/dmps/:id/comments",
        method = "post",
        operation_id = "addDmpComment"
    )]
    async fn add(
        &self,
        state: Data<&ApiState>,
        auth: Authed,
        id: Path<HexId>,
        body: Json<NewCommentBody>,
    ) -> Result<CommentCreated, ApiError> {
        let id = dmp(&id.0)?;
        let new = NewComment {
            text: body.0.text.0,
            question: body.0.question.map(|t| t.0),
            dataset: body.0.dataset.map(|t| t.0),
        };
        let c = state.run(move |s| s.add_comment(&auth.0, id, &new)).await?;
        Ok(CommentCreated::Created(Json(c.into())))
    }

    /// Reply to a comment's thread (commenter and up); a reply to a reply joins the same
    /// thread.
    #[oai(
        path = "/dmps/:id/comments/:cid/replies",
        method = "post",
        operation_id = "replyToDmpComment"
    )]
    async fn reply(
        &self,
        state: Data<&ApiState>,
        auth: Authed,
        id: Path<HexId>,
        cid: Path<HexId>,
        body: Json<ReplyBody>,
    ) -> Result<CommentCreated, ApiError> {
        let id = dmp(&id.0)?;
        let text = body.0.text.0;
        let c = state
            .run(move |s| s.reply_to_comment(&auth.0, id, &cid.0.0, &text))
            .await?;
        Ok(CommentCreated::Created(Json(c.into())))
    }

    /// Resolve (`{"resolved": true}`) or reopen (`false`) a comment's thread (commenter and
    /// up); answers the thread.
    #[oai(
        path = "/dmps/:id/comments/:cid/resolve",
        method = "put",
        operation_id = "resolveDmpComment"
    )]
    async fn resolve(
        &self,
        state: Data<&ApiState>,
        auth: Authed,
        id: Path<HexId>,
        cid: Path<HexId>,
        body: Json<ResolveBody>,
    ) -> Result<Json<CommentThread>, ApiError> {
        let id = dmp(&id.0)?;
        let resolved = body.0.resolved;
        let t = state
            .run(move |s| s.resolve_comment(&auth.0, id, &cid.0.0, resolved))
            .await?;
        Ok(Json(t.into()))
    }

    /// Delete a comment (its author, the plan's owner or an administrator); a thread's
    /// first comment takes its replies along.
    #[oai(
        path = "/dmps/:id/comments/:cid",
        method = "delete",
        operation_id = "deleteDmpComment"
    )]
    async fn delete(
        &self,
        state: Data<&ApiState>,
        auth: Authed,
        id: Path<HexId>,
        cid: Path<HexId>,
    ) -> Result<Json<CommentDeleted>, ApiError> {
        let id = dmp(&id.0)?;
        let d = state
            .run(move |s| s.delete_comment(&auth.0, id, &cid.0.0))
            .await?;
        Ok(Json(CommentDeleted {
            ok: true,
            deleted: d.comments as u64,
        }))
    }
}

//! `GET /templates`, `GET /templates/{name}`: the funder templates, so a frontend can build
//! its form from them. No token needed: templates hold no user data.

use std::collections::BTreeMap;

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, Tags};
use serde_json::Value;

use super::ApiState;
use super::error::ApiError;
use crate::render::template::{Question, Section, Source, Template, TemplateError};
use crate::service::ServiceError;

#[derive(Tags)]
enum TemplateTags {
    /// Funder templates.
    Templates,
}

/// A template in the list.
#[derive(Object)]
pub struct TemplateSummary {
    pub name: String,
    pub title: String,
    pub funder: String,
    pub description: String,
    /// "builtin", or "override" when a file in the data dir replaces or adds it.
    pub source: String,
}

/// One part of an answer: used when every `when` condition holds; `{field}` placeholders
/// are filled from the DMP.
#[derive(Object)]
pub struct PartOut {
    /// Field → expected value ("yes"), alternatives (["no", ""]), "*" (answered), "" (not
    /// answered) or "!value" (answered, not that value).
    pub when: BTreeMap<String, Value>,
    pub text: String,
}

#[derive(Object)]
pub struct QuestionOut {
    pub id: String,
    pub question: String,
    /// The DMP fields this question's answer is made from.
    pub fields: Vec<String>,
    pub answers: Vec<PartOut>,
}

#[derive(Object)]
pub struct SectionOut {
    pub title: String,
    pub questions: Vec<QuestionOut>,
    pub subsections: Vec<SectionOut>,
}

#[derive(Object)]
pub struct TemplateOut {
    pub name: String,
    pub title: String,
    pub funder: String,
    pub description: String,
    pub source: String,
    /// Every DMP field the template reads.
    pub fields: Vec<String>,
    pub sections: Vec<SectionOut>,
}

fn source(s: Source) -> String {
    match s {
        Source::Builtin => "builtin",
        Source::Override => "override",
    }
    .into()
}

fn question(q: &Question) -> QuestionOut {
    let single = Template {
        name: String::new(),
        title: String::new(),
        funder: String::new(),
        description: String::new(),
        sections: vec![Section {
            title: String::new(),
            questions: vec![q.clone()],
            subsections: vec![],
        }],
    };
    QuestionOut {
        id: q.id.clone(),
        question: q.question.clone(),
        fields: single.fields(),
        answers: q
            .answers
            .iter()
            .map(|p| PartOut {
                when: p
                    .when
                    .iter()
                    .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or_default()))
                    .collect(),
                text: p.text.clone(),
            })
            .collect(),
    }
}

fn section(s: &Section) -> SectionOut {
    SectionOut {
        title: s.title.clone(),
        questions: s.questions.iter().map(question).collect(),
        subsections: s.subsections.iter().map(section).collect(),
    }
}

fn service_error(e: TemplateError) -> ServiceError {
    match e {
        TemplateError::Unknown { .. } => ServiceError::NotFound(e.to_string()),
        TemplateError::Invalid { .. } => ServiceError::Template(e),
    }
}

pub struct TemplatesApi;

#[OpenApi(tag = "TemplateTags::Templates")]
impl TemplatesApi {
    /// Every template: built in, or from `<data>/templates/`.
    #[oai(path = "/templates", method = "get", operation_id = "listTemplates")]
    async fn list(&self, state: Data<&ApiState>) -> Result<Json<Vec<TemplateSummary>>, ApiError> {
        state
            .run(|s| {
                let t = s.templates();
                let mut out = Vec::new();
                for (name, _) in t.names() {
                    match t.get(&name) {
                        Ok((tpl, src)) => out.push(TemplateSummary {
                            name: tpl.name,
                            title: tpl.title,
                            funder: tpl.funder,
                            description: tpl.description,
                            source: source(src),
                        }),
                        Err(e) => {
                            tracing::warn!(error = %e, "a template file is broken and not listed")
                        }
                    }
                }
                Ok(Json(out))
            })
            .await
    }

    /// One template: its sections, questions, and how each answer is composed.
    #[oai(
        path = "/templates/:name",
        method = "get",
        operation_id = "getTemplate"
    )]
    async fn get(
        &self,
        state: Data<&ApiState>,
        name: Path<String>,
    ) -> Result<Json<TemplateOut>, ApiError> {
        state
            .run(move |s| {
                let (t, src) = s.templates().get(&name.0).map_err(service_error)?;
                Ok(Json(TemplateOut {
                    fields: t.fields(),
                    sections: t.sections.iter().map(section).collect(),
                    name: t.name,
                    title: t.title,
                    funder: t.funder,
                    description: t.description,
                    source: source(src),
                }))
            })
            .await
    }
}

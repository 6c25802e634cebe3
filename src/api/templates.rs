//! `GET /templates`, `GET /templates/{name}`: the funder templates, so a frontend can build
//! its form from them; `GET /schemas/plan.json`: the JSON Schema of a plan. No token
//! needed: neither holds user data.

use std::collections::BTreeMap;

use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, Tags};
use serde_json::Value;

use super::ApiState;
use super::error::ApiError;
use crate::render::template::{Condition, Conditions, Question, Section, Source, TemplateError};
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
    /// The official template's version, e.g. "1.0".
    #[oai(skip_serializing_if_is_none)]
    pub version: Option<String>,
    pub description: String,
    /// How many questions it asks.
    pub question_count: u64,
    /// "builtin", or "override" when a file in the data dir replaces or adds it.
    pub source: String,
}

/// One part of an answer: used when every `when` condition holds; `{field}` placeholders
/// are filled from the DMP.
#[derive(Object)]
pub struct PartOut {
    /// When set, the part is composed once per item of this list of the plan
    /// (`datasets`, `costs`, `contributors`), from the item's fields.
    #[oai(skip_serializing_if_is_none)]
    pub each: Option<String>,
    /// Field → expected value ("yes"), alternatives (["no", ""]), "*" (answered), "" (not
    /// answered) or "!value" (answered, not that value).
    pub when: BTreeMap<String, Value>,
    pub text: String,
}

#[derive(Object)]
pub struct QuestionOut {
    /// The key of the plan's own answer to it: `answers.<id>`.
    pub id: String,
    /// Its position in the official template, e.g. "2.2.4" (not printed).
    #[oai(skip_serializing_if_is_none)]
    pub number: Option<String>,
    /// The official wording.
    pub question: String,
    /// The official template's sub-heading it stands under, e.g. "Repository".
    #[oai(skip_serializing_if_is_none)]
    pub group: Option<String>,
    /// The official guidance, where the template gives one.
    #[oai(skip_serializing_if_is_none)]
    pub guidance: Option<String>,
    /// Whether the template asks it once per dataset.
    pub per_dataset: bool,
    /// The DMP fields this question's answer is made from.
    pub fields: Vec<String>,
    /// The lists of the plan it goes through: `datasets`, `costs`, `contributors`.
    pub lists: Vec<String>,
    pub answers: Vec<PartOut>,
}

#[derive(Object)]
pub struct SectionOut {
    /// The official number, e.g. "2.1".
    #[oai(skip_serializing_if_is_none)]
    pub number: Option<String>,
    pub title: String,
    /// Text the official template prints after the section's questions.
    #[oai(skip_serializing_if_is_none)]
    pub closing_text: Option<String>,
    pub questions: Vec<QuestionOut>,
    pub subsections: Vec<SectionOut>,
}

#[derive(Object)]
pub struct TemplateOut {
    pub name: String,
    pub title: String,
    pub funder: String,
    /// The official template's version and date, and where it is published.
    #[oai(skip_serializing_if_is_none)]
    pub version: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub date: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub official_document: Option<String>,
    /// The licence of the template's wording, where it has one.
    #[oai(skip_serializing_if_is_none)]
    pub license: Option<String>,
    pub description: String,
    pub source: String,
    /// How many questions it asks.
    pub question_count: u64,
    /// Detail field → the conditions (as in `when`) under which a form shows it; while
    /// they do not hold, the field is not printed.
    pub visibility: BTreeMap<String, BTreeMap<String, Value>>,
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

fn conditions(c: &Conditions) -> BTreeMap<String, Value> {
    c.iter()
        .map(|(k, v)| {
            let v = match v {
                Condition::One(e) => Value::from(e.as_str()),
                Condition::AnyOf(list) => Value::from(list.clone()),
            };
            (k.clone(), v)
        })
        .collect()
}

fn question(q: &Question) -> QuestionOut {
    QuestionOut {
        id: q.id.clone(),
        number: q.number.clone(),
        question: q.question.clone(),
        group: q.group.clone(),
        guidance: q.guidance.clone(),
        per_dataset: q.per_dataset,
        fields: q.fields(),
        lists: q.lists().into_iter().map(str::to_owned).collect(),
        answers: q
            .answers
            .iter()
            .map(|p| PartOut {
                each: p.each.map(|e| e.key().to_owned()),
                when: conditions(&p.when),
                text: p.text.clone(),
            })
            .collect(),
    }
}

fn section(s: &Section) -> SectionOut {
    SectionOut {
        number: s.number.clone(),
        title: s.title.clone(),
        closing_text: s.closing_text.clone(),
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

/// The plan schema, as committed in assets/schemas/plan.json.
#[derive(poem_openapi::ApiResponse)]
pub enum PlanSchema {
    /// The JSON Schema (draft 2020-12) of a plan's structured parts.
    #[oai(status = 200, content_type = "application/schema+json")]
    Ok(Json<Value>),
}

pub struct TemplatesApi;

#[OpenApi(tag = "TemplateTags::Templates")]
impl TemplatesApi {
    /// The JSON Schema of a plan: the frontend's fields and the structured parts of a
    /// complete plan (project and funding, contributors, datasets, costs, versions, own
    /// answers per question). A plan that breaks it is refused with the JSON pointer.
    #[oai(
        path = "/schemas/plan.json",
        method = "get",
        operation_id = "planSchema"
    )]
    async fn plan_schema(&self) -> Result<PlanSchema, ApiError> {
        let bytes = crate::assets::bytes(crate::domain::plan::SCHEMA_PATH)
            .ok_or_else(|| ServiceError::fault("the plan schema is not built into this binary"))?;
        let schema: Value = serde_json::from_slice(bytes)
            .map_err(|e| ServiceError::json("the built-in plan schema", e))?;
        Ok(PlanSchema::Ok(Json(schema)))
    }

    /// Every template: built in, or from `<data>/templates/`.
    #[oai(path = "/templates", method = "get", operation_id = "listTemplates")]
    async fn list(&self, state: Data<&ApiState>) -> Result<Json<Vec<TemplateSummary>>, ApiError> {
        state
            .run(|s| {
                let t = s.templates();
                let mut out = Vec::new();
                for (name, _) in t.names() {
                    match t
                        .get(&name)
                        .map(|(t, s)| (std::sync::Arc::unwrap_or_clone(t), s))
                    {
                        Ok((tpl, src)) => out.push(TemplateSummary {
                            question_count: tpl.question_count() as u64,
                            name: tpl.name,
                            title: tpl.title,
                            funder: tpl.funder,
                            version: tpl.version,
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
                let t = std::sync::Arc::unwrap_or_clone(t);
                Ok(Json(TemplateOut {
                    fields: t.fields(),
                    question_count: t.question_count() as u64,
                    visibility: t
                        .visibility
                        .iter()
                        .map(|(f, c)| (f.clone(), conditions(c)))
                        .collect(),
                    sections: t.sections.iter().map(section).collect(),
                    name: t.name,
                    title: t.title,
                    funder: t.funder,
                    version: t.version,
                    date: t.date,
                    official_document: t.official_document,
                    license: t.license,
                    description: t.description,
                    source: source(src),
                }))
            })
            .await
    }
}

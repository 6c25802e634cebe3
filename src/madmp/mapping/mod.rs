//! Field by field: how questionnaire answers become parts of a maDMP document and back.
//!
//! The mapping is a list of units. Each unit owns some answer keys and some places in the
//! `dmp` object, and knows both directions. Export writes a unit into the document; import
//! reads it back. Because each unit is self-contained, a stored maDMP document can be
//! brought up to date by re-writing only the units whose answers changed (see `super`).
//! docs/madmp.md describes every unit for people.

//!
//! Three rooms: this file is the unit table, `json.rs` reads and writes answers and
//! document parts, `units.rs` holds each unit's two directions.

mod json;
mod parts;
mod units;

use serde_json::{Map, Value};

pub(crate) use json::strings;
pub use json::{dataset, dataset_id_for, new_dataset, text};
use parts::{
    contributors_in, contributors_out, costs_in, costs_out, datasets_in, datasets_out, grant_in,
    grant_out,
};
pub use units::{byte_size, notes, title_text};
use units::{
    conditions_in, conditions_out, description_in, description_out, distribution_in,
    distribution_out, ethics_in, ethics_out, keywords_in, keywords_out, language_in, language_out,
    project_in, project_out, purpose_in, purpose_out, quality_in, quality_out, reuse_in, reuse_out,
    title_in, title_out, vocabulary_in, vocabulary_out,
};

type Obj = Map<String, Value>;

/// What export needs beyond the answers.
pub struct UnitCtx<'a> {
    /// The DMP's creation date (`YYYY-MM-DD`): a licence applies from it unless embargoed.
    pub created_date: &'a str,
}

pub struct Unit {
    pub name: &'static str,
    pub keys: &'static [&'static str],
    pub export: fn(&Obj, &mut Obj, &UnitCtx),
    pub import: fn(&Obj, &mut Obj),
}

pub const UNITS: &[Unit] = &[
    Unit {
        name: "title",
        keys: &["name"],
        export: title_out,
        import: title_in,
    },
    Unit {
        name: "purpose",
        keys: &["purpose"],
        export: purpose_out,
        import: purpose_in,
    },
    Unit {
        name: "language",
        keys: &["language"],
        export: language_out,
        import: language_in,
    },
    Unit {
        name: "project",
        keys: &["project", "project_description"],
        export: project_out,
        import: project_in,
    },
    Unit {
        name: "ethics",
        keys: &[
            "personal",
            "personal_text",
            "protected_geolocation",
            "protected_geolocation_text",
        ],
        export: ethics_out,
        import: ethics_in,
    },
    Unit {
        name: "description",
        keys: &["description"],
        export: description_out,
        import: description_in,
    },
    Unit {
        name: "keywords",
        keys: &["keywords"],
        export: keywords_out,
        import: keywords_in,
    },
    Unit {
        name: "quality",
        keys: &["quality", "quality_text"],
        export: quality_out,
        import: quality_in,
    },
    Unit {
        name: "vocabulary",
        keys: &["vocabulary", "vocabulary_text"],
        export: vocabulary_out,
        import: vocabulary_in,
    },
    Unit {
        name: "reuse",
        keys: &["reuse", "reuse_url"],
        export: reuse_out,
        import: reuse_in,
    },
    Unit {
        name: "conditions",
        keys: &["conditions"],
        export: conditions_out,
        import: conditions_in,
    },
    Unit {
        name: "distribution",
        keys: &[
            "sharing",
            "embargo",
            "embargo_date",
            "license",
            "use_data",
            "use_data_url",
            "size_dataset",
            "number_contributions",
            "contribution_size",
        ],
        export: distribution_out,
        import: distribution_in,
    },
    // The structured parts of a complete plan (parts.rs): after `project`, whose project
    // they complete, and after `distribution`, which writes the first dataset.
    Unit {
        name: "grant",
        keys: &["grant"],
        export: grant_out,
        import: grant_in,
    },
    Unit {
        name: "contributors",
        keys: &["contributors"],
        export: contributors_out,
        import: contributors_in,
    },
    Unit {
        name: "costs",
        keys: &["costs"],
        export: costs_out,
        import: costs_in,
    },
    Unit {
        name: "datasets",
        keys: &["datasets"],
        export: datasets_out,
        import: datasets_in,
    },
];

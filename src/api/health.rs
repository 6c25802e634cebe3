//! `GET /health`: liveness for monitors and load balancers. No authentication.

use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, Tags};

use poem::web::Data;

use super::ApiState;

#[derive(Tags)]
enum HealthTags {
    /// Monitoring.
    Health,
}

#[derive(Object)]
pub struct Health {
    /// "ok" while the server answers.
    pub status: String,
    pub version: String,
    /// Seconds since the server started.
    pub uptime_secs: u64,
}

pub struct HealthApi;

#[OpenApi(tag = "HealthTags::Health")]
impl HealthApi {
    /// Is the server up? Status, version and uptime.
    #[oai(path = "/health", method = "get", operation_id = "health")]
    async fn health(&self, state: Data<&ApiState>) -> Json<Health> {
        Json(Health {
            status: "ok".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            uptime_secs: state.started.elapsed().as_secs(),
        })
    }
}

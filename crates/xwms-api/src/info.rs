use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `data` of `GET /api/info`, in the shape XWMS publishes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InfoData {
    pub application: ApplicationInfo,
    pub client: ClientInfo,
    pub api: ApiDocs,
    /// The help center's content version (ours; XWMS publishes no such field): a client that
    /// holds another version syncs (`GET /api/help/sync`). Absent on servers without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<HelpInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HelpInfo {
    pub version: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplicationInfo {
    pub name: String,
    pub description: String,
    pub version: String,
    /// Default locale of the server, e.g. `en`.
    pub locale: String,
    /// IANA time zone of the server, e.g. `Europe/Amsterdam`.
    pub timezone: String,
    /// Current server time, RFC 3339.
    pub time: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientInfo {
    pub ip: String,
    pub user_agent: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiDocs {
    /// Where the API is documented (the OpenAPI document).
    pub documentation: String,
    /// Named endpoints, name → path.
    pub endpoints: BTreeMap<String, String>,
}

/// `data` of `GET /api/health`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    /// `ok` when the server and its store answer.
    pub status: String,
    pub version: String,
    /// `ok` when the database answered a query.
    pub database: String,
}

//! The probe after a sign-in (issue 24): once `login` has checked `/me` and stored the
//! credential, every endpoint is asked once and the findings recorded, and one line says
//! which tools answer and through what. A probe that fails never fails the sign-in.

use std::sync::Arc;

use serde_json::Value;

use super::App;
use crate::api::ApiClient;
use crate::api::probed::Record;
use crate::output;
use crate::tools::fallback::Fallback;

/// Probes with `api` (the client that checked `/me`, answering `me`) and, for tools whose path
/// is missing, `fallback`; saves the record (or says why not, as a warning).
pub(crate) async fn probe(
    app: &App,
    api: &ApiClient,
    me: &Value,
    fallback: Option<&Fallback>,
) -> Record {
    let settings = &app.settings;
    let record = crate::probe::run(
        api,
        &settings.endpoints,
        me,
        settings.project.as_deref(),
        fallback,
    )
    .await;
    if let Err(e) = record.save() {
        output::warning(&format!("the probe's findings were not saved: {e}"));
    }
    record
}

/// Probes after a sign-in and prints the summary line.
pub(crate) async fn after_sign_in(app: &App, api: &Arc<ApiClient>, me: &Value) {
    let settings = &app.settings;
    let fallback = app.fallback(api);
    let record = probe(app, api, me, fallback.as_ref()).await;
    output::note(&format!(
        "  Tools: {}.",
        crate::probe::summary(&record, &settings.endpoints, fallback.is_some())
    ));
}

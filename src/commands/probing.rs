//! The probe after a sign-in (issue 24): once `login` has checked `/me` and stored the
//! credential, every endpoint is asked once and the findings recorded, and one line says
//! which tools answer and through what. A probe that fails never fails the sign-in.

use serde_json::Value;

use super::App;
use crate::api::ApiClient;
use crate::output;

/// Probes with `api` (the client that just checked `/me`, answering `me`), saves the record
/// and prints the summary line.
pub(crate) async fn after_sign_in(app: &App, api: &ApiClient, me: &Value) {
    let settings = &app.settings;
    let fallback = app.fallback(api);
    let record = crate::probe::run(
        api,
        &settings.endpoints,
        me,
        settings.project.as_deref(),
        fallback.as_ref(),
    )
    .await;
    if let Err(e) = record.save() {
        tracing::warn!("the probe's findings were not saved: {e}");
    }
    output::note(&format!(
        "  Tools: {}.",
        crate::probe::summary(&record, &settings.endpoints, fallback.is_some())
    ));
}

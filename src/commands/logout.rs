//! `analytics-mcp logout`: remove the stored credential. Idempotent; says what it did and
//! what it could not do (an environment variable is outside its reach).

use crate::cli::GlobalArgs;
use crate::credentials::store::Store;
use crate::env_vars;
use crate::error::Exit;
use crate::output;

pub fn run(global: &GlobalArgs) -> anyhow::Result<Exit> {
    let settings = super::settings(global)?;
    let removed = Store::new(&settings).delete()?;
    if removed.is_empty() {
        output::note("No stored credential; nothing to remove.");
    } else {
        for line in removed {
            output::note(&format!("✓ Signed out: {line}."));
        }
    }
    if env_vars::var(env_vars::API_KEY).is_some() {
        output::warning(&format!(
            "{} is still set in this environment; unset it to stop using that key",
            env_vars::API_KEY
        ));
    }
    Ok(Exit::Success)
}

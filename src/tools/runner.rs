//! The runner's steps as the fallback sees them (issue 24): `Toolbox` implements
//! [`Runner`], here, so that `fallback` needs no import of `toolbox` (which calls it). Uses
//! `toolbox` and `fallback`.

use super::catalog::ToolDef;
use super::fallback::{Fallback, Runner};
use super::params::Plan;
use super::toolbox::Toolbox;
use super::typed::Answer;
use super::window::Resolved;
use super::{ToolError, ToolOutput};
use crate::config::endpoints::Endpoints;

impl Runner for Toolbox {
    fn endpoints(&self) -> &Endpoints {
        Toolbox::endpoints(self)
    }

    fn fallback(&self) -> Option<&Fallback> {
        Toolbox::fallback(self)
    }

    async fn signed_in(&self) -> bool {
        self.api().has_credential().await
    }

    async fn ask(&self, tool: &ToolDef, plan: &Plan) -> Result<ToolOutput, ToolError> {
        Toolbox::ask(self, tool, plan).await
    }

    async fn window(&self, tool: &ToolDef, plan: &Plan) -> Result<Option<Resolved>, ToolError> {
        Toolbox::window(self, tool, plan).await
    }

    fn finish(&self, tool: &ToolDef, plan: &Plan, answer: Answer) -> ToolOutput {
        Toolbox::finish(self, tool, plan, answer)
    }

    async fn foreign_project(&self) -> Option<String> {
        let fixed = self.fixed_project()?.to_string();
        match self.me().await {
            Ok(me) if me.project_id == fixed => None,
            _ => Some(fixed),
        }
    }
}

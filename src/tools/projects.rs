//! Several Read API projects in one server (issue 26): `serve --profile a --profile b`.
//!
//! [`Projects`] holds one [`Toolbox`] per profile, each with its own API client (its credential
//! bound to its origin, its rate limiter and limits) and its own cache, so nothing one project
//! does reaches another: a missing or corrupt credential is that project's answer alone. With
//! one profile it is that toolbox and nothing more: the tools, their schemas and answers are
//! those of a single-profile server, byte for byte. With several, every tool takes an optional
//! `project` (the profile names as an enum, the first the default), checked like any other
//! argument; `get_project` lists every project; `compare_projects` puts their overviews side
//! by side. Uses `toolbox`, `catalog`, `schema`, `typed` and `compare_projects`.

use std::sync::{Arc, OnceLock};

use rmcp::model::JsonObject;
use serde_json::{Map, Value, json};

use super::catalog::{BASE, Shape, Source, ToolDef};
use super::compare_projects::{COMPARE_PROJECTS, Compared, Row};
use super::data::Data;
use super::typed::{Answer, Me};
use super::{CATALOG, Options, ToolError, ToolOutput, Toolbox, compare_projects, schema};

/// The argument that picks a project.
pub const PROJECT: &str = "project";

/// The profile name of the top level of `config.toml` (`config::DEFAULT_PROFILE`).
const DEFAULT_PROFILE: &str = "default";

/// `get_project` over several projects: one row each.
const ALL_PROJECTS: ToolDef = ToolDef {
    name: "get_project",
    title: "Projects",
    description: "The projects this server answers for (the `project` values): id, name and time zone of each.",
    shape: Shape::Rows,
    columns: &["project", "name", "projectId", "timezone"],
    source: Source::Me,
    ..BASE
};

/// One project: the profile's name and the toolbox over its API.
#[derive(Debug, Clone)]
pub struct Project {
    pub name: String,
    pub toolbox: Arc<Toolbox>,
}

/// A tool as `tools/list` shows it: its catalog entry and its schemas.
#[derive(Debug, Clone)]
pub struct Listed {
    pub def: &'static ToolDef,
    pub input: Arc<JsonObject>,
    pub output: Arc<JsonObject>,
}

/// The catalog as a single-profile server lists it.
pub fn catalog_listing() -> Vec<Listed> {
    CATALOG
        .iter()
        .map(|def| Listed {
            def,
            input: def.args.input_schema(),
            output: Arc::new(super::output_schema(def)),
        })
        .collect()
}

/// The projects a server answers for; the first is the default.
#[derive(Debug)]
pub struct Projects {
    projects: Vec<Project>,
    /// Each catalog tool's input schema with `project` (several projects only).
    inputs: Vec<Arc<JsonObject>>,
    /// [`Projects::listing`], made once: it never changes while the process runs.
    listed: OnceLock<Arc<[Listed]>>,
}

impl Projects {
    /// One project: exactly a single-profile server.
    pub fn one(toolbox: Arc<Toolbox>) -> Self {
        Self::several(vec![Project {
            name: DEFAULT_PROFILE.to_string(),
            toolbox,
        }])
    }

    /// Projects in the order given (the first is the default). `projects` is not empty.
    pub fn several(projects: Vec<Project>) -> Self {
        let names: Vec<&str> = projects.iter().map(|p| p.name.as_str()).collect();
        let inputs = if names.len() > 1 {
            CATALOG.iter().map(|t| with_project(t, &names)).collect()
        } else {
            Vec::new()
        };
        Self {
            projects,
            inputs,
            listed: OnceLock::new(),
        }
    }

    /// True with two projects or more (then `project` and `compare_projects` exist).
    pub fn is_several(&self) -> bool {
        self.projects.len() > 1
    }

    /// The default project's toolbox (the only one of a single-profile server).
    pub fn first(&self) -> &Arc<Toolbox> {
        &self.projects[0].toolbox
    }

    pub fn iter(&self) -> impl Iterator<Item = &Project> {
        self.projects.iter()
    }

    /// The output options (the same settings file made every toolbox's: the default's).
    pub fn options(&self) -> Options {
        self.first().options()
    }

    /// A line for the server instructions, with several projects.
    pub fn instructions(&self) -> Option<String> {
        self.is_several().then(|| {
            format!(
                "\n\nThis server answers for several projects (profiles): {}. Every tool takes `project` (default {}); `get_project` describes each and `compare_projects` sets their traffic side by side.",
                self.names().join(", "),
                self.projects[0].name
            )
        })
    }

    fn names(&self) -> Vec<&str> {
        self.projects.iter().map(|p| p.name.as_str()).collect()
    }

    /// The tools as `tools/list` shows them: the catalog, and with several projects each with
    /// `project`, `get_project` as the list of projects, and `compare_projects`. Made by the
    /// first caller, then shared.
    pub fn listing(&self) -> Arc<[Listed]> {
        self.listed
            .get_or_init(|| self.make_listing().into())
            .clone()
    }

    fn make_listing(&self) -> Vec<Listed> {
        if !self.is_several() {
            return catalog_listing();
        }
        let mut listed: Vec<Listed> = CATALOG
            .iter()
            .zip(&self.inputs)
            .map(|(def, input)| {
                let def = if def.source == Source::Me {
                    &ALL_PROJECTS
                } else {
                    def
                };
                Listed {
                    def,
                    input: input.clone(),
                    output: Arc::new(super::output_schema(def)),
                }
            })
            .collect();
        listed.push(Listed {
            def: &COMPARE_PROJECTS,
            input: COMPARE_PROJECTS.args.input_schema(),
            output: Arc::new(compare_projects::output_schema()),
        });
        listed
    }

    /// Runs one tool with the arguments a client sent, in the project they name.
    pub async fn call(
        &self,
        name: &str,
        args: Option<&Map<String, Value>>,
    ) -> Result<ToolOutput, ToolError> {
        if !self.is_several() {
            return self.first().call(name, args).await;
        }
        if name == COMPARE_PROJECTS.name {
            return self.compare(args).await;
        }
        let index = CATALOG
            .iter()
            .position(|t| t.name == name)
            .ok_or_else(|| ToolError::UnknownTool(name.to_string()))?;
        let tool = &CATALOG[index];
        let mut args = args.cloned().unwrap_or_default();
        let input = &self.inputs[index];
        schema::coerce(input, &mut args);
        schema::check(input, &args).map_err(|message| ToolError::InvalidArgs {
            tool: tool.name,
            message,
        })?;
        let chosen = args.remove(PROJECT);
        let chosen = chosen.as_ref().and_then(Value::as_str);
        if tool.source == Source::Me {
            return self.describe(chosen).await;
        }
        let project = self
            .projects
            .iter()
            .find(|p| Some(p.name.as_str()) == chosen)
            .unwrap_or(&self.projects[0]);
        project
            .toolbox
            .call(name, Some(&args))
            .await
            .map_err(|e| in_project(project, e))
    }

    /// The `analytics://project` resource: `GET /me` of the one project, or with several a
    /// list of each (its profile name first; a project that cannot say has its `error`).
    pub async fn me(&self) -> Result<Value, ToolError> {
        if !self.is_several() {
            return Ok(serde_json::to_value(self.first().me().await?).unwrap_or_default());
        }
        let answers =
            futures_util::future::join_all(self.projects.iter().map(|p| p.toolbox.me())).await;
        let list = self
            .projects
            .iter()
            .zip(answers)
            .map(|(project, answer)| {
                Value::Object(match answer {
                    Ok(me) => described(project, me),
                    Err(e) => {
                        let mut item = Map::new();
                        item.insert(PROJECT.into(), json!(project.name));
                        item.insert("error".into(), json!(in_project(project, e).message()));
                        item
                    }
                })
            })
            .collect();
        Ok(Value::Array(list))
    }

    /// `get_project`: every project (or the one asked for), one row each; a project that
    /// cannot say is a line with its fix.
    async fn describe(&self, chosen: Option<&str>) -> Result<ToolOutput, ToolError> {
        let asked: Vec<&Project> = self
            .projects
            .iter()
            .filter(|p| chosen.is_none_or(|c| c == p.name))
            .collect();
        let answers = futures_util::future::join_all(asked.iter().map(|p| p.toolbox.me())).await;
        let mut rows = Vec::new();
        let mut failures = Vec::new();
        for (project, answer) in asked.iter().zip(answers) {
            match answer {
                Ok(me) => rows.push(Value::Object(described(project, me))),
                Err(e) => failures.push(in_project(project, e)),
            }
        }
        if rows.is_empty() {
            return Err(match (failures.len(), failures.pop()) {
                (1, Some(only)) => only,
                _ => ToolError::Projects(messages(&failures)),
            });
        }
        let mut out = super::toolbox::output(&ALL_PROJECTS, Answer::of(Data::Rows(rows)), false);
        if !failures.is_empty() {
            let lines = messages(&failures);
            out.text.push_str(&format!("\n{lines}"));
            if let Some(Value::String(summary)) = out.structured.get_mut("summary") {
                summary.push_str(&format!(" {lines}"));
            }
        }
        Ok(out)
    }

    /// `compare_projects`: every project's overview, asked at once, put side by side.
    async fn compare(&self, args: Option<&Map<String, Value>>) -> Result<ToolOutput, ToolError> {
        let mut args = args.cloned().unwrap_or_default();
        let plan =
            COMPARE_PROJECTS
                .args
                .parse(&args)
                .map_err(|message| ToolError::InvalidArgs {
                    tool: COMPARE_PROJECTS.name,
                    message,
                })?;
        // Changes are the point: against the previous period unless another is asked for.
        args.entry("compare").or_insert(json!("previous_period"));
        // The whole answer is attached once, for all projects.
        args.remove("detail");
        let rows = self.projects.iter().map(|project| {
            let args = &args;
            async move {
                let outcome = project.toolbox.call("get_analytics", Some(args)).await;
                let name = match &outcome {
                    Ok(_) => project.toolbox.me().await.ok().and_then(|me| {
                        me.data
                            .as_object()
                            .and_then(|m| m.get("name"))
                            .and_then(Value::as_str)
                            .map(str::to_string)
                    }),
                    Err(_) => None,
                };
                Row {
                    project: project.name.clone(),
                    name,
                    outcome: outcome
                        .map(|out| out.answer)
                        .map_err(|e| in_project(project, e).message()),
                }
            }
        });
        let rows = futures_util::future::join_all(rows).await;
        compare_projects::output(Compared { rows }, plan.detail)
    }
}

/// A project's `GET /me` answer, its profile name first.
fn described(project: &Project, me: &Me) -> Map<String, Value> {
    let mut row = Map::new();
    row.insert(PROJECT.into(), json!(project.name));
    if let Value::Object(fields) = &me.data {
        row.extend(fields.clone());
    }
    row
}

/// A project's failure, named; a mistake in the arguments is the call's, not the project's.
fn in_project(project: &Project, error: ToolError) -> ToolError {
    match error {
        e @ (ToolError::InvalidArgs { .. } | ToolError::UnknownTool(_)) => e,
        e => ToolError::InProject {
            project: project.name.clone(),
            error: Box::new(e),
        },
    }
}

fn messages(errors: &[ToolError]) -> String {
    errors
        .iter()
        .map(ToolError::message)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A message's fix for profile `project` of several: `analytics-mcp login` becomes
/// `analytics-mcp login --profile NAME` (the default profile needs no flag), and the
/// environment's key, which several profiles never use, is not offered.
pub fn for_profile(project: &str, message: &str) -> String {
    let message = message
        .replace(" (or set ANALYTICS_MCP_API_KEY)", "")
        .replace(", or check ANALYTICS_MCP_API_KEY", "");
    if project == DEFAULT_PROFILE {
        return message;
    }
    message.replace(
        "analytics-mcp login",
        &format!("analytics-mcp login --profile {project}"),
    )
}

/// `tool`'s input schema with `project`: the profile names, the first the default.
fn with_project(tool: &ToolDef, names: &[&str]) -> Arc<JsonObject> {
    let mut schema = (*tool.args.input_schema()).clone();
    let description = if tool.source == Source::Me {
        "Only this project (default: all).".to_string()
    } else {
        format!("Which project (default {}).", names[0])
    };
    if let Some(Value::Object(props)) = schema.get_mut("properties") {
        props.insert(
            PROJECT.into(),
            json!({"type": "string", "enum": names, "description": description}),
        );
    }
    Arc::new(schema)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_fixes_name_the_profile_except_the_default_one() {
        let m = "not signed in — run `analytics-mcp login` (or set ANALYTICS_MCP_API_KEY)";
        assert_eq!(
            for_profile("default", m),
            "not signed in — run `analytics-mcp login`"
        );
        assert_eq!(
            for_profile("shop", m),
            "not signed in — run `analytics-mcp login --profile shop`"
        );
    }

    #[test]
    fn every_tool_takes_project_as_an_enum_of_the_profiles() {
        for tool in CATALOG {
            let schema = Value::Object((*with_project(tool, &["a", "b"])).clone());
            let project = &schema["properties"][PROJECT];
            assert_eq!(project["enum"], json!(["a", "b"]), "{}", tool.name);
            let e = schema::check(
                &with_project(tool, &["site-a", "site-b"]),
                json!({"project": "site-c"}).as_object().unwrap(),
            )
            .unwrap_err();
            assert!(
                e.contains("`site-a`, `site-b`") && e.contains("`project`"),
                "{e}"
            );
        }
    }
}

//! Command-line types (clap). A field's doc comment is its `--help` text. No logic beyond
//! parsing a flag's value (`parse_mcp_error`); what the shell completes beyond clap's own
//! knowledge (profiles, tools, `name=value` pairs) is asked of `complete`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::engine::{ArgValueCandidates, ArgValueCompleter};

use crate::complete;

/// Ask your AI assistant about your website analytics: a local MCP server for the Himetrica
/// Read API.
#[derive(Debug, Parser)]
#[command(name = "analytics-mcp", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Which API and credential a command uses. Flattened into the commands that talk to an API
/// or a credential only (issue 20: `man`, `completions` and `sandbox` do not offer them).
#[derive(Debug, Args, Default)]
pub struct GlobalArgs {
    /// Read API base URL (https, or http to 127.0.0.1/localhost) [env: ANALYTICS_MCP_API_URL]
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
    /// Use a named profile: a [profiles.NAME] table in config.toml, with its own credential
    /// [env: ANALYTICS_MCP_PROFILE]
    #[arg(long, value_name = "NAME", add = ArgValueCandidates::new(complete::profiles))]
    pub profile: Option<String>,
}

/// [`GlobalArgs`] for the commands that can also run over several profiles at once (`serve`,
/// `call`, `install`; issue 26): `--profile` repeated, or `--all-profiles`.
#[derive(Debug, Args, Default)]
pub struct ProfileSetArgs {
    /// Read API base URL (https, or http to 127.0.0.1/localhost) [env: ANALYTICS_MCP_API_URL]
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
    /// Use a named profile: a [profiles.NAME] table in config.toml, with its own credential
    /// [env: ANALYTICS_MCP_PROFILE]; repeat it for several projects at once (each tool then
    /// takes `project`)
    #[arg(long, value_name = "NAME", add = ArgValueCandidates::new(complete::profiles))]
    pub profile: Vec<String>,
    /// Every Read API profile in config.toml at once, the top level (`default`) included
    #[arg(long, conflicts_with = "profile")]
    pub all_profiles: bool,
}

impl ProfileSetArgs {
    /// True when more than one profile is asked for (or all of them).
    pub fn several(&self) -> bool {
        self.all_profiles || self.profile.len() > 1
    }

    /// The flags as a single-profile command takes them (the first profile named).
    pub fn single(&self) -> GlobalArgs {
        GlobalArgs {
            api_url: self.api_url.clone(),
            profile: self.profile.first().cloned(),
        }
    }
}

/// `--profile` alone, for the commands that pick a profile but no API (`profiles`).
#[derive(Debug, Args)]
pub struct ProfileArg {
    /// The profile to mark as in use [env: ANALYTICS_MCP_PROFILE]
    #[arg(long, value_name = "NAME", add = ArgValueCandidates::new(complete::profiles))]
    pub profile: Option<String>,
}

/// `--color`, on the commands that print for people.
#[derive(Debug, Args, Default)]
pub struct ColorArgs {
    /// When to colour the output: auto (a terminal, unless NO_COLOR is set or CLICOLOR_FORCE
    /// is), always or never
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    pub color: ColorChoice,
}

/// The choice `--color` makes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

/// The flags of `doctor`.
#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub credential: CredentialArgs,
    /// Ask every Read API path again, even when today's findings are recorded
    #[arg(long)]
    pub probe: bool,
    /// Print the endpoint table: each tool's path, how sure we are of it, the last probe's
    /// result and the source in use
    #[arg(long)]
    pub endpoints: bool,
}

/// The flags a command that only reads a credential (`status`, `logout`, `doctor`) takes.
#[derive(Debug, Args)]
pub struct CredentialArgs {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(flatten)]
    pub color: ColorArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the MCP server on stdin/stdout (what MCP clients start)
    Serve(ServeArgs),
    /// Run one tool and print its answer, e.g. `call get_top_pages limit=5`
    Call(CallArgs),
    /// List the tools and their parameters
    Tools(ToolsArgs),
    /// Sign in with the browser (OAuth), or store a secret key with --with-key
    Login(LoginArgs),
    /// Show which credential is in use and check it against the API
    Status(CredentialArgs),
    /// Remove the stored credential
    Logout(CredentialArgs),
    /// Run a local stand-in for the Read API with demo data, for trying things out and tests
    Sandbox(SandboxArgs),
    /// Add analytics-mcp to an MCP client's config (Claude Desktop, Codex, Cursor, …)
    Install(InstallArgs),
    /// Remove analytics-mcp's entry from an MCP client's config, and nothing else
    Uninstall(UninstallArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish), e.g.
    /// `source <(analytics-mcp completions bash)`
    Completions(CompletionsArgs),
    /// Print the man page (roff), e.g. `analytics-mcp man | man -l -`
    Man,
    /// Check the setup: config, credential, a live API call, which tools answer, each client's
    /// entry
    Doctor(DoctorArgs),
    /// List the profiles in config.toml, their API and whether each is signed in
    Profiles(ProfilesArgs),
}

impl Command {
    /// The `--color` choice of a command that has one.
    pub fn color(&self) -> ColorChoice {
        let args = match self {
            Self::Call(a) => &a.color,
            Self::Tools(a) => &a.color,
            Self::Login(a) => &a.color,
            Self::Status(a) | Self::Logout(a) => &a.color,
            Self::Doctor(a) => &a.credential.color,
            Self::Install(a) => &a.color,
            Self::Uninstall(a) => &a.color,
            Self::Profiles(a) => &a.color,
            Self::Serve(_) | Self::Sandbox(_) | Self::Completions(_) | Self::Man => {
                return ColorChoice::Auto;
            }
        };
        args.color
    }
}

#[derive(Debug, Args)]
pub struct ProfilesArgs {
    #[command(flatten)]
    pub profile: ProfileArg,
    #[command(flatten)]
    pub color: ColorArgs,
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    #[command(flatten)]
    pub global: ProfileSetArgs,
    #[command(flatten)]
    pub color: ColorArgs,
    /// The client to configure
    #[arg(required_unless_present = "list")]
    pub client: Option<crate::install::Client>,
    /// Show each client's config file and whether our entry is in it
    #[arg(long, conflicts_with = "client")]
    pub list: bool,
    /// Server name in the client's config [default: analytics, or analytics-PROFILE with
    /// --profile]
    #[arg(long)]
    pub name: Option<String>,
    /// Point the entry at the built-in demo project (`serve --demo`)
    #[arg(long)]
    pub demo: bool,
    /// Write the project's config in this directory (Cursor, VS Code, Gemini, Claude Code)
    #[arg(long)]
    pub project: bool,
    /// Instead of the server entry, write analytics-mcp's skills (weekly report, traffic drop,
    /// revenue review, channel ROI) where the client loads skills from: claude-code, codex
    #[arg(long, conflicts_with_all = ["list", "name", "demo"])]
    pub skills: bool,
    /// Print the change as a diff and write nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct UninstallArgs {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(flatten)]
    pub color: ColorArgs,
    /// The client to remove the entry from
    pub client: crate::install::Client,
    /// Server name in the client's config [default: analytics, or analytics-PROFILE with
    /// --profile]
    #[arg(long)]
    pub name: Option<String>,
    /// Edit the project's config in this directory
    #[arg(long)]
    pub project: bool,
    /// Instead of the server entry, remove analytics-mcp's skills from the client's skills
    /// folder (claude-code, codex), and no other skill
    #[arg(long, conflicts_with = "name")]
    pub skills: bool,
    /// Print the change as a diff and write nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub global: ProfileSetArgs,
    /// Serve the built-in demo project from an in-process sandbox (no account needed)
    #[arg(long)]
    pub demo: bool,
    /// Project id to query instead of the one `GET /me` names [env: ANALYTICS_MCP_PROJECT]
    #[arg(long, value_name = "ID")]
    pub project: Option<String>,
}

#[derive(Debug, Args)]
pub struct CallArgs {
    #[command(flatten)]
    pub global: ProfileSetArgs,
    #[command(flatten)]
    pub color: ColorArgs,
    /// The tool to run (see `analytics-mcp tools`)
    #[arg(add = ArgValueCandidates::new(complete::tools))]
    pub tool: String,
    /// Arguments as name=value, e.g. startDate=2026-11-01 limit=5 groupBy=city
    #[arg(value_name = "NAME=VALUE", add = ArgValueCompleter::new(complete::tool_arguments))]
    pub args: Vec<String>,
    /// Print the whole answer as JSON instead of text: the upstream's data as sent, the
    /// resolved window, the comparison and the request (a hosted server's structured content)
    #[arg(long)]
    pub json: bool,
    /// Draw the chart under the table even when stdout is not a terminal (time series and
    /// breakdowns)
    #[arg(long, conflicts_with_all = ["no_chart", "json"])]
    pub chart: bool,
    /// Never draw the chart under the table (drawn by default when stdout is a terminal)
    #[arg(long)]
    pub no_chart: bool,
    /// Also write the chart as a standalone SVG file, e.g. --svg traffic.svg
    #[arg(long, value_name = "FILE")]
    pub svg: Option<std::path::PathBuf>,
    /// Query the built-in demo project from an in-process sandbox (no account needed)
    #[arg(long)]
    pub demo: bool,
    /// Project id to query instead of the one `GET /me` names [env: ANALYTICS_MCP_PROJECT]
    #[arg(long, value_name = "ID")]
    pub project: Option<String>,
}

#[derive(Debug, Args)]
pub struct ToolsArgs {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(flatten)]
    pub color: ColorArgs,
    /// Print the tool definitions as MCP `tools/list` JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(flatten)]
    pub color: ColorArgs,
    /// Store a secret key (hm_sk_…): typed at a hidden prompt, or piped on stdin
    #[arg(long)]
    pub with_key: bool,
    /// Print the sign-in URL instead of opening a browser (for SSH sessions)
    #[arg(long, conflicts_with = "with_key")]
    pub no_browser: bool,
    /// Device sign-in (RFC 8628) for SSH and headless machines: prints a URL and a code to
    /// enter on any other device, never opens a browser, and waits for the approval
    #[arg(long, conflicts_with_all = ["with_key", "no_browser", "callback_port"])]
    pub device: bool,
    /// Listen for the browser's return on this port of 127.0.0.1 (default: a free one); pin it
    /// to forward it over SSH (`ssh -L PORT:127.0.0.1:PORT`)
    #[arg(long, value_name = "PORT", conflicts_with = "with_key")]
    pub callback_port: Option<u16>,
    /// Create (or repoint) the profile named by --profile to bridge this hosted MCP server
    /// (Streamable HTTP), then sign in to it
    #[arg(long, value_name = "URL")]
    pub mcp_url: Option<String>,
    /// With --mcp-url: the header a --with-key key is sent in, e.g. X-API-Key [default:
    /// Authorization, as a bearer token]
    #[arg(long, value_name = "NAME", requires = "mcp_url")]
    pub key_header: Option<String>,
    /// Give up waiting for the browser after this many seconds [default: 300]
    #[arg(long, value_name = "SECS", conflicts_with = "with_key")]
    pub timeout: Option<u64>,
    /// Ask for these scopes (space-separated, or the flag repeated) instead of the ones the
    /// server suggests, e.g. after a tool was refused for `insufficient_scope`
    #[arg(long, value_name = "SCOPE", conflicts_with = "with_key", num_args = 1.., value_delimiter = ' ')]
    pub scope: Vec<String>,
    /// The pre-registered client (`client_id` under [oauth]) is confidential: read its secret
    /// from a hidden prompt or the first line of stdin (never argv); it is kept in the
    /// credential store with the tokens
    #[arg(long, conflicts_with = "with_key")]
    pub client_secret: bool,
}

/// Everything after `sandbox`, handed as is to the `analytics-mcp-sandbox` binary (its own
/// `--help` lists its options: port, rate limit, faults, MCP era, token lifetime).
#[derive(Debug, Args)]
#[command(disable_help_flag = true, disable_version_flag = true)]
pub struct SandboxArgs {
    /// The sandbox's arguments, e.g. --port 8787
    #[arg(num_args = 0.., trailing_var_arg = true, allow_hyphen_values = true, value_name = "ARGS")]
    pub args: Vec<std::ffi::OsString>,
}

//! One module per subcommand; each returns an [`Exit`] or an error carrying one. What they
//! run with is composed once, in [`app`] (settings → credential → upstream → toolbox).

mod app;
mod call;
mod diagnose;
mod doctor;
mod entries;
mod install;
mod login;
mod logout;
mod profiles;
mod sandbox;
mod serve;
mod status;
mod tools;

pub(crate) use app::{App, Connected, all_hosted_tools};

use crate::cli::{Cli, Command, GlobalArgs};
use crate::config::Settings;
use crate::error::Exit;

pub async fn dispatch(cli: Cli) -> anyhow::Result<Exit> {
    let global = &cli.global;
    match cli.command {
        Command::Serve(args) => serve::run(global, &args).await,
        Command::Call(args) => call::run(global, &args).await,
        Command::Install(args) => install::install(global, &args),
        Command::Uninstall(args) => install::uninstall(global, &args),
        Command::Completions(args) => install::completions(&args),
        Command::Man => install::man(),
        Command::Doctor => doctor::run(global).await,
        Command::Tools(args) => tools::run(global, &args).await,
        Command::Login(args) => login::run(global, &args).await,
        Command::Status => status::run(global).await,
        Command::Logout => logout::run(global).await,
        Command::Sandbox(args) => sandbox::run(&args).await,
        Command::Profiles => profiles::run(global),
    }
}

/// The settings alone, for `login` and `logout`: they check a credential before it is stored,
/// so they compose their own client around it.
pub(crate) fn settings(global: &GlobalArgs) -> anyhow::Result<Settings> {
    Ok(App::load(global)?.settings)
}

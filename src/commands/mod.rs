//! One module per subcommand; each returns an [`Exit`] or an error carrying one. What they
//! run with is composed once, in [`app`] (settings → credential → upstream → toolbox).

mod app;
mod call;
mod client_files;
mod completions;
mod diagnose;
mod doctor;
mod entries;
mod install;
mod login;
mod logout;
mod man;
mod probing;
mod profiles;
mod projects;
mod sandbox;
mod serve;
mod skills;
mod status;
mod tools;
mod uninstall;

pub(crate) use app::{App, Connected, all_hosted_tools};

use crate::cli::{Cli, Command, GlobalArgs};
use crate::error::Exit;
use crate::output;

pub async fn dispatch(cli: Cli) -> anyhow::Result<Exit> {
    match cli.command {
        Command::Serve(args) => serve::run(&args).await,
        Command::Call(args) => {
            let waiting = format!("Waiting for {}", args.tool);
            output::spinning(&waiting, call::run(&args.global.single(), &args)).await
        }
        Command::Install(args) => install::run(&args.global.single(), &args),
        Command::Uninstall(args) => uninstall::run(&args.global, &args),
        Command::Completions(args) => completions::run(&args),
        Command::Man => man::run(),
        Command::Doctor(args) => output::spinning("Checking", doctor::run(&args)).await,
        Command::Tools(args) => tools::run(&args.global, &args).await,
        Command::Login(args) => login::run(&args.global, &args).await,
        Command::Status(args) => output::spinning("Checking", status::run(&args.global)).await,
        Command::Logout(args) => logout::run(&args.global).await,
        Command::Sandbox(args) => sandbox::run(&args),
        Command::Profiles(args) => profiles::run(&GlobalArgs {
            api_url: None,
            profile: args.profile.profile,
        }),
    }
}

//! Shell completion (issue 20, point 10), in the real bash, zsh and fish: each sources the
//! script `completions SHELL` prints, which calls the binary back, and is asked to complete a
//! few command lines — subcommands, flags, client names, profile names, tool names and a
//! tool's `name=` parameters with their values. A missing shell is a skip locally and a
//! failure under CI (`.ci/install-clients` installs them).

use std::process::Command;

use crate::common::{TestEnv, bin, skip_or_fail};

/// A command line (the word being completed last) and what must be offered for it.
struct Case {
    line: &'static str,
    offered: &'static [&'static str],
    /// What must not be offered.
    not_offered: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        line: "analytics-mcp ins",
        offered: &["install"],
        not_offered: &[],
    },
    Case {
        line: "analytics-mcp install c",
        offered: &["claude-desktop", "claude-code", "codex", "cursor"],
        not_offered: &["gemini"],
    },
    Case {
        line: "analytics-mcp install --li",
        offered: &["--list"],
        not_offered: &[],
    },
    Case {
        line: "analytics-mcp uninstall cu",
        offered: &["cursor"],
        not_offered: &[],
    },
    Case {
        line: "analytics-mcp call --profile ",
        offered: &["default", "work"],
        not_offered: &[],
    },
    Case {
        line: "analytics-mcp call get_top_l",
        offered: &["get_top_locations"],
        not_offered: &["get_top_pages"],
    },
    Case {
        line: "analytics-mcp call get_top_locations gr",
        offered: &["groupBy="],
        not_offered: &[],
    },
    Case {
        line: "analytics-mcp call get_timeseries period=last_9",
        offered: &["period=last_90_days"],
        not_offered: &["period=today"],
    },
    Case {
        line: "analytics-mcp man --",
        offered: &["--help"],
        not_offered: &["--profile", "--api-url"],
    },
];

/// An environment with one extra profile, `work`, and the binary first on PATH.
fn env() -> TestEnv {
    let mut env = TestEnv::new();
    env.write_config("[profiles.work]\napi_url = \"http://127.0.0.1:9/api/v1\"\n");
    let dir = std::path::Path::new(bin())
        .parent()
        .unwrap()
        .display()
        .to_string();
    let path = format!("{dir}:{}", std::env::var("PATH").unwrap_or_default());
    env.set("PATH", &path);
    env
}

/// Runs `script` in `shell` (`-c`), or `None` after a skip when the shell is missing.
fn run(env: &TestEnv, shell: &str, args: &[&str], script: &str) -> Option<String> {
    if Command::new(shell)
        .arg("-c")
        .arg("exit 0")
        .output()
        .is_err()
    {
        skip_or_fail(&format!(
            "{shell} is not installed (apt-get install {shell})"
        ));
        return None;
    }
    let mut cmd = Command::new(shell);
    cmd.args(args).arg("-c").arg(script);
    for (k, v) in &env.vars {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run the shell");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{shell}: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(stdout)
}

/// Single-quoted for sh-like shells.
fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', "'\\''"))
}

fn check(shell: &str, case: &Case, offered: &[String]) {
    for want in case.offered {
        assert!(
            offered.iter().any(|o| o == want),
            "{shell}: `{}` did not offer {want}: {offered:?}",
            case.line
        );
    }
    for unwanted in case.not_offered {
        assert!(
            !offered.iter().any(|o| o == unwanted),
            "{shell}: `{}` offered {unwanted}: {offered:?}",
            case.line
        );
    }
}

/// The words of `line` as bash splits them: at spaces, and `=` as a word of its own.
fn bash_words(line: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for word in line.split(' ') {
        let mut parts = word.split('=').peekable();
        while let Some(part) = parts.next() {
            if !part.is_empty() || parts.peek().is_none() {
                words.push(part.to_string());
            }
            if parts.peek().is_some() {
                words.push("=".to_string());
            }
        }
    }
    words
}

/// Completes every case in `shell` (started with `args`): `script` asks for the case's
/// candidates, `candidate` turns each line it prints into the word offered.
fn complete_cases(
    shell: &str,
    args: &[&str],
    script: impl Fn(&Case) -> String,
    candidate: impl Fn(&Case, &str) -> String,
) {
    let env = env();
    for case in CASES {
        let Some(out) = run(&env, shell, args, &script(case)) else {
            return;
        };
        let offered: Vec<String> = out.lines().map(|l| candidate(case, l)).collect();
        check(shell, case, &offered);
    }
}

#[test]
fn bash_completes_commands_flags_clients_profiles_tools_and_parameters() {
    let script = |case: &Case| {
        let words = bash_words(case.line);
        let quoted: Vec<String> = words.iter().map(|w| quote(w)).collect();
        format!(
            "source <(analytics-mcp completions bash)\n\
             COMP_WORDS=({})\nCOMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))\n\
             COMP_LINE={}\nCOMP_POINT=${{#COMP_LINE}}\nCOMP_TYPE=9\n\
             _clap_complete_analytics_mcp analytics-mcp \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            quoted.join(" "),
            quote(case.line)
        )
    };
    // Bash completes the part after `=` (its own word) alone.
    let candidate = |case: &Case, l: &str| {
        let cut = case.line.rsplit(' ').next().unwrap_or("");
        match cut.split_once('=') {
            Some((name, _)) => format!("{name}={}", l.trim_end()),
            None => l.trim_end().to_string(),
        }
    };
    complete_cases("bash", &["--noprofile", "--norc"], script, candidate);
}

#[test]
fn zsh_completes_commands_flags_clients_profiles_tools_and_parameters() {
    let script = |case: &Case| {
        let words: Vec<String> = case.line.split(' ').map(quote).collect();
        // The registration function as zsh's completion system calls it; `_describe` (the
        // system's) is replaced by one that prints the candidates it is given.
        format!(
            "compdef() {{ : }}\n_describe() {{ print -rl -- \"${{(@P)3}}\" }}\n\
             source <(analytics-mcp completions zsh)\n\
             words=({})\nCURRENT=${{#words}}\n_clap_dynamic_completer_analytics_mcp",
            words.join(" ")
        )
    };
    complete_cases("zsh", &["-f"], script, |_, l| {
        l.split(':').next().unwrap_or("").replace('\\', "")
    });
}

#[test]
fn fish_completes_commands_flags_clients_profiles_tools_and_parameters() {
    let script = |case: &Case| {
        format!(
            "analytics-mcp completions fish | source; complete -C {}",
            quote(case.line)
        )
    };
    complete_cases("fish", &["--no-config"], script, |_, l| {
        l.split('\t').next().unwrap_or("").to_string()
    });
}

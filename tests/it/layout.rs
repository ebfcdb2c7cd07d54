//! The shape of the code: the modules import each other without a cycle, and no file is over
//! [`MAX_LINES`] lines before its tests. Read from the source (`crate::X` between top-level
//! modules, `super::X` between sibling files), outside each file's `#[cfg(test)]` part, so a
//! new cycle fails here with its path. `cargo test --test it layout -- --nocapture` prints
//! who imports whom.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::common::repo;

type Graph = BTreeMap<String, BTreeSet<String>>;

/// The module a file or directory under `dir` names (`foo.rs` and `foo/` are both `foo`).
fn module_name(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let name = name.strip_suffix(".rs").unwrap_or(name);
    (name != "mod" && name != "lib" && name != "main").then(|| name.to_string())
}

/// The text of every `.rs` file under `path` (a file or a directory), before its tests module.
fn sources(path: &Path) -> Vec<String> {
    let code = |p: &Path| {
        let text = std::fs::read_to_string(p).unwrap();
        text.split("#[cfg(test)]\nmod ")
            .next()
            .unwrap_or_default()
            .to_string()
    };
    if path.is_file() {
        return vec![code(path)];
    }
    let mut out = Vec::new();
    for entry in std::fs::read_dir(path).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() || p.extension().is_some_and(|e| e == "rs") {
            out.extend(sources(&p));
        }
    }
    out
}

/// Which of `names` the code refers to as `prefix::name`.
fn references(code: &[String], prefix: &str, names: &BTreeSet<String>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for text in code {
        for (i, _) in text.match_indices(prefix) {
            let rest = &text[i + prefix.len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if names.contains(&name) {
                found.insert(name);
            }
        }
    }
    found
}

/// The graph of the modules in `dir` (files and subdirectories), by `prefix::name` references.
fn graph(dir: &Path, prefix: &str) -> Graph {
    let entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() || p.extension().is_some_and(|e| e == "rs"))
        .collect();
    let names: BTreeSet<String> = entries.iter().filter_map(|p| module_name(p)).collect();
    let mut graph = Graph::new();
    for path in &entries {
        let Some(name) = module_name(path) else {
            continue;
        };
        // `foo.rs` and `foo/` together make module `foo`.
        let mut uses = references(&sources(path), prefix, &names);
        uses.remove(&name);
        graph.entry(name).or_default().extend(uses);
    }
    graph
}

/// A cycle in `graph`, as a path, if there is one.
fn cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &Graph,
        done: &mut BTreeSet<String>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut found = path[start..].to_vec();
            found.push(node.to_string());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, done, path) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut done, &mut Vec::new()))
}

#[test]
fn the_top_level_modules_import_each_other_without_a_cycle() {
    let graph = graph(&repo().join("src"), "crate::");
    assert!(graph.len() > 10, "the source tree was not read: {graph:?}");
    assert!(
        graph["api"].contains("auth"),
        "the reader misses imports: {graph:?}"
    );
    // The table of who imports whom, shown with --nocapture (on stderr: stdout is the harness's).
    for (module, uses) in &graph {
        let uses: Vec<&str> = uses.iter().map(String::as_str).collect();
        eprintln!("| {module} | {} |", uses.join(", "));
    }
    if let Some(path) = cycle(&graph) {
        panic!("module cycle: {}\n{graph:#?}", path.join(" → "));
    }
}

/// The most lines a source file may have before its `#[cfg(test)]` part.
const MAX_LINES: usize = 450;

/// Every `.rs` file under `dir`, as `(path from the repository root, lines before tests)`.
fn code_lines(dir: &Path, root: &Path, out: &mut Vec<(String, usize)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            code_lines(&p, root, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&p).unwrap();
            // The tests module, not the first test-only item (which may sit among the code).
            let code = text.split("#[cfg(test)]\nmod ").next().unwrap_or_default();
            let name = p
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.push((name, code.lines().count()));
        }
    }
}

#[test]
fn no_source_file_is_over_450_lines_before_its_tests() {
    let root = repo();
    let mut files = Vec::new();
    code_lines(&root.join("src"), &root, &mut files);
    // The sandbox crate is held to the same length (issue 23 moved it out of src/).
    code_lines(&root.join("crates"), &root, &mut files);
    assert!(files.len() > 50, "the source tree was not read: {files:?}");
    let over: Vec<String> = files
        .iter()
        .filter(|(_, n)| *n > MAX_LINES)
        .map(|(name, n)| format!("{name}: {n} lines"))
        .collect();
    assert!(
        over.is_empty(),
        "over {MAX_LINES} lines before #[cfg(test)]; split by job: {over:?}"
    );
}

#[test]
fn sibling_files_import_each_other_without_a_cycle() {
    let src = repo().join("src");
    for entry in std::fs::read_dir(&src).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        let graph = graph(&dir, "super::");
        if let Some(path) = cycle(&graph) {
            panic!(
                "cycle between the files of {}: {}",
                dir.display(),
                path.join(" → ")
            );
        }
    }
}

#[test]
fn the_cycle_finder_finds_cycles() {
    let mut g = Graph::new();
    g.entry("a".into()).or_default().insert("b".into());
    g.entry("b".into()).or_default().insert("c".into());
    g.entry("c".into()).or_default().insert("a".into());
    assert_eq!(cycle(&g).unwrap(), ["a", "b", "c", "a"]);
    g.get_mut("c").unwrap().clear();
    assert_eq!(cycle(&g), None);
}

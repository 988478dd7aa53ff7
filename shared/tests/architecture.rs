//! The layers depend one way (docs/architecture.md): the domain is pure,
//! the store knows no HTTP, and functions stay short enough to read. These
//! read the source as text, so a stray import fails here, not in review.

use std::path::{Path, PathBuf};

fn sources(dir: &str) -> Vec<(PathBuf, String)> {
    sources_under(Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir))
}

fn sources_under(root: PathBuf) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((path, text));
            }
        }
    }
    assert!(!out.is_empty(), "no sources under {}", root.display());
    out
}

/// Lines of code (not comments) that mention any of `banned`.
fn offences(dir: &str, banned: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (path, text) in sources(dir) {
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for b in banned {
                if code.contains(b) {
                    found.push(format!("{}:{}: {b}", path.display(), n + 1));
                }
            }
        }
    }
    found
}

const HTTP: &[&str] = &[
    "lambda_http",
    "StatusCode",
    "AppError",
    "crate::http",
    "crate::handlers",
    "Reply",
];

#[test]
fn the_domain_is_pure() {
    let mut banned = HTTP.to_vec();
    banned.extend([
        "aws_sdk",
        "aws_lambda_events",
        "crate::store",
        "crate::app",
        "tokio",
    ]);
    let found = offences("domain", &banned);
    assert!(
        found.is_empty(),
        "domain/ must stay pure:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_store_knows_no_http() {
    let found = offences("store", HTTP);
    assert!(
        found.is_empty(),
        "store/ must not know HTTP:\n{}",
        found.join("\n")
    );
}

#[test]
fn jobs_know_no_http() {
    let found = offences("jobs", HTTP);
    assert!(
        found.is_empty(),
        "jobs/ must not know HTTP:\n{}",
        found.join("\n")
    );
}

/// `(lines, place)` of every function under `dir`, from its signature to
/// its closing brace at the same indentation (rustfmt's layout).
fn function_lengths(dir: &str) -> Vec<(usize, String)> {
    lengths_in(sources(dir))
}

fn lengths_in(files: Vec<(PathBuf, String)>) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (path, text) in files {
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let trimmed = line.trim_start();
            let indent = &line[..line.len() - trimmed.len()];
            let signature = [
                "fn ",
                "pub fn ",
                "async fn ",
                "pub async fn ",
                "pub(crate) fn ",
                "pub(crate) async fn ",
                "const fn ",
            ]
            .iter()
            .any(|p| trimmed.starts_with(p));
            if !signature || trimmed.ends_with(';') {
                continue;
            }
            let closing = format!("{indent}}}");
            let length = if line.trim_end().ends_with('}') {
                1 // a one-line function
            } else {
                lines[i..]
                    .iter()
                    .position(|l| *l == closing)
                    .map_or(1, |k| k + 1)
            };
            out.push((length, format!("{}:{} {}", path.display(), i + 1, trimmed)));
        }
    }
    out
}

fn longer_than(dir: &str, limit: usize) -> Vec<String> {
    function_lengths(dir)
        .into_iter()
        .filter(|(n, _)| *n > limit)
        .map(|(n, place)| format!("{n} lines: {place}"))
        .collect()
}

#[test]
fn no_function_is_over_sixty_lines() {
    let long = longer_than("", 60);
    assert!(long.is_empty(), "split these:\n{}", long.join("\n"));
}

#[test]
fn handlers_stay_thin() {
    let long = longer_than("handlers", 40);
    assert!(
        long.is_empty(),
        "handlers over 40 lines:\n{}",
        long.join("\n")
    );
}

#[test]
fn the_length_count_sees_functions() {
    let lengths = function_lengths("handlers");
    let pay = lengths
        .iter()
        .find(|(_, p)| p.contains("pub async fn pay("))
        .unwrap();
    assert!(pay.0 > 5, "{pay:?}");
}

/// Each top-level module's layer: a module may import its own layer's and
/// lower ones, never a higher one.
const LAYERS: &[(&str, u8)] = &[
    ("domain", 0),
    ("clock", 0),
    ("settings", 0),
    ("config", 1),
    ("counters", 1),
    ("store", 2),
    ("provider", 2),
    ("app", 3),
    ("http", 4),
    ("jobs", 4),
    ("settlement", 4),
    ("handlers", 5),
    ("endpoints", 6),
    ("lambda", 7),
    ("openapi", 7),
];

/// The code of a file before its tests, without comments.
fn code_of(text: &str) -> String {
    let code = text
        .split("#[cfg(test)]\nmod tests")
        .next()
        .unwrap_or_default();
    code.lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The module a source file is (`store::seat`, `store` for its mod.rs).
fn module_of(path: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let rel = path.strip_prefix(&root).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts.join("::")
}

/// Every file's module and the modules (files) its code names by a
/// `crate::` or `super::` path.
fn import_graph() -> Vec<(String, Vec<String>)> {
    let files = sources("");
    let modules: Vec<String> = files.iter().map(|(p, _)| module_of(p)).collect();
    let mut graph = Vec::new();
    for (path, text) in &files {
        let me = module_of(path);
        let code = code_of(text);
        let mut deps = Vec::new();
        for (at, _) in code
            .match_indices("crate::")
            .chain(code.match_indices("super::"))
        {
            let word_start =
                at == 0 || !code[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_');
            if !word_start {
                continue;
            }
            let path_text: String = code[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let mut segs: Vec<&str> = path_text.split("::").filter(|s| !s.is_empty()).collect();
            let mut base: Vec<String> = if me.is_empty() {
                vec![]
            } else {
                me.split("::").map(str::to_string).collect()
            };
            match segs.first() {
                Some(&"crate") => base.clear(),
                Some(&"super") => {
                    // A file's module is its path (a mod.rs's, its folder),
                    // so `super` is always the module one up.
                    base.pop();
                    while segs.get(1) == Some(&"super") {
                        base.pop();
                        segs.remove(0);
                    }
                }
                _ => continue,
            }
            segs.remove(0);
            let full: Vec<String> = base
                .into_iter()
                .chain(segs.iter().map(|s| s.to_string()))
                .collect();
            // The longest prefix that is a module of ours.
            if let Some(m) = (1..=full.len())
                .rev()
                .map(|k| full[..k].join("::"))
                .find(|m| modules.contains(m))
            {
                if m != me && !deps.contains(&m) {
                    deps.push(m);
                }
            }
        }
        graph.push((me, deps));
    }
    graph
}

fn layer_of(module: &str) -> Option<u8> {
    let top = module.split("::").next().unwrap_or_default();
    LAYERS.iter().find(|(m, _)| *m == top).map(|(_, l)| *l)
}

#[test]
fn no_module_imports_a_higher_layer() {
    let mut up = Vec::new();
    for (me, deps) in import_graph() {
        let Some(mine) = layer_of(&me) else { continue };
        for dep in deps {
            if layer_of(&dep).is_some_and(|theirs| theirs > mine) {
                up.push(format!("{me} → {dep}"));
            }
        }
    }
    assert!(up.is_empty(), "imports that run up:\n{}", up.join("\n"));
}

#[test]
fn no_files_import_each_other_round_a_loop() {
    let graph = import_graph();
    let index = |m: &str| graph.iter().position(|(n, _)| n == m);
    // Depth-first search for a back edge; a loop is reported with its path.
    fn visit(
        v: usize,
        graph: &[(String, Vec<String>)],
        index: &dyn Fn(&str) -> Option<usize>,
        state: &mut Vec<u8>,
        path: &mut Vec<usize>,
        loops: &mut Vec<String>,
    ) {
        state[v] = 1;
        path.push(v);
        for dep in &graph[v].1 {
            let Some(w) = index(dep) else { continue };
            // A module naming its own child (`pub use child::X`) is its
            // declaration, not a loop.
            if dep.starts_with(&format!("{}::", graph[v].0)) || graph[v].0.is_empty() {
                continue;
            }
            match state[w] {
                0 => visit(w, graph, index, state, path, loops),
                1 => {
                    let from = path.iter().position(|&p| p == w).unwrap_or(0);
                    let names: Vec<&str> =
                        path[from..].iter().map(|&p| graph[p].0.as_str()).collect();
                    loops.push(format!("{} → {}", names.join(" → "), graph[w].0));
                }
                _ => {}
            }
        }
        path.pop();
        state[v] = 2;
    }
    let mut state = vec![0u8; graph.len()];
    let mut loops = Vec::new();
    for v in 0..graph.len() {
        if state[v] == 0 {
            visit(v, &graph, &index, &mut state, &mut Vec::new(), &mut loops);
        }
    }
    assert!(loops.is_empty(), "import loops:\n{}", loops.join("\n"));
}

#[test]
fn the_import_graph_sees_imports() {
    let graph = import_graph();
    let deps = |m: &str| {
        graph
            .iter()
            .find(|(n, _)| n == m)
            .map(|(_, d)| d.clone())
            .unwrap()
    };
    assert!(deps("store::seat").contains(&"store::schema".to_string()));
    assert!(deps("handlers::payments").contains(&"handlers::gate".to_string()));
    assert!(
        deps("endpoints").contains(&"handlers".to_string())
            || deps("endpoints").iter().any(|d| d.starts_with("handlers"))
    );
}

/// The code under `infra/` that runs (the local stack, the emulator, the
/// template model, the dev kit, the benchmark, the operator's command):
/// no function over 80 lines.
#[test]
fn infra_functions_stay_under_eighty_lines() {
    let infra = Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra");
    let mut long = Vec::new();
    for entry in std::fs::read_dir(&infra).unwrap() {
        let src = entry.unwrap().path().join("src");
        if !src.is_dir() {
            continue;
        }
        for (n, place) in lengths_in(sources_under(src)) {
            if n > 80 {
                long.push(format!("{n} lines: {place}"));
            }
        }
    }
    assert!(long.is_empty(), "split these:\n{}", long.join("\n"));
}

/// The code under `infra/` that runs says what went wrong with a type of
/// its crate (`local::Error`, `operator::Error`, the benchmark's `Error`),
/// never a bare message: no `Result<_, String>`.
#[test]
fn infra_errors_are_typed() {
    let infra = Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra");
    let mut stringly = Vec::new();
    for entry in std::fs::read_dir(&infra).unwrap() {
        let src = entry.unwrap().path().join("src");
        if !src.is_dir() {
            continue;
        }
        for (file, text) in sources_under(src) {
            for (i, line) in text.lines().enumerate() {
                let result = line.find("Result<").map(|at| &line[at..]);
                if result.is_some_and(|r| r.contains(", String>") && !r.contains("Map<")) {
                    stringly.push(format!("{}:{}: {}", file.display(), i + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        stringly.is_empty(),
        "give these an error type:\n{}",
        stringly.join("\n")
    );
}

/// Every attribute an expression of the store names comes from the schema
/// module of its table: the expressions' text holds only placeholders
/// (`#name`, `:value`), the names of constants (`{HOLD_ID}`) and
/// DynamoDB's own words.
#[test]
fn store_expressions_name_attributes_through_the_schema() {
    const WORDS: &[&str] = &[
        "SET",
        "REMOVE",
        "ADD",
        "DELETE",
        "AND",
        "OR",
        "NOT",
        "IN",
        "BETWEEN",
        "attribute_exists",
        "attribute_not_exists",
        "begins_with",
        "if_not_exists",
        "size",
        "contains",
        "attribute_type",
    ];
    let mut found = Vec::new();
    for (path, text) in sources("store") {
        if path.ends_with("schema.rs") {
            continue;
        }
        let code = code_of(&text);
        for (at, _) in code.match_indices("_expression(") {
            let rest = &code[at + "_expression(".len()..];
            let rest = rest
                .trim_start()
                .trim_start_matches("format!(")
                .trim_start();
            let Some(body) = rest.strip_prefix('"') else {
                continue;
            };
            let literal: String = body.split('"').next().unwrap_or_default().to_string();
            // What a format string fills in is a constant's name, not text.
            let mut plain = String::new();
            let mut depth = 0;
            for c in literal.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ if depth == 0 => plain.push(c),
                    _ => {}
                }
            }
            let mut prev = ' ';
            let mut word = String::new();
            for c in plain.chars().chain([' ']) {
                if c.is_alphanumeric() || c == '_' {
                    if word.is_empty() && matches!(prev, '#' | ':' | '.') {
                        word.push('\u{0}');
                    }
                    word.push(c);
                } else {
                    let named = !word.starts_with('\u{0}') && !word.is_empty();
                    if named && !WORDS.contains(&word.as_str()) {
                        found.push(format!("{}: {word} in \"{literal}\"", path.display()));
                    }
                    word.clear();
                }
                prev = c;
            }
        }
    }
    assert!(
        found.is_empty(),
        "attribute names spelled in expressions:\n{}",
        found.join("\n")
    );
}

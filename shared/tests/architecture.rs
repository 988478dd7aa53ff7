//! The layers depend one way (docs/architecture.md): the domain is pure,
//! the store knows no HTTP, and functions stay short enough to read. These
//! read the source as text, so a stray import fails here, not in review.

use std::path::{Path, PathBuf};

fn sources(dir: &str) -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir);
    let mut out = Vec::new();
    let mut stack = vec![root];
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
    assert!(!out.is_empty(), "no sources under {dir}");
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
    let mut out = Vec::new();
    for (path, text) in sources(dir) {
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

//! The import matrix: each top-level module of `src/` may name (`crate::<module>`) only the
//! modules below it, ports and adapters fashion. `domain` at the bottom; then the time and
//! the failures of dependencies; the ports (`auth`, `crypto`, `store`, each with its
//! adapters); the use cases (`vault`); the edges (`wire`, shared by `rest`, `mcp`, and `http`,
//! the front door on top of them); composition on top. A module missing from the matrix, or
//! a name it is not allowed, fails the test, and so does any cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each module and the modules it may import from.
const ALLOWED: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("clock", &["domain"]),
    ("dependency", &[]),
    ("telemetry", &[]),
    ("auth", &["domain"]),
    ("crypto", &["domain", "dependency"]),
    ("store", &["domain", "dependency", "auth", "crypto"]),
    (
        "vault",
        &["domain", "dependency", "clock", "auth", "crypto", "store"],
    ),
    ("wire", &["domain", "store", "vault"]),
    ("rest", &["domain", "crypto", "store", "vault", "wire"]),
    ("mcp", &["domain", "crypto", "store", "vault", "wire"]),
    (
        "http",
        &["domain", "crypto", "store", "vault", "wire", "rest", "mcp"],
    ),
    ("config", &["domain"]),
    (
        "admin",
        &["domain", "dependency", "auth", "crypto", "store"],
    ),
    (
        "startup",
        &[
            "domain",
            "dependency",
            "auth",
            "crypto",
            "store",
            "vault",
            "http",
            "config",
        ],
    ),
    (
        "testing",
        &[
            "domain",
            "clock",
            "auth",
            "crypto",
            "store",
            "vault",
            "http",
            "dependency",
        ],
    ),
];

/// The top-level module a file of `src/` belongs to; `None` for `lib.rs` and the binaries.
fn module_of(relative: &Path) -> Option<String> {
    let mut parts = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy());
    let first = parts.next()?.into_owned();
    if first == "bin" || first == "lib.rs" {
        return None;
    }
    Some(first.trim_end_matches(".rs").to_owned())
}

/// Every `crate::<name>` a source text mentions, comments aside.
fn named_modules(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let after = &rest[at + "crate::".len()..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            // `crate::{a, b}`: the names inside the braces.
            if name.is_empty() && after.starts_with('{') {
                let inside = after[1..].split('}').next().unwrap_or("");
                for item in inside.split(',') {
                    let item: String = item
                        .trim()
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !item.is_empty() {
                        found.insert(item);
                    }
                }
            } else if !name.is_empty() {
                found.insert(name);
            }
            rest = after;
        }
    }
    found
}

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_module_imports_only_from_the_layers_below_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut imports: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut wrong = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).expect("under src/");
        let Some(module) = module_of(relative) else {
            continue;
        };
        let Some(may) = allowed.get(module.as_str()) else {
            wrong.push(format!(
                "{}: module `{module}` is not in the matrix",
                relative.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).expect("a source file");
        for named in named_modules(&text) {
            if named != module && !may.contains(&named.as_str()) {
                wrong.push(format!(
                    "{}: `{module}` imports `{named}`",
                    relative.display()
                ));
            }
            if named != module {
                imports.entry(module.clone()).or_default().insert(named);
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the matrix:\n{}",
        wrong.join("\n")
    );
    // The matrix itself has no cycle: every module's allowed list names only modules listed
    // before it.
    for (i, (module, may)) in ALLOWED.iter().enumerate() {
        let earlier: Vec<&str> = ALLOWED[..i].iter().map(|(m, _)| *m).collect();
        for name in *may {
            assert!(
                earlier.contains(name),
                "`{module}` may import `{name}`, listed after it"
            );
        }
    }
    // And the test reads what it claims to: the use cases do import the ports.
    assert!(imports["vault"].contains("store"), "{imports:?}");
}

#[test]
fn the_reader_finds_names_in_paths_and_braces_and_skips_comments() {
    let text = "use crate::{auth::ApiKey, domain};\nlet x = crate::store::Foo; // crate::http\n";
    let found: Vec<String> = named_modules(text).into_iter().collect();
    assert_eq!(found, ["auth", "domain", "store"]);
}

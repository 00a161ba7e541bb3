//! The import matrix: each top-level module of `src/` may name only the modules below it,
//! ports and adapters fashion. `domain` at the bottom; then the time and the failures of
//! dependencies; the ports (`auth`, `crypto`, `store`, each with its adapters); the use cases
//! (`vault`); the edges (`wire`, shared by `rest`, `mcp`, `html` and `http`, the front door on top of
//! them); composition on top. A module missing from the matrix, or a name it is not allowed,
//! fails the test, and so does any cycle in the imports found.
//!
//! Sources are parsed with `syn`: `use` trees (nested braces, several lines), paths in code
//! and types, `super::` chains that climb out of a module, and `crate::` inside macro calls.

use proc_macro2::{TokenStream, TokenTree};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

/// Each module and the modules it may import from.
const ALLOWED: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("clock", &["domain"]),
    ("dependency", &[]),
    ("telemetry", &[]),
    ("auth", &["domain"]),
    ("crypto", &["domain", "dependency"]),
    ("store", &["domain", "dependency", "auth", "crypto"]),
    ("egress", &["domain"]),
    (
        "vault",
        &[
            "domain",
            "dependency",
            "clock",
            "auth",
            "crypto",
            "store",
            "egress",
        ],
    ),
    ("wire", &["domain", "store", "vault"]),
    ("rest", &["domain", "crypto", "store", "vault", "wire"]),
    ("mcp", &["domain", "crypto", "store", "vault", "wire"]),
    ("html", &["domain", "crypto", "store", "vault", "wire"]),
    (
        "http",
        &[
            "domain", "crypto", "store", "vault", "wire", "rest", "mcp", "html",
        ],
    ),
    ("config", &["domain", "egress"]),
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
            "egress",
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
            "egress",
        ],
    ),
];

/// The module path of a file of `src/` (`vault/entry.rs` is `[vault, entry]`, `vault/mod.rs`
/// is `[vault]`); `None` for `lib.rs` and the binaries.
fn module_path(relative: &Path) -> Option<Vec<String>> {
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts
        .first()
        .is_none_or(|first| first == "bin" || first == "lib.rs")
    {
        return None;
    }
    let file = parts.pop()?;
    let stem = file.trim_end_matches(".rs");
    if stem != "mod" {
        parts.push(stem.to_owned());
    }
    Some(parts)
}

/// Collects the top-level modules a file's paths reach.
struct Reader {
    /// Where the code being read sits: the file's module path, then any inline `mod`s.
    here: Vec<String>,
    found: BTreeSet<String>,
}

impl Reader {
    /// The top-level module a path starting with `segments` reaches, if it leaves through
    /// `crate` or climbs with `super`.
    fn resolve(&mut self, segments: &[String]) {
        let mut at = self.here.clone();
        let mut rest = segments;
        match rest.first().map(String::as_str) {
            Some("crate") => {
                at.clear();
                rest = &rest[1..];
            }
            Some("super") => {
                while rest.first().map(String::as_str) == Some("super") {
                    at.pop();
                    rest = &rest[1..];
                }
            }
            _ => return,
        }
        let top = at.first().or(rest.first());
        if let Some(top) = top.filter(|top| *top != "self") {
            self.found.insert(top.clone());
        }
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(path) => {
                prefix.push(path.ident.to_string());
                self.use_tree(prefix, &path.tree);
                prefix.pop();
            }
            syn::UseTree::Name(name) => self.use_leaf(prefix, name.ident.to_string()),
            syn::UseTree::Rename(rename) => self.use_leaf(prefix, rename.ident.to_string()),
            syn::UseTree::Glob(_) => self.resolve(prefix),
            syn::UseTree::Group(group) => {
                for item in &group.items {
                    self.use_tree(prefix, item);
                }
            }
        }
    }

    fn use_leaf(&mut self, prefix: &mut Vec<String>, leaf: String) {
        prefix.push(leaf);
        self.resolve(prefix);
        prefix.pop();
    }

    /// `crate::name` and `super::...::name` inside a macro's tokens.
    fn tokens(&mut self, tokens: TokenStream) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut path: Vec<String> = Vec::new();
        let mut i = 0;
        while i < trees.len() {
            match &trees[i] {
                TokenTree::Group(group) => self.tokens(group.stream()),
                TokenTree::Ident(ident) => {
                    let word = ident.to_string();
                    let joined = matches!(
                        (trees.get(i + 1), trees.get(i + 2)),
                        (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
                            if a.as_char() == ':' && b.as_char() == ':'
                    );
                    if path.is_empty() && !(word == "crate" || word == "super") {
                        i += 1;
                        continue;
                    }
                    path.push(word);
                    if joined {
                        i += 3;
                        continue;
                    }
                    self.resolve(&path);
                    path.clear();
                }
                TokenTree::Punct(_) | TokenTree::Literal(_) => {
                    if !path.is_empty() {
                        self.resolve(&path);
                        path.clear();
                    }
                }
            }
            i += 1;
        }
        if !path.is_empty() {
            self.resolve(&path);
        }
    }
}

impl<'ast> Visit<'ast> for Reader {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &item.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        self.resolve(&segments);
        syn::visit::visit_path(self, path);
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        self.here.push(item.ident.to_string());
        syn::visit::visit_item_mod(self, item);
        self.here.pop();
    }

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.tokens(mac.tokens.clone());
        syn::visit::visit_macro(self, mac);
    }
}

/// The top-level modules `text`, the source of module `here`, reaches.
fn named_modules(here: &[String], text: &str) -> Result<BTreeSet<String>, syn::Error> {
    let file = syn::parse_file(text)?;
    let mut reader = Reader {
        here: here.to_vec(),
        found: BTreeSet::new(),
    };
    reader.visit_file(&file);
    Ok(reader.found)
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A cycle among the imports found, as a path, if there is one.
fn find_cycle(imports: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        imports: &BTreeMap<String, BTreeSet<String>>,
        trail: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = trail.iter().position(|m| m == node) {
            let mut cycle = trail[start..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        trail.push(node.to_owned());
        for next in imports.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, imports, trail, done) {
                return Some(cycle);
            }
        }
        trail.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    imports
        .keys()
        .find_map(|module| visit(module, imports, &mut Vec::new(), &mut done))
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
        let Some(here) = module_path(relative) else {
            continue;
        };
        let module = here[0].clone();
        let Some(may) = allowed.get(module.as_str()) else {
            wrong.push(format!(
                "{}: module `{module}` is not in the matrix",
                relative.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).expect("a source file");
        let named = named_modules(&here, &text)
            .unwrap_or_else(|e| panic!("{}: not parsable: {e}", relative.display()));
        for named in named.into_iter().filter(|named| *named != module) {
            if !may.contains(&named.as_str()) {
                wrong.push(format!(
                    "{}: `{module}` imports `{named}`",
                    relative.display()
                ));
            }
            imports.entry(module.clone()).or_default().insert(named);
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the matrix:\n{}",
        wrong.join("\n")
    );
    assert_eq!(find_cycle(&imports), None, "{imports:?}");
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

fn read(here: &[&str], text: &str) -> Vec<String> {
    let here: Vec<String> = here.iter().map(|s| s.to_string()).collect();
    named_modules(&here, text)
        .expect("parsable")
        .into_iter()
        .collect()
}

#[test]
fn the_reader_finds_names_in_use_trees_paths_and_macros() {
    let text = "use crate::{\n    auth::{ApiKey, KeyHash},\n    domain,\n};\n\
                fn f() { let x = crate::store::Foo; // crate::http\n }";
    assert_eq!(read(&["vault", "entry"], text), ["auth", "domain", "store"]);
    let macros = "fn f() { assert!(matches!(x, crate::wire::Served { .. })); }";
    assert_eq!(read(&["vault"], macros), ["wire"]);
    let types = "struct S { kept: crate::clock::SystemClock }";
    assert_eq!(read(&["vault"], types), ["clock"]);
}

#[test]
fn the_reader_climbs_super_chains_and_inline_modules() {
    // From `vault/entry.rs`, `super::` stays in `vault`; `super::super::` reaches the crate.
    let text = "use super::VaultError;\nuse super::super::mcp::Tool;";
    assert_eq!(read(&["vault", "entry"], text), ["mcp", "vault"]);
    // An inline test module's `super::` is its file's module.
    let inline = "mod tests { use super::*; use super::super::super::http::Service; }";
    assert_eq!(read(&["vault", "entry"], inline), ["http", "vault"]);
    // Paths that stay put name nothing: a crate's own, `self::`, an external crate.
    assert!(
        read(
            &["vault"],
            "use self::x::Y; use std::fmt; use serde::Serialize;"
        )
        .is_empty()
    );
}

#[test]
fn a_cycle_in_the_imports_is_found() {
    let edges = |pairs: &[(&str, &str)]| {
        let mut map: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in pairs {
            map.entry(a.to_string()).or_default().insert(b.to_string());
        }
        map
    };
    assert_eq!(find_cycle(&edges(&[("a", "b"), ("b", "c")])), None);
    let cycle = find_cycle(&edges(&[("a", "b"), ("b", "c"), ("c", "a")]));
    assert_eq!(cycle.map(|c| c.len()), Some(4));
}

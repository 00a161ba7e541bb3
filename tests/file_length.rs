//! The house rule that no file of code is over 400 lines: a longer one holds two concerns.

use std::path::{Path, PathBuf};

/// Every file of code under `dir` (Rust, Python, shell), recursively.
fn code_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            code_files(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "rs" || e == "py" || e == "sh")
        {
            out.push(path);
        }
    }
}

/// The house rule: no file of code over 400 lines; a longer one is two concerns.
const MAX_LINES: usize = 400;

#[test]
fn no_file_of_code_is_over_four_hundred_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["src", "tests", "benches", "scripts"] {
        code_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 50, "the walk found the code: {}", files.len());
    let long: Vec<String> = files
        .iter()
        .filter_map(|file| {
            let lines = std::fs::read_to_string(file).ok()?.lines().count();
            (lines > MAX_LINES).then(|| format!("{}: {lines}", file.display()))
        })
        .collect();
    assert!(
        long.is_empty(),
        "over {MAX_LINES} lines:\n{}",
        long.join("\n")
    );
}

//! Compile-fail cases of `sequential!`: every kind of mistake in a
//! declaration, each a small file under `tests/ui/<topic>/` with the
//! compiler's output in the `.stderr` beside it.
//!
//! Regenerate the snapshots with `TRYBUILD=overwrite cargo test --test ui`,
//! then read them: the error must point at the offending token and say what
//! is wrong and how to fix it.

#[test]
fn ui() {
    copy_weights_fixtures();
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*/*.rs");
}

/// `#[weights = ".."]` and `#[keras = ".."]` paths are relative to the
/// declaring crate's directory, which for a trybuild case is trybuild's
/// project under the target directory: the cases of `tests/ui/weights/` and
/// `tests/ui/keras/` find their files there, at the same relative path as in
/// this repository.
fn copy_weights_fixtures() {
    // The target directory holds cargo's CACHEDIR.TAG; this test runs from under it.
    let exe = std::env::current_exe().expect("the test's path");
    let Some(target) = exe.ancestors().find(|d| d.join("CACHEDIR.TAG").is_file()) else {
        panic!("no target directory (with CACHEDIR.TAG) above {}", exe.display());
    };
    for dir in ["tests/ui/weights/fixtures", "tests/reference/keras_files"] {
        let from = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        let to = target.join("tests/trybuild/nn").join(dir);
        std::fs::create_dir_all(&to).unwrap();
        for entry in std::fs::read_dir(&from).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

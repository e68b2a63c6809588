//! Compile-fail cases of `sequential!`: every kind of mistake in a
//! declaration, each a small file under `tests/ui/<topic>/` with the
//! compiler's output in the `.stderr` beside it.
//!
//! Regenerate the snapshots with `TRYBUILD=overwrite cargo test --test ui`,
//! then read them: the error must point at the offending token and say what
//! is wrong and how to fix it.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*/*.rs");
}

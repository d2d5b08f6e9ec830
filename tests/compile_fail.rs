//! Compile-fail tests for `glowplug::model!`: each misuse in
//! `tests/compile_fail/*.rs` must fail to compile, and the compiler output
//! must match the recorded `.stderr` file next to it, so the message naming
//! the mistake (and the accepted syntax) cannot change or disappear unnoticed.
//!
//! After an intended change to a message, refresh the `.stderr` files with
//! `TRYBUILD=overwrite cargo test --test compile_fail` and review the diff.

#[test]
fn model_misuse_fails_to_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/compile_fail/*.rs");
}

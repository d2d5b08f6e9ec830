//! The `glowplug` command-line tool: a thin `main` over [`glowplug::cli`],
//! and the one place a `tracing` subscriber is installed (`RUST_LOG`,
//! `--verbose`), writing to stderr.

use std::io::IsTerminal;

fn main() -> std::process::ExitCode {
    let rust_log = std::env::var("RUST_LOG").ok();
    let filter = glowplug::cli::log_filter(std::env::args_os(), rust_log.as_deref());
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .without_time()
        .init();
    glowplug::cli::main()
}

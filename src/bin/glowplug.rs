//! The `glowplug` command-line tool: a thin `main` over [`glowplug::cli`],
//! and the one place a `tracing` subscriber is installed (`RUST_LOG`,
//! `--verbose`), writing to stderr.

use std::io::IsTerminal;

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::prelude::*;

fn main() -> std::process::ExitCode {
    let rust_log = std::env::var("RUST_LOG").ok();
    let directives = glowplug::cli::log_filter(std::env::args_os(), rust_log.as_deref());
    // `target=level` directives; anything else (span filters) is reported, not fatal.
    let filter = directives.parse::<Targets>().unwrap_or_else(|e| {
        eprintln!(
            "warning: RUST_LOG ignored ({e}); it takes `level` and `target=level` directives"
        );
        Targets::new().with_default(LevelFilter::WARN)
    });
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let output = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .without_time();
    tracing_subscriber::registry()
        .with(output)
        .with(filter)
        .init();
    glowplug::cli::main()
}

//! The `glowplug` command-line tool: a thin `main` over [`glowplug::cli`].

fn main() -> std::process::ExitCode {
    glowplug::cli::main()
}

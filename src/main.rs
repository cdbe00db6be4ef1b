//! The `restage` binary: parse arguments, start logging, run, map errors to exit codes.

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match restage::cli::parse() {
        Ok(cli) => cli,
        Err(error) if !error.use_stderr() => error.exit(),
        Err(error) => {
            // Scripts that asked for --json get a JSON document for usage errors too.
            if std::env::args().any(|arg| arg == "--json") {
                println!("{}", restage::error::usage_json(&error.to_string()));
            }
            error.exit()
        }
    };
    restage::logging::init(cli.global.verbose, cli.global.quiet);
    let json = cli.global.json;
    let command = cli.command.name();
    match restage::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let code = error.exit_code();
            if json {
                println!("{}", error.to_json(command));
            }
            eprintln!("error: {}", restage::error::error_chain(&error));
            ExitCode::from(code)
        }
    }
}

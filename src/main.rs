//! The `restage` binary: parse arguments, start logging, run, map errors to exit codes.

use std::process::ExitCode;

use clap::Parser;
use restage::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    restage::logging::init(cli.global.verbose, cli.global.quiet);
    let json = cli.global.json;
    match restage::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            let code = error.exit_code();
            if json {
                println!("{}", error.to_json());
            }
            eprintln!("error: {}", restage::error::error_chain(&error));
            ExitCode::from(code)
        }
    }
}

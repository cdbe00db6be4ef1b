//! One file per command: each checks safety, does its work and returns a report.

pub mod anonymizers;
pub mod check;
pub mod cleanup;
pub mod copy;
pub mod generate;
pub mod init;
pub mod migrate;
pub mod preview;
pub mod redis_flush;
pub mod refresh;
pub mod report;
pub mod reset;
pub mod rollback;
pub mod seed;
pub mod snapshot;
pub mod status;
pub mod verify;

//! Integration tests: the `restage` binary against real PostgreSQL and Redis.
//! Each test creates its own database and Redis database number (see `support`).

mod support;

mod cli;
mod config;
mod copy;
mod deploy;
mod hardening;
mod hooks;
mod interruptions;
mod judge;
mod judgment;
mod keys;
mod migrate;
mod notify;
mod privileges;
mod rds;
mod redis_flush;
mod report;
mod reset;
mod rules;
mod seed;
mod shop;
mod status;
mod walkthrough;

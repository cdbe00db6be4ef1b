//! `restage redis flush`.

use crate::support::{TestRedis, restage, run, work_dir};

#[test]
fn flush_without_pattern_empties_only_the_configured_database() {
    let mut redis = TestRedis::new();
    let mut neighbour = TestRedis::new();
    redis.set_keys((0..300).map(|i| format!("key:{i}")));
    neighbour.set_keys(["kept:1", "kept:2"]);
    let dir = work_dir();
    run(restage(dir.path()).args(["redis", "flush", "--yes", "--redis-url", &redis.url()]))
        .assert_code(0)
        .assert_stdout_contains("removed 300 key(s)");
    assert_eq!(redis.size(), 0);
    assert_eq!(neighbour.keys("*"), ["kept:1", "kept:2"]);
}

#[test]
fn flush_with_pattern_removes_exactly_the_matching_keys() {
    let mut redis = TestRedis::new();
    redis.set_keys((0..2500).map(|i| format!("cache:{i}")));
    redis.set_keys(["session:1", "session:2", "cachet", "other:cache:1"]);
    let dir = work_dir();
    let flushed = run(restage(dir.path())
        .args(["redis", "flush", "--yes", "--json", "--pattern", "cache:*"])
        .env("STAGING_REDIS_URL", redis.url()));
    flushed.assert_code(0);
    assert_eq!(flushed.json()["removed"], 2500);
    assert_eq!(
        redis.keys("*"),
        ["cachet", "other:cache:1", "session:1", "session:2"]
    );
}

#[test]
fn flush_without_yes_and_without_a_terminal_is_refused() {
    let mut redis = TestRedis::new();
    redis.set_keys(["a", "b"]);
    let dir = work_dir();
    run(restage(dir.path()).args(["redis", "flush", "--redis-url", &redis.url()]))
        .assert_code(3)
        .assert_clean_failure("s3cr3t")
        .assert_stderr_contains("pass --yes");
    assert_eq!(redis.size(), 2);
}

#[test]
fn flush_of_the_production_redis_is_refused() {
    let mut redis = TestRedis::new();
    redis.set_keys(["a"]);
    let dir = work_dir();
    let production = redis.url().replace("127.0.0.1", "localhost");
    std::fs::write(
        dir.path().join("restage.toml"),
        format!("[production]\nredis_url = \"{production}\"\n"),
    )
    .expect("write restage.toml");
    run(restage(dir.path()).args(["redis", "flush", "--yes", "--redis-url", &redis.url()]))
        .assert_code(3)
        .assert_stderr_contains("is the production Redis");
    assert_eq!(redis.size(), 1);
}

#[test]
fn unreachable_redis_fails_fast_with_a_clear_message() {
    let dir = work_dir();
    let started = std::time::Instant::now();
    run(restage(dir.path()).args([
        "redis",
        "flush",
        "--yes",
        "--redis-url",
        "redis://:s3cr3t@127.0.0.1:1/0",
    ]))
    .assert_code(5)
    .assert_clean_failure("s3cr3t")
    .assert_stderr_contains("connecting failed on Redis redis://:***@127.0.0.1:1/0");
    assert!(
        started.elapsed().as_secs() < 6,
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn production_redis_under_another_name_is_never_flushed() {
    let mut production = TestRedis::new();
    production.set_keys(["session:1", "session:2"]);
    let dir = work_dir();
    std::fs::write(
        dir.path().join("restage.toml"),
        format!("[production]\nredis_url = \"{}\"\n", production.url()),
    )
    .expect("write restage.toml");
    for alias in ["127.1", "2130706433"] {
        let aliased = production.url().replacen("127.0.0.1", alias, 1);
        assert_ne!(
            aliased,
            production.url(),
            "the test Redis is reached as 127.0.0.1"
        );
        run(restage(dir.path()).args(["redis", "flush", "--yes", "--redis-url", &aliased]))
            .assert_code(3)
            .assert_stderr_contains("is the production Redis")
            .assert_stderr_contains("run_id");
    }
    assert_eq!(production.keys("*"), ["session:1", "session:2"]);
    // Another database of the same server is not production's.
    let mut staging = TestRedis::new();
    staging.set_keys(["cache:1"]);
    let other = staging.url().replacen("127.0.0.1", "127.1", 1);
    run(restage(dir.path()).args(["redis", "flush", "--yes", "--redis-url", &other]))
        .assert_code(0);
    assert_eq!(staging.size(), 0);
}

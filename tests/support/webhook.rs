//! A Slack-like webhook on loopback for `[notify]` tests.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

/// The secret part of the webhook URL, which must never show anywhere.
pub const WEBHOOK_TOKEN: &str = "T0RESTAGE/B0HOOK/s3cretW3bh00kT0ken";

/// A Slack-like webhook on loopback: answers 200 and hands over each body it received.
pub struct Webhook {
    pub url: String,
    bodies: mpsc::Receiver<serde_json::Value>,
}

impl Webhook {
    pub fn start() -> Webhook {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let url = format!(
            "http://{}/services/{WEBHOOK_TOKEN}",
            listener.local_addr().expect("address")
        );
        let (sender, bodies) = mpsc::channel();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let Some(body) = read_request(&stream) else {
                    continue;
                };
                let mut stream = stream;
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                );
                if sender.send(body).is_err() {
                    return;
                }
            }
        });
        Webhook { url, bodies }
    }

    /// The body of the one request the run made.
    pub fn one_body(&self) -> serde_json::Value {
        let body = self
            .bodies
            .recv_timeout(Duration::from_secs(10))
            .expect("the webhook was called");
        assert!(
            self.bodies.try_recv().is_err(),
            "the webhook was called once"
        );
        body
    }

    pub fn assert_not_called(&self) {
        assert!(
            self.bodies
                .recv_timeout(Duration::from_millis(300))
                .is_err(),
            "the webhook was not called"
        );
    }
}

/// The JSON body of one HTTP request.
fn read_request(stream: &std::net::TcpStream) -> Option<serde_json::Value> {
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

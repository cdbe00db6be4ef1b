"""moto's AWS API on a free loopback port, for restage's tests, with fault injection.

Prints the port on stdout once it listens, then serves until killed. Environment:
  RESTAGE_MOTO_LOG          file to append each API call to, one per line: the action, a tab,
                            its parameters as JSON (passwords as "***")
  RESTAGE_MOTO_DENY         comma-separated RDS actions answered with AWS's AccessDenied
  RESTAGE_MOTO_NEVER_READY  instance-id prefix whose instances stay 'creating' forever
                            (moto itself makes every instance available at once)
  RESTAGE_MOTO_THROTTLE     ACTION:N: the first N calls of ACTION are answered with
                            AWS's Throttling error (clients must back off and retry)
  RESTAGE_MOTO_SLOW_SNAPSHOTS  N: the first N answers of DescribeDBSnapshots show every
                            snapshot as 'creating' (as RDS does for minutes)
"""

import io
import json
import os
import re
import sys
from urllib.parse import parse_qs

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

ACCESS_DENIED = """<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">
  <Error><Type>Sender</Type><Code>AccessDenied</Code>
    <Message>User: arn:aws:iam::123456789012:user/restage-test is not authorized to perform: rds:{action} because no identity-based policy allows the rds:{action} action</Message>
  </Error><RequestId>restage-test</RequestId>
</ErrorResponse>"""


THROTTLED = """<ErrorResponse xmlns="http://rds.amazonaws.com/doc/2014-10-31/">
  <Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>
  <RequestId>restage-test</RequestId>
</ErrorResponse>"""


def error(start_response, status, payload):
    payload = payload.encode()
    start_response(status, [("Content-Type", "text/xml"), ("Content-Length", str(len(payload)))])
    return [payload]


class Faults:
    """WSGI middleware in front of moto: logs actions and injects the configured faults."""

    def __init__(self, app):
        self.app = app
        self.log = os.environ.get("RESTAGE_MOTO_LOG")
        self.deny = {a for a in os.environ.get("RESTAGE_MOTO_DENY", "").split(",") if a}
        self.never_ready = os.environ.get("RESTAGE_MOTO_NEVER_READY")
        throttle = os.environ.get("RESTAGE_MOTO_THROTTLE", "")
        self.throttled_action, _, count = throttle.partition(":")
        self.throttles_left = int(count or 0)
        self.slow_snapshot_answers = int(os.environ.get("RESTAGE_MOTO_SLOW_SNAPSHOTS") or 0)

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        query = parse_qs(body.decode("utf-8", "replace")) or parse_qs(environ.get("QUERY_STRING", ""))
        action = (query.get("Action") or [""])[0]
        if self.log and action:
            params = {k: ("***" if "Password" in k else v[0]) for k, v in query.items() if k != "Action"}
            with open(self.log, "a", encoding="utf-8") as log:
                log.write(action + "\t" + json.dumps(params, sort_keys=True) + "\n")
        if action in self.deny:
            return error(start_response, "403 Forbidden", ACCESS_DENIED.format(action=action))
        if action == self.throttled_action and self.throttles_left > 0:
            self.throttles_left -= 1
            return error(start_response, "400 Bad Request", THROTTLED)
        if action == "DescribeDBSnapshots" and self.slow_snapshot_answers > 0:
            self.slow_snapshot_answers -= 1
            return self.rewrite(environ, start_response, "DBSnapshot", "Status", lambda block: True)
        if action != "DescribeDBInstances" or not self.never_ready:
            return self.app(environ, start_response)
        prefix = re.escape(self.never_ready)
        return self.rewrite(
            environ,
            start_response,
            "DBInstance",
            "DBInstanceStatus",
            lambda block: re.search(f"<DBInstanceIdentifier>{prefix}", block),
        )

    def rewrite(self, environ, start_response, element, status, matches):
        """moto's answer with the `status` of each `element` that `matches` set to 'creating'."""
        captured = {}

        def capture(status, headers, exc_info=None):
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        payload = b"".join(self.app(environ, capture)).decode()

        def stuck(match):
            block = match.group(0)
            if matches(block):
                block = re.sub(
                    f"<{status}>[^<]*</{status}>", f"<{status}>creating</{status}>", block
                )
            return block

        payload = re.sub(f"<{element}>.*?</{element}>", stuck, payload, flags=re.S).encode()
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(payload))))
        start_response(captured["status"], headers)
        return [payload]


def main():
    app = Faults(DomainDispatcherApplication(create_backend_app))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    print(server.server_port, flush=True)
    sys.stdout.close()
    server.serve_forever()


if __name__ == "__main__":
    main()

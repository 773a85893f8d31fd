"""The local stack's artifact download endpoint: what a pre-signed S3 URL reaches, and nothing more.

It serves GET and HEAD of objects in the artifacts bucket, read from moto in this process, to requests
whose SigV4 query signature is valid (recomputed with botocore's signer for the stack's credentials and
the URL's own date, compared in constant time) and whose X-Amz-Date + X-Amz-Expires hasn't passed,
answering as S3 does otherwise (403 with an XML Error). Other methods are 405; other paths 403. It binds
127.0.0.1 only, and webhook URLs aimed at its port are refused (WEBHOOK_DENIED_LOCAL_PORTS).
"""

from __future__ import annotations

import hmac
import logging
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit
from xml.sax.saxutils import escape

from botocore.auth import S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import percent_encode_sequence

log = logging.getLogger(__name__)

SIGV4_TIMESTAMP = "%Y%m%dT%H%M%SZ"
MAX_EXPIRES = 7 * 24 * 3600  # S3's limit for X-Amz-Expires
REQUIRED = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders")


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def verify(
    method: str,
    raw_path: str,
    host: str,
    headers: dict[str, str],
    credentials: Credentials,
    region: str,
    now: datetime,
) -> None:
    """Raise Refused unless the URL is a valid, unexpired SigV4 pre-signed URL for this method."""
    parts = urlsplit(raw_path)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = dict(pairs)
    if any(name not in query for name in (*REQUIRED, "X-Amz-Signature")):
        raise Refused(
            403, "AccessDenied", "Query-string authentication version 4 requires " + ", ".join(REQUIRED)
        )
    if query["X-Amz-Algorithm"] != "AWS4-HMAC-SHA256":
        raise Refused(
            400, "AuthorizationQueryParametersError", 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"'
        )
    scope = query["X-Amz-Credential"].split("/")
    if len(scope) != 5 or scope[0] != credentials.access_key:
        raise Refused(
            403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
        )
    try:
        signed_at = datetime.strptime(query["X-Amz-Date"], SIGV4_TIMESTAMP).replace(tzinfo=UTC)
        expires = int(query["X-Amz-Expires"])
    except ValueError:
        raise Refused(403, "AccessDenied", "X-Amz-Date or X-Amz-Expires is malformed") from None
    if not 1 <= expires <= MAX_EXPIRES:
        raise Refused(
            403, "AuthorizationQueryParametersError", "X-Amz-Expires must be between 1 and 604800 seconds"
        )
    if now > signed_at + timedelta(seconds=expires):
        raise Refused(403, "AccessDenied", "Request has expired")
    if scope[1] != query["X-Amz-Date"][:8] or scope[2] != region or scope[3:] != ["s3", "aws4_request"]:
        raise Refused(403, "SignatureDoesNotMatch", "the credential scope is not this date's and region's")
    lowered = {name.lower(): value for name, value in headers.items()}
    signed = {"host": host}
    for name in query["X-Amz-SignedHeaders"].split(";"):
        if name != "host":
            if name not in lowered:
                raise Refused(403, "SignatureDoesNotMatch", f"the signed header {name} is missing")
            signed[name] = lowered[name]
    unsigned = [(name, value) for name, value in pairs if name != "X-Amz-Signature"]
    request = AWSRequest(
        method=method,
        url=f"http://{host}{parts.path}?{percent_encode_sequence(dict(unsigned))}",
        headers=signed,
    )
    request.context["timestamp"] = query["X-Amz-Date"]
    signer = S3SigV4QueryAuth(credentials, "s3", region, expires=expires)
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected.encode(), query["X-Amz-Signature"].encode()):
        raise Refused(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )


def _error_xml(code: str, message: str, resource: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        f"<Resource>{escape(resource)}</Resource></Error>"
    ).encode()


class DownloadServer:
    """The endpoint, on a thread of its own. `url` once started."""

    def __init__(self, bucket: str, credentials: Credentials, region: str) -> None:
        self.bucket, self.credentials, self.region = bucket, credentials, region
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        import boto3

        s3 = boto3.session.Session(region_name=self.region).client("s3")
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "AmazonS3"
            sys_version = ""

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("download %s", format % args)

            def _send(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))  # HEAD: the length GET would send
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _error(
                self, status: int, code: str, message: str, extra: dict[str, str] | None = None
            ) -> None:
                resource = urlsplit(self.path).path
                self._send(
                    status,
                    {"Content-Type": "application/xml", **(extra or {})},
                    _error_xml(code, message, resource),
                )

            def _serve(self) -> None:
                path = urlsplit(self.path).path
                bucket, _, key = path.lstrip("/").partition("/")
                if bucket != endpoint.bucket or not key:
                    self._error(403, "AccessDenied", "Access Denied")
                    return
                try:
                    verify(
                        self.command,
                        self.path,
                        self.headers.get("Host") or "",
                        dict(self.headers.items()),
                        endpoint.credentials,
                        endpoint.region,
                        datetime.now(UTC),
                    )
                except Refused as refused:
                    self._error(refused.status, refused.code, refused.message)
                    return
                try:
                    got = s3.get_object(Bucket=bucket, Key=unquote(key))
                except s3.exceptions.NoSuchKey:
                    self._error(404, "NoSuchKey", "The specified key does not exist.")
                    return
                body = got["Body"].read()
                headers = {
                    "Content-Type": got.get("ContentType") or "binary/octet-stream",
                    "ETag": got.get("ETag", ""),
                    "Last-Modified": format_datetime(got["LastModified"].astimezone(UTC), usegmt=True),
                    "Accept-Ranges": "bytes",
                }
                self._send(200, headers, body)

            def do_GET(self) -> None:
                self._serve()

            def do_HEAD(self) -> None:
                self._serve()

            def _not_allowed(self) -> None:
                self._error(
                    405,
                    "MethodNotAllowed",
                    "The specified method is not allowed against this resource.",
                    {"Allow": "GET, HEAD"},
                )

            do_PUT = do_POST = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="local-downloads", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

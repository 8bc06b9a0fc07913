"""ecr_repos.core.response: the PUT to the pre-signed URL, over real TLS to a server on 127.0.0.1.

The server's certificate is made here (self-signed, for 127.0.0.1). The sender's own context checks
certificates against the system's CAs, so the end-to-end tests swap in a context that trusts this one;
a separate test shows the default context refuses it.
"""

from __future__ import annotations

import datetime
import http.client
import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ecr_repos.core import response


def _certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class S3Stub:
    """A pre-signed-URL endpoint: records each PUT, answers with ``statuses`` in turn (then 200); a
    status of 0 drops the connection without answering."""

    url: str
    cafile: Path
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    def trusted(self) -> ssl.SSLContext:
        return ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(self.cafile))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    return _certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def s3(certificate) -> Iterator[S3Stub]:
    cert_file, key_file = certificate
    stub = S3Stub(url="", cafile=cert_file)

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers["Content-Length"]))
            stub.received.append(Received("PUT", self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            status = stub.statuses.pop(0) if stub.statuses else 200
            if status == 0:
                self.close_connection = True
                self.connection.shutdown(2)
                return
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert_file, key_file)
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stub.url = f"https://127.0.0.1:{server.server_address[1]}"
    try:
        yield stub
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def trusting(s3, monkeypatch) -> S3Stub:
    monkeypatch.setattr(response, "tls_context", s3.trusted)
    monkeypatch.setattr(response, "_pause", lambda attempt: None)
    return s3


BODY = {"Status": "SUCCESS", "PhysicalResourceId": "ecr-repos:s:Repos:0123456789ab", "StackId": "arn:stack",
        "RequestId": "r-1", "LogicalResourceId": "Repos", "Reason": "", "Data": {"Repos": "app/api"}, "NoEcho": False}


def test_the_body_is_put_to_the_presigned_path_with_an_empty_content_type(trusting):
    status = response.send(f"{trusting.url}/bucket/key?X-Amz-Signature=abc&X-Amz-Expires=7200", BODY)

    assert status == 200
    [put] = trusting.received
    assert put.path == "/bucket/key?X-Amz-Signature=abc&X-Amz-Expires=7200"
    assert put.headers["content-type"] == ""
    assert int(put.headers["content-length"]) == len(put.body)
    assert json.loads(put.body) == BODY


def test_a_dropped_connection_is_retried_until_the_response_is_delivered(trusting):
    trusting.statuses = [0, 0]

    assert response.send(f"{trusting.url}/k?sig=1", BODY) == 200
    assert len(trusting.received) == 3
    assert {json.loads(r.body)["RequestId"] for r in trusting.received} == {"r-1"}


def test_an_http_refusal_is_final(trusting):
    trusting.statuses = [403]

    assert response.send(f"{trusting.url}/k?sig=expired", BODY) == 403
    assert len(trusting.received) == 1


def test_a_body_that_is_not_json_still_answers_failed_with_the_request_ids(trusting):
    response.send(f"{trusting.url}/k", {**BODY, "Data": {"Repos": object()}})

    sent = json.loads(trusting.received[0].body)
    assert sent["Status"] == "FAILED"
    assert (sent["RequestId"], sent["StackId"], sent["LogicalResourceId"], sent["PhysicalResourceId"]) == (
        "r-1", "arn:stack", "Repos", "ecr-repos:s:Repos:0123456789ab")
    assert sent["Reason"].startswith("Internal error: the response is not JSON") and len(sent["Reason"]) <= 256


def test_the_default_context_is_built_once_and_verifies_certificates(s3):
    context = response.tls_context()

    assert response.tls_context() is context
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    with pytest.raises(ssl.SSLCertVerificationError):  # the stub's self-signed certificate is not a system CA
        with context.wrap_socket(socket.create_connection(("127.0.0.1", int(s3.url.rsplit(":", 1)[1]))),
                                 server_hostname="127.0.0.1"):
            pass


class _Taken:
    """A connection for ``response.connections``: keeps what it is given, answers ``status``."""

    def __init__(self, made: list[dict[str, Any]], status: int = 200):
        self.made, self.status = made, status

    def __call__(self, host: str, timeout: float | None = None, context: Any = None) -> _Taken:
        self.made.append({"host": host, "timeout": timeout, "context": context})
        return self

    def request(self, method: str, url: str, body: str, headers: dict[str, str]) -> None:
        self.made[-1].update(method=method, url=url, body=body, headers=headers)

    def getresponse(self) -> _Taken:
        self.reason = "OK"
        return self

    def close(self) -> None:
        self.made[-1]["closed"] = True


def test_a_connections_block_makes_the_connections_and_the_default_comes_back():
    made: list[dict[str, Any]] = []
    assert response._factory is http.client.HTTPSConnection

    with response.connections(_Taken(made)):
        with response.connections(_Taken(made, status=403)):  # blocks nest
            assert response.send("https://bucket.test/inner?sig=1", BODY) == 403
        assert response.send("https://bucket.test/k?X-Amz-Signature=abc", BODY) == 200

    assert response._factory is http.client.HTTPSConnection
    inner, outer = made
    assert inner["url"] == "/inner?sig=1"
    assert (outer["host"], outer["url"], outer["method"], outer["closed"]) == (
        "bucket.test", "/k?X-Amz-Signature=abc", "PUT", True)
    # the same PUT as to S3: the verifying context, the timeout, an empty content type, the length
    assert outer["context"] is response.tls_context() and outer["timeout"] == response.CONNECT_TIMEOUT_SECONDS
    assert outer["headers"] == {"content-type": "", "content-length": str(len(outer["body"].encode()))}
    assert json.loads(outer["body"]) == BODY


def test_a_connections_block_restores_the_factory_when_it_raises():
    with pytest.raises(RuntimeError):
        with response.connections(_Taken([])):
            raise RuntimeError("boom")
    assert response._factory is http.client.HTTPSConnection


def test_the_lambda_entry_point_answers_over_tls(trusting, ecr):
    from ecr_repos.cli.cloudformation import LambdaContext, Resource
    from ecr_repos.handler import handler

    event = Resource(stack_name="tls", logical_id="Repos").event("Create", {"EcrRepositories": {"app/api": {}}})
    event["ResponseURL"] = f"{trusting.url}/cloudformation-responses/tls?X-Amz-Signature=abc"
    handler(event, LambdaContext())

    [put] = trusting.received
    assert put.path == "/cloudformation-responses/tls?X-Amz-Signature=abc"
    sent = json.loads(put.body)
    assert (sent["Status"], sent["RequestId"], sent["Data"]["Repos"]) == ("SUCCESS", event["RequestId"], "app/api")
    assert [r["repositoryName"] for r in ecr.describe_repositories()["repositories"]] == ["app/api"]

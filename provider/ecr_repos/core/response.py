"""The response: a PUT of the JSON body to CloudFormation's pre-signed S3 URL.

``body`` builds the JSON body (the fields crhelper's ``CfnResource`` sends, with its rule for long
Reasons) and ``send`` PUTs it; ``core.protocol`` decides when.

The sender differs from crhelper's in one way that matters: the TLS context. Building one loads
the system's CA bundle, 30-50 ms of a cold start, and crhelper builds a new one for every response.
Here it is built once per process, by a thread started at import: OpenSSL reads the bundle without
holding the GIL, so the work overlaps the Lambda's init and the ECR calls, and warm invocations reuse
it. The context is the standard library's default for servers (certificates and host names checked).

Like crhelper's, the sender keeps trying while the connection fails (a response that never arrives
leaves the stack waiting for up to an hour; the Lambda's own timeout ends the attempts), and an HTTP
answer of any status ends them (S3 refusing a pre-signed URL does not change on a retry). Unlike
crhelper's, a body that cannot be serialised still carries the request's identifiers.

The connections are made by one module-level factory, ``http.client.HTTPSConnection`` unless a
``connections(factory)`` block says otherwise: the CloudFormation simulator of the CLI and the tests
(``provider/ecr_repos/cli/cloudformation.py``) receive the PUT there, with the body, headers and retries exactly
as they would reach S3. The Lambda never replaces it.
"""

from __future__ import annotations

import json
import logging
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from http.client import HTTPSConnection
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 30.0
MAX_PAUSE_SECONDS = 8.0

_context: Future[ssl.SSLContext] = Future()


def _build_context() -> None:
    try:
        _context.set_result(ssl.create_default_context(ssl.Purpose.SERVER_AUTH))
    except BaseException as exc:  # pragma: no cover - a broken CA store: tls_context() tries again
        _context.set_exception(exc)


# Not a daemon: a process that ends right after the import (a CLI run, a test's fresh interpreter)
# waits the few milliseconds left instead of finalising the interpreter while OpenSSL still reads the
# CA bundle in this thread, which crashed such a process (SIGSEGV, seen once in the layout test).
threading.Thread(target=_build_context, name="ecr-repos-tls", daemon=False).start()


class Answer(Protocol):
    """What the sender reads of an HTTP answer (``http.client.HTTPResponse`` has it)."""

    status: int
    reason: str


class Connection(Protocol):
    """What the sender uses of a connection (``http.client.HTTPSConnection`` has it)."""

    def request(self, method: str, url: str, body: str, headers: dict[str, str]) -> None: ...

    def getresponse(self) -> Answer: ...

    def close(self) -> None: ...


# Called as factory(host, timeout=..., context=...) for each attempt; see ``connections``.
ConnectionFactory = Callable[..., Connection]

_factory: ConnectionFactory = HTTPSConnection


@contextmanager
def connections(factory: ConnectionFactory) -> Iterator[None]:
    """Make every response's connections with ``factory`` instead of ``HTTPSConnection`` inside the
    block, in every thread (crhelper's timer thread sends too); the previous factory is restored
    after it. Blocks may nest, entered by one thread at a time (as the simulator and the tests do):
    two threads whose blocks overlap would restore each other's factory."""
    global _factory
    previous, _factory = _factory, factory
    try:
        yield
    finally:
        _factory = previous


def tls_context() -> ssl.SSLContext:
    """The process's TLS context, waiting for the thread if it is still building it."""
    try:
        return _context.result()
    except Exception:  # the thread failed: try once more here, so the error (if any) is the caller's
        return ssl.create_default_context(ssl.Purpose.SERVER_AUTH)


def _pause(attempt: int) -> None:
    time.sleep(min(MAX_PAUSE_SECONDS, 0.5 * 2**attempt))


def encode(body: dict[str, Any]) -> str:
    try:
        return json.dumps(body)
    except (TypeError, ValueError) as exc:
        logger.error("response body is not JSON: %s", exc)
        ids = {k: str(body.get(k, "")) for k in ("PhysicalResourceId", "StackId", "RequestId", "LogicalResourceId")}
        return json.dumps({**ids, "Status": "FAILED", "Data": {}, "NoEcho": False,
                           "Reason": f"Internal error: the response is not JSON ({exc}). Report it with the logs."[:256]})


REASON_LIMIT, REASON_KEPT = 256, 240  # CloudFormation's Reason limit; crhelper keeps the last 240 of a longer one


def body(event: dict[str, Any], status: str, reason: str, physical_id: str, data: dict[str, Any],
         no_echo: bool = False) -> dict[str, Any]:
    """The response to ``event``. A Reason over 256 characters keeps its end (where the provider's
    messages say what to do), as crhelper does."""
    text = str(reason)
    if len(text) > REASON_LIMIT:
        text = "ERROR: (truncated) " + text[-REASON_KEPT:]
    return {
        "Status": status,
        "PhysicalResourceId": str(physical_id),
        "StackId": event.get("StackId", ""),
        "RequestId": event.get("RequestId", ""),
        "LogicalResourceId": event.get("LogicalResourceId", ""),
        "Reason": text,
        "Data": data,
        "NoEcho": no_echo,
    }


def send(url: str, body: dict[str, Any], ssl_verify: Any = None) -> int:
    """PUT ``body`` to the pre-signed ``url``; returns the HTTP status. (``ssl_verify`` is crhelper's
    argument: the provider never sets it, and the default context always verifies.)"""
    text = encode(body)
    parts = urlsplit(url)
    target = urlunsplit(("", "", parts.path, parts.query, parts.fragment))
    # The URL is signed for a PUT with an empty content type: anything else is refused by S3.
    headers = {"content-type": "", "content-length": str(len(text.encode()))}
    attempt = 0
    while True:
        try:
            connection = _factory(parts.netloc, timeout=CONNECT_TIMEOUT_SECONDS, context=tls_context())
            try:
                connection.request("PUT", target, body=text, headers=headers)
                answer = connection.getresponse()
            finally:
                connection.close()
        except Exception as exc:
            logger.warning("response PUT failed (attempt %d): %s; retrying", attempt + 1, exc)
            _pause(attempt)
            attempt += 1
            continue
        status = int(answer.status)
        if status >= 300:
            logger.error("CloudFormation's URL answered %s %s: the response was not accepted", status, answer.reason)
        else:
            logger.info("response %s delivered (%s %s)", body.get("Status"), status, answer.reason)
        return status

"""Lambda's asynchronous invocation, in process: the queue the provider's Invoke of itself feeds.

The provider goes on in a fresh invocation by calling ``lambda:Invoke`` (``InvocationType: Event``)
on its own function (``ecr_repos.core.continuation``). moto's Lambda would run the function in
Docker; here the provider's real boto3 Lambda client is kept (botocore still validates and
serialises the request) and only the sending is replaced, through botocore's ``before-call`` event:
the request is checked as Lambda checks it (the function, the invocation type, the payload within
1 MB: Lambda API reference, Invoke) and queued, and Lambda answers 202. ``LambdaService.run``
delivers the first event and then every queued one, in order, each to the real entry point with a
fresh context of ``seconds`` (a short-lived Lambda), and returns every response PUT on the way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock
from urllib.parse import unquote

from botocore.awsrequest import AWSResponse

from ecr_repos.cli.cloudformation import SERVICE_TOKEN, LambdaContext, Response, _Recorder

ASYNC_PAYLOAD_LIMIT = 1024 * 1024  # bytes (Lambda API reference, Invoke: asynchronous invocations)


class LambdaService:
    """One function's asynchronous queue."""

    def __init__(self, seconds: float, function_arn: str = SERVICE_TOKEN):
        self.seconds = seconds
        self.function_arn = function_arn
        self.queue: list[bytes] = []
        self.delivered: list[dict[str, Any]] = []  # every event the function received, in order
        self.payload_sizes: list[int] = []  # of each asynchronous Invoke accepted

    def context(self) -> LambdaContext:
        return LambdaContext(self.seconds, self.function_arn)

    def intercept(self, model: Any, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        headers = {k.lower(): v for k, v in params["headers"].items()}
        name = unquote(params["url_path"].split("/functions/", 1)[1].split("/", 1)[0])
        body = params["body"] if isinstance(params["body"], bytes) else str(params["body"]).encode()
        if name != self.function_arn:
            return self._error(404, "ResourceNotFoundException", f"Function not found: {name}")
        if headers.get("x-amz-invocation-type") != "Event":
            return self._error(400, "InvalidParameterValueException", "the stand-in serves Event only")
        if len(body) > ASYNC_PAYLOAD_LIMIT:
            return self._error(413, "RequestEntityTooLargeException", f"{len(body)} bytes")
        json.loads(body)  # Lambda refuses a payload that is not JSON
        self.queue.append(body)
        self.payload_sizes.append(len(body))
        return AWSResponse(params.get("url", ""), 202, {}, None), {"StatusCode": 202,
                                                          "ResponseMetadata": {"HTTPStatusCode": 202}}

    @staticmethod
    def _error(status: int, code: str, message: str) -> tuple[AWSResponse, dict[str, Any]]:
        return AWSResponse("", status, {}, None), {"Error": {"Code": code, "Message": message},
                                                  "ResponseMetadata": {"HTTPStatusCode": status}}

    def deliver(self, event: dict[str, Any]) -> list[Response]:
        """One invocation of the entry point; the responses it PUT."""
        from ecr_repos.core import response
        from ecr_repos.handler import handler

        before = len(_Recorder.sent)
        self.delivered.append(json.loads(json.dumps(event)))
        with response.connections(_Recorder):
            handler(json.loads(json.dumps(event)), self.context())
        return _Recorder.sent[before:]

    def run(self, event: dict[str, Any], *, limit: int = 50) -> list[Response]:
        """Deliver ``event``, then each queued invocation until the queue is empty."""
        _Recorder.sent = []
        sent = self.deliver(event)
        while self.queue:
            assert len(self.delivered) < limit, "the chain does not end"
            sent += self.deliver(json.loads(self.queue.pop(0)))
        return sent


@contextmanager
def service(seconds: float, function_arn: str = SERVICE_TOKEN) -> Iterator[LambdaService]:
    """Inside the block, the provider's Lambda clients deliver their asynchronous Invokes to a
    ``LambdaService`` whose invocations live ``seconds``."""
    from ecr_repos.core import continuation

    lam = LambdaService(seconds, function_arn)
    original = continuation.make_client

    def make_client(region: str | None) -> Any:
        client = original(region)
        client.meta.events.register("before-call.lambda.Invoke", lam.intercept)
        return client

    with mock.patch.object(continuation, "make_client", make_client):
        yield lam

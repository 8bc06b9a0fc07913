"""CloudFormation's side of the custom-resource protocol, for one Custom::EcrRepos resource.

It sends events the way CloudFormation does (every scalar property turned into a string, a
presigned ResponseURL, the physical id rules of replacement and rollback) to the real Lambda entry
point, and receives the response PUT through the sender's connection factory
(``ecr_repos.core.response.connections``): the body and headers are the ones S3 would get, and nothing
leaves the process. ``ecr-repos demo`` and the tests (through ``tests/support/cfn.py``) drive the
provider with it. Standard library and the Lambda's own modules only (no PyYAML, nothing else of
``ecr_repos.cli``), so the tests of the Lambda zip can load it beside the zip's provider; the Lambda
never imports it.
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

SERVICE_TOKEN = "arn:aws:lambda:us-east-1:123456789012:function:ecr-repos-provider"


def stringify(value: Any) -> Any:
    """What CloudFormation does to property values: scalars become strings, at any depth."""
    if isinstance(value, dict):
        return {k: stringify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [stringify(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


@dataclass
class Response:
    """One response PUT as CloudFormation receives it."""

    body: dict[str, Any]
    size: int
    url: str

    @property
    def status(self) -> str:
        return self.body["Status"]

    @property
    def ok(self) -> bool:
        return self.status == "SUCCESS"

    @property
    def reason(self) -> str:
        return self.body.get("Reason", "")

    @property
    def physical_id(self) -> str:
        return self.body["PhysicalResourceId"]

    @property
    def data(self) -> dict[str, Any]:
        return self.body.get("Data") or {}


@dataclass(frozen=True)
class _Answer:
    """S3's answer to an accepted PUT, as the sender reads it."""

    status: int = 200
    reason: str = "OK"


class _Recorder:
    """A connection for ``ecr_repos.core.response.connections``: records each PUT in ``sent``, answers 200 OK."""

    sent: list[Response] = []

    def __init__(self, host: str, timeout: float | None = None, context: Any = None):
        self.host = host

    def request(self, method: str, url: str, body: str, headers: dict[str, str]) -> None:
        assert method == "PUT"
        assert headers["content-length"] == str(len(body.encode()))  # bytes, as S3 counts them
        _Recorder.sent.append(Response(json.loads(body), len(body.encode()), f"https://{self.host}{url}"))

    def getresponse(self) -> _Answer:
        return _Answer()

    def close(self) -> None:
        pass


class LambdaContext:
    """The parts of the Lambda context the provider reads."""

    def __init__(self, seconds: float = 900.0, function_arn: str = SERVICE_TOKEN):
        self.deadline = time.monotonic() + seconds
        self.function_name = function_arn.split(":")[-1]
        self.invoked_function_arn = function_arn
        self.aws_request_id = str(uuid.uuid4())
        self.memory_limit_in_mb = 512

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


def invoke(event: dict[str, Any], context: LambdaContext | None = None) -> list[Response]:
    """Call the Lambda entry point with ``event``; return every response it PUT (normally one)."""
    # Absolute: the tests of the Lambda zip load this file by path, beside the zip's ecr_repos.
    from ecr_repos.core import response
    from ecr_repos.handler import handler

    _Recorder.sent = []
    with response.connections(_Recorder):
        handler(copy.deepcopy(event), context or LambdaContext())
    return list(_Recorder.sent)


def invoke_one(event: dict[str, Any], context: LambdaContext | None = None) -> Response:
    sent = invoke(event, context)
    assert len(sent) == 1, f"expected exactly one response, got {len(sent)}: {sent}"
    return sent[0]


@dataclass
class Resource:
    """One Custom::EcrRepos in one stack, driven through CloudFormation's lifecycle."""

    stack_name: str = "demo"
    logical_id: str = "Repos"
    account: str = "123456789012"
    region: str = "us-east-1"
    physical_id: str | None = None
    properties: dict[str, Any] | None = None
    history: list[tuple[dict[str, Any], Response]] = field(default_factory=list)
    stack_uuid: str = ""

    def __post_init__(self) -> None:
        if not self.stack_uuid:
            self.stack_uuid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{self.account}/{self.region}/{self.stack_name}"))

    @property
    def stack_id(self) -> str:
        return f"arn:aws:cloudformation:{self.region}:{self.account}:stack/{self.stack_name}/{self.stack_uuid}"

    def event(self, kind: str, properties: dict[str, Any], *, physical_id: str | None = None,
              old_properties: dict[str, Any] | None = None, request_id: str | None = None) -> dict[str, Any]:
        props = {"ServiceToken": SERVICE_TOKEN, **properties}
        event: dict[str, Any] = {
            "RequestType": kind,
            "ServiceToken": SERVICE_TOKEN,
            "ResponseURL": "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/"
            f"{uuid.uuid4()}?X-Amz-Signature=abc",
            "StackId": self.stack_id,
            "RequestId": request_id or str(uuid.uuid4()),
            "LogicalResourceId": self.logical_id,
            "ResourceType": "Custom::EcrRepos",
            "ResourceProperties": stringify(props),
        }
        if physical_id is not None:
            event["PhysicalResourceId"] = physical_id
        if old_properties is not None:
            event["OldResourceProperties"] = stringify({"ServiceToken": SERVICE_TOKEN, **old_properties})
        return event

    def send(self, event: dict[str, Any], context: LambdaContext | None = None) -> Response:
        response = invoke_one(event, context)
        self.history.append((event, response))
        return response

    # --- what CloudFormation does --------------------------------------------------------------

    def create(self, properties: dict[str, Any], **kw: Any) -> Response:
        """CREATE; a FAILED Create is followed by CloudFormation's Delete of the id it carried
        only when ``rollback`` is called."""
        response = self.send(self.event("Create", properties, request_id=kw.get("request_id")), kw.get("context"))
        self.physical_id = response.physical_id
        self.properties = properties
        return response

    def update(self, properties: dict[str, Any], **kw: Any) -> Response:
        """UPDATE in place or by replacement; keeps the old id for ``cleanup`` or ``rollback``."""
        assert self.properties is not None
        event = self.event("Update", properties, physical_id=self.physical_id, old_properties=self.properties,
                           request_id=kw.get("request_id"))
        response = self.send(event, kw.get("context"))
        self._pending = (self.physical_id, self.properties, response, properties)
        if response.ok:
            self.physical_id = response.physical_id
            self.properties = properties
        return response

    def cleanup(self) -> Response | None:
        """UPDATE_COMPLETE_CLEANUP_IN_PROGRESS: Delete of the old id if the update replaced it."""
        old_id, old_props, response, _ = self._pending
        self._pending = None
        if response.physical_id == old_id:
            return None
        return self.send(self.event("Delete", old_props, physical_id=old_id))

    def rollback(self) -> Response | None:
        """The stack update failed (here or in another resource): CloudFormation rolls this resource back.

        Replaced: Delete of the new id, old id kept. In place (or this Update failed): another
        Update with the old properties.
        """
        old_id, old_props, response, new_props = self._pending
        self._pending = None
        self.physical_id, self.properties = old_id, old_props
        if response.ok and response.physical_id != old_id:
            return self.send(self.event("Delete", new_props, physical_id=response.physical_id))
        event = self.event("Update", old_props, physical_id=old_id, old_properties=new_props)
        return self.send(event)

    def delete(self, **kw: Any) -> Response:
        assert self.properties is not None
        return self.send(self.event("Delete", self.properties, physical_id=self.physical_id or ""), kw.get("context"))

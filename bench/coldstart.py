"""Cold start: a fresh Python process that imports the handler and answers one Create of one
repository, against the same process making the same ECR calls with bare boto3.

The parent serves ECR from a moto server on 127.0.0.1 (so the children import only what a Lambda
would, not moto) and times each child from spawn to exit; children alternate to share any drift.
On the Lambda stand-in (bench/lambda_runtime.py), whose zip carries its own SDK, the rows are four
(``rows``): the provider with the zip's SDK (what runs in Lambda) and bare boto3 with the runtime's
(the reference), plus each with the other SDK, which together say what carrying the SDK costs.

Child mode (``python -m bench.coldstart provider|bare``) prints its own import and call times.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the children import as little as a Lambda would
    from .lambda_runtime import Runtime

ROOT = Path(__file__).resolve().parent.parent
LIFECYCLE = {"rules": [{"rulePriority": 1, "description": "untagged", "selection": {
    "tagStatus": "untagged", "countType": "imageCountMoreThan", "countNumber": 3}, "action": {"type": "expire"}}]}


# --- child ---------------------------------------------------------------------------------------


class _Connection:
    """The connection ecr_repos.core.response makes (through ``response.connections``): the response PUT
    goes nowhere (no network), but the TLS context is asked for, as for a real connection."""

    def __init__(self, host: str, timeout: float | None = None, context: Any = None) -> None:
        pass

    sent: list[str] = []

    def request(self, method: str, url: str, body: str, headers: dict[str, str]) -> None:
        _Connection.sent.append(body)

    def getresponse(self) -> Any:
        class _Answer:
            status, reason = 200, "OK"

        return _Answer()

    def close(self) -> None:
        pass


class _Context:
    aws_request_id = "cold"
    function_name = "ecr-repos-provider"
    memory_limit_in_mb = 512

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


def child_provider(name: str) -> dict[str, float]:
    start = time.perf_counter()
    from ecr_repos.handler import handler
    imported = time.perf_counter()
    from ecr_repos.core import protocol, response
    from ecr_repos.repos import resource

    spent = {"validate": 0.0, "respond": 0.0}

    def timing(key: str, fn: Any) -> Any:  # where the work goes: schema validation, the response PUT
        def timed(*args: Any, **kwargs: Any) -> Any:
            begin = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[key] += time.perf_counter() - begin
        return timed

    resource.spec.parse = timing("validate", resource.spec.parse)  # type: ignore[method-assign]
    protocol.helper._send = timing("respond", protocol.helper._send)  # type: ignore[method-assign]
    stack = f"arn:aws:cloudformation:us-east-1:123456789012:stack/cold/{uuid.uuid4()}"
    event = {
        "RequestType": "Create", "RequestId": str(uuid.uuid4()), "StackId": stack, "LogicalResourceId": "Repos",
        "ResourceType": "Custom::EcrRepos", "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:p",
        "ResponseURL": "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x?X-Amz-Signature=a",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:p",
                               "EcrRepositories": {name: {}}},
    }
    with response.connections(_Connection):
        handler(event, _Context())
    answer = json.loads(_Connection.sent[-1])
    if answer["Status"] != "SUCCESS":  # a failed Create would time the wrong thing
        raise SystemExit(f"the provider answered {answer['Status']}: {answer.get('Reason')}")
    return {"import": imported - start, "call": time.perf_counter() - imported, **spent}


def child_bare(name: str) -> dict[str, float]:
    start = time.perf_counter()
    import boto3
    from botocore.config import Config
    imported = time.perf_counter()
    client = boto3.client("ecr", config=Config(retries={"mode": "standard", "max_attempts": 10}))
    client.create_repository(repositoryName=name, imageTagMutability="IMMUTABLE",
                             imageScanningConfiguration={"scanOnPush": True},
                             tags=[{"Key": "ecr-repos:owner", "Value": "0" * 32}])
    client.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=json.dumps(LIFECYCLE))
    return {"import": imported - start, "call": time.perf_counter() - imported}


# --- parent --------------------------------------------------------------------------------------

BARE, PROVIDER = "bare", "provider"
PROVIDER_RUNTIME_SDK, BARE_ZIP_SDK = "provider, runtime's SDK", "bare, zip's SDK"


@dataclass(frozen=True)
class Row:
    """One kind of child: its mode and its ``sys.path`` (first wins; the runtime's site-packages follow)."""

    label: str
    mode: str
    path: tuple[str, ...]


def rows(runtime: Runtime) -> list[Row]:
    """bare then provider, on the runtime's path; with a zip that carries an SDK, also each with the other SDK."""
    if runtime.sdk_site is None:
        return [Row(BARE, BARE, runtime.path), Row(PROVIDER, PROVIDER, runtime.path)]
    checkout = tuple(p for p in runtime.path if p != runtime.task)  # bench.coldstart only
    return [
        Row(BARE, BARE, checkout),  # the runtime's boto3: what a function without its own SDK gets
        Row(PROVIDER, PROVIDER, runtime.path),  # the zip first: its provider and its SDK, as in Lambda
        Row(BARE_ZIP_SDK, BARE, runtime.path),
        Row(PROVIDER_RUNTIME_SDK, PROVIDER, (runtime.sdk_site, *runtime.path)),  # how it ran before the zip had one
    ]


def _child_env(endpoint: str, runtime: Runtime, path: tuple[str, ...]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ECR_REPOS_", "PYTHON"))}
    env.update({
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
        "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint,
        "PYTHONPATH": os.pathsep.join(path),
    })
    if runtime.read_only:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _spawn(mode: str, env: dict[str, str], runtime: Runtime, *extra: str) -> tuple[float, dict[str, float], str]:
    name = f"cold/{mode}-{uuid.uuid4().hex[:10]}"
    start = time.perf_counter()
    # -P: the working directory (the unpacked zip, on the stand-in) is not put first on the path, so that
    # PYTHONPATH alone says where each module comes from
    done = subprocess.run([runtime.python, "-P", *extra, "-m", "bench.coldstart", mode, name], env=env,
                          cwd=runtime.cwd, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    return wall, json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def self_times(stderr: str) -> dict[str, float]:
    """Module -> its own import milliseconds, from a ``-X importtime`` run."""
    out: dict[str, float] = {}
    for line in stderr.splitlines():
        parts = line.split("|")
        if line.startswith("import time:") and len(parts) == 3 and "cumulative" not in parts[1]:
            out[parts[2].strip()] = int(parts[0].split(":", 1)[1]) / 1000.0
    return out


def measure(runs: int = 7, runtime: Runtime | None = None) -> dict[str, Any]:
    """Medians over ``runs`` fresh processes per row, and the modules only the provider imports."""
    from .lambda_runtime import host as host_runtime

    runtime = runtime or host_runtime()
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    table = rows(runtime)
    try:
        host, port = server.get_host_and_port()
        env = {row.label: _child_env(f"http://{host}:{port}", runtime, row.path) for row in table}
        for row in table:  # warm the OS file cache and moto's first-request costs
            _spawn(row.mode, env[row.label], runtime)
        walls: dict[str, list[float]] = {row.label: [] for row in table}
        inner: dict[str, list[dict[str, float]]] = {row.label: [] for row in table}
        for _ in range(runs):
            for row in table:
                wall, times, _ = _spawn(row.mode, env[row.label], runtime)
                walls[row.label].append(wall)
                inner[row.label].append(times)
        _, _, importtime = _spawn(PROVIDER, env[PROVIDER], runtime, "-X", "importtime")
        _, _, bare_importtime = _spawn(BARE, env[BARE], runtime, "-X", "importtime")
    finally:
        server.stop()

    def med(label: str, key: str) -> float:
        return statistics.median(t[key] for t in inner[label])

    def paired(label: str, reference: str) -> float:
        """Median of each ``label`` run minus the ``reference`` run of the same round: drift cancels out."""
        return statistics.median(p["import"] + p["call"] - b["import"] - b["call"]
                                 for b, p in zip(inner[reference], inner[label]))

    labels = [row.label for row in table]
    return {
        "runtime": runtime.label,
        "runs": runs,
        "rows": labels,
        "wall": {m: statistics.median(w) for m, w in walls.items()},
        "import": {m: med(m, "import") for m in labels},
        "call": {m: med(m, "call") for m in labels},
        "both": {m: statistics.median(t["import"] + t["call"] for t in inner[m]) for m in labels},
        "validate": statistics.median(t["validate"] for t in inner[PROVIDER]),
        "respond": statistics.median(t["respond"] for t in inner[PROVIDER]),
        "both_best": {m: min(t["import"] + t["call"] for t in inner[m]) for m in labels},
        "paired": paired(PROVIDER, BARE),
        # what carrying the SDK costs: the provider, and bare boto3, with the zip's SDK against the runtime's
        "sdk_cost": ({PROVIDER: paired(PROVIDER, PROVIDER_RUNTIME_SDK), BARE: paired(BARE_ZIP_SDK, BARE)}
                     if PROVIDER_RUNTIME_SDK in labels else None),
        "extra_imports": sorted(
            ((k, v) for k, v in self_times(importtime).items() if k not in self_times(bare_importtime)
             and not k.startswith("bench")),
            key=lambda kv: -kv[1]),
    }


if __name__ == "__main__":
    mode, repo = sys.argv[1], sys.argv[2]
    result = child_provider(repo) if mode == "provider" else child_bare(repo)
    print(json.dumps(result))

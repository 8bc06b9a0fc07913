"""Cold start: a fresh Python process that imports the handler and answers one Create of one
repository, against the same process making the same ECR calls with bare boto3.

The parent serves ECR from a moto server on 127.0.0.1 (so the children import only what a Lambda
would, not moto) and times each child from spawn to exit; children alternate to share any drift.

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
    from ecr_repos import handler as module
    from ecr_repos.core import response

    spent = {"validate": 0.0, "respond": 0.0}

    def timing(key: str, fn: Any) -> Any:  # where the work goes: schema validation, the response PUT
        def timed(*args: Any, **kwargs: Any) -> Any:
            begin = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[key] += time.perf_counter() - begin
        return timed

    module.spec.parse = timing("validate", module.spec.parse)  # type: ignore[method-assign]
    module.helper._send = timing("respond", module.helper._send)  # type: ignore[method-assign]
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


def _child_env(endpoint: str, runtime: Runtime) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ECR_REPOS_", "PYTHON"))}
    env.update({
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
        "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint,
        "PYTHONPATH": os.pathsep.join(runtime.path),
    })
    if runtime.read_only:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _spawn(mode: str, env: dict[str, str], runtime: Runtime, *extra: str) -> tuple[float, dict[str, float], str]:
    name = f"cold/{mode}-{uuid.uuid4().hex[:10]}"
    start = time.perf_counter()
    done = subprocess.run([runtime.python, *extra, "-m", "bench.coldstart", mode, name], env=env, cwd=runtime.cwd,
                          capture_output=True, text=True, check=True)
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
    """Medians over ``runs`` fresh processes per side, and the modules only the provider imports."""
    from .lambda_runtime import host as host_runtime

    runtime = runtime or host_runtime()
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        env = _child_env(f"http://{host}:{port}", runtime)
        for mode in ("bare", "provider"):  # warm the OS file cache and moto's first-request costs
            _spawn(mode, env, runtime)
        walls: dict[str, list[float]] = {"bare": [], "provider": []}
        inner: dict[str, list[dict[str, float]]] = {"bare": [], "provider": []}
        for _ in range(runs):
            for mode in ("bare", "provider"):
                wall, times, _ = _spawn(mode, env, runtime)
                walls[mode].append(wall)
                inner[mode].append(times)
        _, _, importtime = _spawn("provider", env, runtime, "-X", "importtime")
        _, _, bare_importtime = _spawn("bare", env, runtime, "-X", "importtime")
    finally:
        server.stop()

    def med(mode: str, key: str) -> float:
        return statistics.median(t[key] for t in inner[mode])

    return {
        "runtime": runtime.label,
        "runs": runs,
        "wall": {m: statistics.median(w) for m, w in walls.items()},
        "import": {m: med(m, "import") for m in inner},
        "call": {m: med(m, "call") for m in inner},
        "both": {m: statistics.median(t["import"] + t["call"] for t in inner[m]) for m in inner},
        "validate": statistics.median(t["validate"] for t in inner["provider"]),
        "respond": statistics.median(t["respond"] for t in inner["provider"]),
        "both_best": {m: min(t["import"] + t["call"] for t in inner[m]) for m in inner},
        # each provider run minus the bare run just before it: drift of this shared machine cancels out
        "paired": statistics.median(p["import"] + p["call"] - b["import"] - b["call"]
                                    for b, p in zip(inner["bare"], inner["provider"])),
        "extra_imports": sorted(
            ((k, v) for k, v in self_times(importtime).items() if k not in self_times(bare_importtime)
             and not k.startswith("bench")),
            key=lambda kv: -kv[1]),
    }


if __name__ == "__main__":
    mode, repo = sys.argv[1], sys.argv[2]
    result = child_provider(repo) if mode == "provider" else child_bare(repo)
    print(json.dumps(result))

"""``python -m bench.drift``: how long ``ecr-repos drift`` takes on a map of N repositories.

Against a local moto server on 127.0.0.1 (``moto_server`` in its own process, or
``ThreadedMotoServer`` in this one with ``--in-process``; real HTTP, no simulated latency): the provider creates the map through its Lambda entry point, a few repositories are
changed by hand, then ``drift`` runs (the CLI's ``compute``, as ``ecr-repos drift`` calls it) and
is timed, best of ``--repeat``; then the repair (an Update that changes only ReconcileToken) and a
drift after it. Options: ``--sizes 100,1000``, ``--repeat 3``, ``--in-process``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

REGION = "us-east-1"
CHANGED_EVERY = 100  # one hand change per 100 repositories, of alternating kinds


def properties(n: int) -> dict[str, Any]:
    repos: dict[str, Any] = {}
    for i in range(n):
        settings: dict[str, Any] = {"ExpirationRules": [{"TagPattern": "dev-*", "Days": 7}],
                                    "Tags": {"component": f"c{i % 7}"}}
        if i % 10 == 0:
            settings["AdditionalPullAccountIds"] = ["210987654321"]
        repos[f"drift/app-{i:04d}"] = settings
    return {"ReconcileToken": "1", "Tags": {"team": "platform"}, "EcrRepositories": repos}


def template(props: dict[str, Any]) -> str:
    return json.dumps({"Resources": {"Repos": {"Type": "Custom::EcrRepos", "Properties": {
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:ecr-repos-provider", **props}}}})


def hand_changes(ecr: Any, n: int) -> int:
    made = 0
    for i in range(0, n, CHANGED_EVERY):
        name = f"drift/app-{i:04d}"
        if (i // CHANGED_EVERY) % 2 == 0:
            ecr.put_image_tag_mutability(repositoryName=name, imageTagMutability="MUTABLE")
        else:
            ecr.delete_lifecycle_policy(repositoryName=name)
        made += 1
    return made


def bare_reads(endpoint: str, names: list[str], workers: int) -> float:
    """The same reads by bare boto3 (one client, ``workers`` threads, no planning): the floor."""
    from concurrent.futures import ThreadPoolExecutor

    import boto3
    from botocore.config import Config

    ecr = boto3.client("ecr", region_name=REGION, endpoint_url=endpoint,
                       config=Config(max_pool_connections=workers, retries={"mode": "standard"}))
    arns = {r["repositoryName"]: r["repositoryArn"] for r in ecr.describe_repositories(maxResults=1000)["repositories"]}

    def read(name: str) -> None:
        ecr.list_tags_for_resource(resourceArn=arns[name])
        for method in (ecr.get_lifecycle_policy, ecr.get_repository_policy):
            try:
                method(repositoryName=name)
            except ecr.exceptions.ClientError:
                pass

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(read, [n for n in names if n in arns]))
    return time.perf_counter() - started


def counted_session(counts: Counter[str]) -> Any:
    import boto3

    session = boto3.Session(region_name=REGION)
    session.events.register("before-call", lambda model, **_: counts.update([model.name]))
    return session


class _Server:
    """A moto server on 127.0.0.1: in this process (``ThreadedMotoServer``, sharing the GIL with
    the client) or in its own (``moto_server``, as a registry is: elsewhere)."""

    def __init__(self, separate: bool):
        self.process: subprocess.Popen[bytes] | None = None
        self.threaded: Any = None
        if separate:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            binary = Path(sys.executable).with_name("moto_server")
            self.process = subprocess.Popen([str(binary), "-H", "127.0.0.1", "-p", str(port)],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.endpoint = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=1).read()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.1)
        else:
            from moto.server import ThreadedMotoServer

            self.threaded = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
            self.threaded.start()
            host, port = self.threaded.get_host_and_port()
            self.endpoint = f"http://{host}:{port}"

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
        if self.threaded is not None:
            self.threaded.stop()


def run(sizes: list[int], repeat: int, separate: bool = True) -> list[str]:
    server = _Server(separate)
    endpoint = server.endpoint
    os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": REGION,
                       "AWS_DEFAULT_REGION": REGION, "AWS_ENDPOINT_URL": endpoint})
    import logging

    import boto3

    logging.disable(logging.INFO)  # the provider's per-request log lines
    from ecr_repos.cli.drift import compute
    from ecr_repos.cli.plan import Target
    from ecr_repos.cli.cloudformation import Resource
    from ecr_repos.repos.executor import concurrency

    where = "its own process" if separate else "this process"
    lines = [f"ecr-repos drift against a moto server on 127.0.0.1 in {where} (pool {concurrency()}, best of {repeat})",
             f"{'N':>5}  {'setup s':>8}  {'drift s':>8}  {'calls':>6}  {'found':>5}  {'bare s':>6}  {'repair s':>8}  "
             f"{'drift after s':>13}  {'after':>5}"]
    print("\n".join(lines), flush=True)
    try:
        for n in sizes:
            urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")).read()
            ecr = boto3.client("ecr", region_name=REGION, endpoint_url=endpoint)
            props = properties(n)
            started = time.perf_counter()
            resource = Resource(stack_name="bench", logical_id="Repos")
            created = resource.create(props)
            assert created.ok, created.reason
            setup = time.perf_counter() - started
            made = hand_changes(ecr, n)
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "bench.json"
                path.write_text(template(props), encoding="utf-8")
                best, calls, found = float("inf"), 0, 0
                for _ in range(repeat):
                    counts: Counter[str] = Counter()
                    target = Target(REGION, endpoint, counted_session(counts))
                    started = time.perf_counter()
                    report = compute(str(path), stack_name="bench", target=target)
                    best = min(best, time.perf_counter() - started)
                    calls, found = sum(counts.values()), len(report.differences)
                assert found == made, (found, made)
                bare = min(bare_reads(endpoint, sorted(props["EcrRepositories"]), concurrency())
                           for _ in range(repeat))
                started = time.perf_counter()
                repaired = resource.update({**props, "ReconcileToken": "2"})
                repair = time.perf_counter() - started
                assert repaired.ok and repaired.physical_id == created.physical_id, repaired.reason
                started = time.perf_counter()
                after = compute(str(path), stack_name="bench", target=Target(REGION, endpoint))
                after_s = time.perf_counter() - started
            lines.append(f"{n:>5}  {setup:>8.2f}  {best:>8.2f}  {calls:>6}  {found:>5}  {bare:>6.2f}  {repair:>8.2f}  "
                         f"{after_s:>13.2f}  {len(after.differences):>5}")
            print(lines[-1], flush=True)
    finally:
        server.stop()
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.drift", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000", help="comma-separated map sizes (default 100,1000)")
    parser.add_argument("--repeat", type=int, default=3, help="drift runs per size; the best is shown")
    parser.add_argument("--in-process", action="store_true",
                        help="run moto in this process (ThreadedMotoServer) instead of its own")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    run(sizes, args.repeat, separate=not args.in_process)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""A moto server on 127.0.0.1 for the CLI tests, reset before each test, and the plan scenario."""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path

import boto3
import pytest

from tests.support.cfn import Resource

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOLDEN = Path(__file__).resolve().parent / "golden"
MANIFEST = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                       "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 2,
                                  "digest": "sha256:" + "1" * 64}, "layers": []})


@pytest.fixture(scope="session")
def moto_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def endpoint(moto_server, monkeypatch):
    """A clean moto server; boto3 (and so the Lambda handler) pointed at it for this test."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")).read()
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    return moto_server


@pytest.fixture
def ecr(endpoint):
    return boto3.client("ecr", region_name="us-east-1", endpoint_url=endpoint)


def golden(name: str, text: str) -> str:
    """The golden file's text; with UPDATE_GOLDEN=1 the file is (re)written from ``text`` first."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(text, encoding="utf-8")
    return path.read_text(encoding="utf-8")


@pytest.fixture
def scenario(ecr):
    """The registry the plan of fixtures/plan.yaml reads (stack ``shop``, logical id ``Repos``):

    - app/api, app/same, app/old, app/full: created by shop/Repos (app/full holds an image);
    - app/adopted: adopted by shop/Repos earlier, no longer declared;
    - legacy/tool: exists, no owner (AdoptExisting: true takes it);
    - other/taken: owned by the stack ``other``.
    """
    ecr.create_repository(repositoryName="app/adopted")
    shop = Resource(stack_name="shop", logical_id="Repos")
    created = shop.create({"Tags": {"team": "platform", "stack": "shop"}, "AdoptExisting": True, "EcrRepositories": {
        "app/api": {"ExpirationRules": [{"TagPattern": "dev-*", "Days": 7}],
                    "AdditionalPullAccountIds": ["222222222222"], "Tags": {"service": "api", "tier": "web"}},
        "app/same": {"IsImmutable": False},
        "app/old": {},
        "app/full": {},
        "app/adopted": {},
    }})
    assert created.ok, created.reason
    other = Resource(stack_name="other", logical_id="Repos")
    assert other.create({"EcrRepositories": {"other/taken": {}}}).ok
    ecr.create_repository(repositoryName="legacy/tool")
    ecr.put_image(repositoryName="app/full", imageManifest=MANIFEST, imageTag="v1")
    return shop

"""The console script over an old botocore (boto3 1.34's, first on the path as in an environment not
upgraded): the commands that call AWS stop at once, naming the minimum and the fix; validate still runs."""

from __future__ import annotations

import os
import subprocess

import pytest

from ecr_repos import sdk
from tests.cli.conftest import ROOT
from tests.cli.test_subprocess import SCRIPT
from tests.support import old_sdk as old


def over_old_sdk(site, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON"))}
    env.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
                "AWS_ENDPOINT_URL": "http://127.0.0.1:9", "PYTHONPATH": str(site)})  # nothing listens: no call may go
    return subprocess.run([SCRIPT, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("command,code", [
    (["plan", "templates/example.yaml"], 2),
    (["drift", "templates/example.yaml"], 1),  # drift's exit codes are terraform's: 2 is drift found
    (["demo"], 2),
])
def test_aws_commands_refuse_an_old_botocore_naming_the_minimum(old_sdk, command, code):
    version = old.botocore_version(old_sdk)
    result = over_old_sdk(old_sdk, *command)
    assert (result.returncode, result.stdout) == (code, "")
    assert result.stderr == (
        f"ecr-repos {command[0]}: error: botocore {version} is older than {sdk.MIN_BOTOCORE}, the first whose ECR "
        "model has every operation and parameter ecr-repos sends (the chainguard upstream of pull-through cache "
        "rules): upgrade it with `pip install -U boto3`\n")


def test_validate_calls_no_aws_and_runs_with_an_old_botocore(old_sdk):
    result = over_old_sdk(old_sdk, "validate", "templates/example.yaml")
    assert (result.returncode, result.stdout, result.stderr) == (0, "templates/example.yaml: OK (Repos, Registry)\n", "")


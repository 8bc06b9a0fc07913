"""The installed console script, as a user runs it: validate, plan (golden JSON), demo, --help."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ecr_repos.cli.common import Progress
from tests.cli.conftest import ROOT, golden

SCRIPT = shutil.which("ecr-repos", path=str(Path(sys.executable).parent)) or "ecr-repos"


def ecr_repos(*args: str, endpoint: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1"})
    if endpoint:
        env["AWS_ENDPOINT_URL"] = endpoint
    return subprocess.run([SCRIPT, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def test_validate_exit_codes_and_output():
    good = ecr_repos("validate", "templates/example.yaml", "tests/cli/fixtures/good.json")
    assert (good.returncode, good.stdout, good.stderr) == (
        0, "templates/example.yaml: OK (Repos, Registry)\ntests/cli/fixtures/good.json: OK (Repos)\n", "")
    bad = ecr_repos("validate", "tests/cli/fixtures/bad.yaml")
    assert bad.returncode == 1 and bad.stderr == ""
    assert len(bad.stdout.splitlines()) == 6
    assert all(line.startswith("tests/cli/fixtures/bad.yaml:") for line in bad.stdout.splitlines())


def test_plan_json_in_a_pipe_matches_golden_and_shows_no_progress(scenario, endpoint):
    result = ecr_repos("plan", "tests/cli/fixtures/plan.yaml", "--stack-name", "shop", "--output", "json",
                       endpoint=endpoint)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == golden("plan.json", result.stdout)


def test_demo_runs_the_example_through_create_update_delete():
    result = ecr_repos("demo", timeout=90)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Done: Create SUCCESS, Update SUCCESS, clean-up SUCCESS, Delete SUCCESS." in out
    for step in ("1. Create Repos: 3 repositories", "2. Plan of the Update", "3. Update", "4. UPDATE_COMPLETE_CLEANUP",
                 "5. Delete Repos"):
        assert step in out
    assert "Data.Repos: app/api,app/batch,app/worker" in out
    assert "Data.Repos: app/api,app/worker,demo/added-by-update" in out
    assert "~ app/api  (to change)\n      scan on push: true -> false" in out
    assert "- app/batch  (to remove" in out
    assert out.rstrip().endswith("Delete SUCCESS.") and "(no repositories)" in out.split("5. Delete Repos")[1]
    assert result.stderr == ""


def test_demo_with_a_bad_template_fails_cleanly():
    result = ecr_repos("demo", "tests/cli/fixtures/broken.yaml")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.startswith("ecr-repos demo: error: tests/cli/fixtures/broken.yaml:5:")


@pytest.mark.parametrize("command,words", [
    ([], ["validate", "plan", "drift", "demo", "exit codes"]),
    (["validate"], ["file:line: path: message", "exit codes"]),
    (["plan"], ["--logical-id", "--stack-name", "--region", "--endpoint-url", "--parameters", "--output",
                "read calls only", "Ownership"]),
    (["drift"], ["--logical-id", "--stack-name", "--stack-id", "--region", "--endpoint-url", "--parameters",
                 "--output", "read calls only", "ReconcileToken", "0 no drift, 2 drift found, 1 error"]),
    (["demo"], ["moto", "ecr_repos.handler.handler", "templates/example.yaml"]),
])
def test_every_command_documents_itself(command, words):
    result = ecr_repos(*command, "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for word in words:
        assert word in text


def test_progress_only_on_a_terminal():
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    quiet, loud = io.StringIO(), Tty()
    for stream in (quiet, loud):
        bar = Progress("reading repositories", 2, stream=stream)
        bar.step()
        bar.step()
        bar.close()
    assert quiet.getvalue() == ""
    assert loud.getvalue() == "\rreading repositories 1/2\rreading repositories 2/2\r\033[K"

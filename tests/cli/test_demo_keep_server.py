"""``ecr-repos demo --keep-server``: the Create, then a moto server left running for plan and drift."""

from __future__ import annotations

import io
import shlex

import boto3

from ecr_repos.cli import demo
from tests.cli.conftest import ROOT, run

EXAMPLE = str(ROOT / "templates" / "example.yaml")


def test_keep_server_leaves_the_created_registry_for_plan_and_drift():
    seen: dict[str, object] = {}
    out, err = io.StringIO(), io.StringIO()

    def try_it(url: str) -> None:
        # what a user pastes into another shell while the server runs
        printed = out.getvalue()
        plan_line = next(line for line in printed.splitlines() if line.strip().startswith("ecr-repos plan "))
        drift_line = next(line for line in printed.splitlines() if line.strip().startswith("ecr-repos drift "))
        seen["url"] = url
        seen["plan"] = run(*shlex.split(plan_line)[1:])
        seen["drift"] = run(*shlex.split(drift_line)[1:])
        ecr = boto3.client("ecr", region_name="us-east-1", endpoint_url=url)
        name = ecr.describe_repositories()["repositories"][0]["repositoryName"]
        ecr.put_image_scanning_configuration(repositoryName=name, imageScanningConfiguration={"scanOnPush": False})
        seen["changed"] = name
        seen["drift after"] = run(*shlex.split(drift_line)[1:])

    code = demo.run(EXAMPLE, None, out, err, keep_server=True, wait=try_it)

    assert (code, err.getvalue()) == (0, "")
    text = out.getvalue()
    assert f"endpoint: {seen['url']}\n" in text and "3. Update" not in text and "5. Delete" not in text
    assert text.endswith("moto server stopped.\n")
    code, plan_out, plan_err = seen["plan"]
    assert (code, plan_err) == (0, "")
    assert "Summary: " in plan_out and "to create" not in plan_out and "unchanged" in plan_out
    assert seen["drift"][0] == 0 and "No drift" in seen["drift"][1]
    code, drift_out, _ = seen["drift after"]
    assert code == 2 and f"~ {seen['changed']}" in drift_out and "scan on push" in drift_out


def test_keep_server_on_the_command_line_is_documented():
    from ecr_repos.cli import parser

    text = parser()._subparsers._group_actions[0].choices["demo"].format_help()
    assert "--keep-server" in text and "--port" in text

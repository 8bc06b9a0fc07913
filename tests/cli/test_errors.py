"""User errors: one line on stderr (plus one per problem), the documented exit code, never a traceback.

Every command's errors pass through ``ecr_repos.cli.main``, which ``common.report`` turns into text,
so these cases cover validate, plan and demo (and any later command) alike.
"""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest

import ecr_repos as package
from ecr_repos.cli import common
from tests.cli.conftest import ROOT, run
from tests.cli.test_subprocess import ecr_repos

EXAMPLE = str(ROOT / "templates" / "example.yaml")


def closed_port() -> int:
    """A loopback port nobody listens on: bound, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def no_credentials(monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                 "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance-metadata lookup either
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))


def test_missing_file(tmp_path):
    missing = str(tmp_path / "missing.yaml")
    assert run("validate", missing) == (2, "", f"{missing}: cannot read the file: No such file or directory\n")
    for command in ("plan", "demo"):
        assert run(command, missing, "--region", "us-east-1") == (
            2, "", f"ecr-repos {command}: error: {missing}: cannot read the file: No such file or directory\n")


def test_bad_yaml(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("Resources:\n  Repos: {Type: Custom::EcrRepos\n")
    code, out, err = run("plan", str(bad), "--region", "us-east-1")
    assert (code, out) == (2, "")
    assert err == f"ecr-repos plan: error: {bad}:3: not valid YAML or JSON: expected ',' or '}}', but got '<stream end>'\n"


@pytest.mark.parametrize("command", ["plan", "demo"])
def test_unknown_logical_id(command):
    assert run(command, EXAMPLE, "--logical-id", "Nope", "--region", "us-east-1") == (
        2, "", f"ecr-repos {command}: error: {EXAMPLE}: no resource 'Nope'; Custom::EcrRepos resources: Repos\n")


def test_unknown_parameter():
    code, out, err = run("demo", EXAMPLE, "--parameters", "Nope=1")
    assert (code, out) == (2, "")
    assert err == (f"ecr-repos demo: error: {EXAMPLE}: parameter 'Nope' is not declared in the template; "
                   "declared: CiAccountId, ProdAccountId, ProviderStackName\n")


def test_missing_credentials(no_credentials, endpoint):
    code, out, err = run("plan", EXAMPLE, "--region", "us-east-1", "--endpoint-url", endpoint)
    assert (code, out) == (2, "")
    assert err == ("ecr-repos plan: error: no AWS credentials found; set AWS_PROFILE (after `aws sso login` or "
                   "`aws configure`) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY\n")


def test_unreachable_endpoint():
    url = f"http://127.0.0.1:{closed_port()}"
    code, out, err = run("plan", EXAMPLE, "--region", "us-east-1", "--endpoint-url", url)
    assert (code, out) == (2, "")
    assert err == (f"ecr-repos plan: error: cannot connect to {url}/; check --endpoint-url or AWS_ENDPOINT_URL, "
                   "the region and the network\n")


def test_no_region(monkeypatch, no_credentials):
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    assert run("plan", EXAMPLE) == (2, "", "ecr-repos plan: error: no region: pass --region or set AWS_REGION\n")


def test_denied_registry_read_says_what_to_do_on_the_command_line(endpoint, monkeypatch):
    # given moto's ECR refusing DescribeRepositories as ECR does for a role without the right
    from moto.core.exceptions import JsonRESTError

    def denied(self, *args, **kwargs):
        raise JsonRESTError("AccessDeniedException", "User: arn:aws:iam::123456789012:user/ci is not authorized")

    monkeypatch.setattr("moto.ecr.models.ECRBackend.describe_repositories", denied)
    # when plan reads the registry
    code, out, err = run("plan", EXAMPLE, "--region", "us-east-1", "--endpoint-url", endpoint)
    # then it says which action the credentials lack, not the Lambda's "retry the stack operation"
    assert (code, out) == (2, "")
    assert err == ("ecr-repos plan: error: cannot read the registry: your credentials may not call "
                   "ecr:DescribeRepositories; use a role or profile that may\n")


def test_executor_failure_has_no_stack_operation_advice():
    from ecr_repos.repos.errors import AwsCallFailed

    said = common.user_message(AwsCallFailed(None, "DescribeRepositories", "AccessDeniedException", "no"))
    assert str(said) == "your credentials may not call ecr:DescribeRepositories; use a role or profile that may"
    other = common.user_message(AwsCallFailed("app/api", "GetLifecyclePolicy", "ServerException", "boom"))
    assert str(other) == "ECR GetLifecyclePolicy on app/api failed: ServerException: boom"
    assert "stack operation" not in str(said) + str(other)


def test_invalid_properties_in_demo_are_listed_in_line_order_before_anything_runs(tmp_path):
    template = tmp_path / "t.yaml"
    template.write_text(
        "Resources:\n  Repos:\n    Type: Custom::EcrRepos\n    Properties:\n      ServiceToken: x\n"
        "      EcrRepositories:\n        app/web:\n          ScanOnPush: maybe\n"
        "        app/api:\n          AdditionalPullAccountIds: [012345670123]\n          Immutable: true\n")
    code, out, err = run("demo", str(template))
    assert (code, out) == (2, "")
    base = f"{template}:{{}}: Resources.Repos.Properties.EcrRepositories.app/"
    assert err.splitlines() == [
        f"ecr-repos demo: error: {template}: Repos's properties: 3 problems; fix the template or --parameters",
        base.format(8) + "web.ScanOnPush: must be true or false, got 'maybe'",
        base.format(10) + "api.AdditionalPullAccountIds[0]: must be a 12-digit AWS account id, got '1402433619'; "
                          "YAML reads the unquoted 012345670123 as the octal number 1402433619; quote account ids: "
                          "'012345670123'",
        base.format(11) + "api.Immutable: unknown key; did you mean 'IsImmutable'?",
    ]


def test_a_template_without_the_resource_names_the_ones_that_have_it():
    code, out, err = run("demo", str(ROOT / "templates" / "provider.yaml"))
    assert (code, out) == (2, "")
    assert err == (f"ecr-repos demo: error: {ROOT / 'templates' / 'provider.yaml'}: no Custom::EcrRepos resource in the "
                   f"template; demo one that has (such as example.yaml, stackset.yaml of {ROOT / 'templates'})\n")


def test_a_bug_is_one_line_too_unless_debugging(monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr("ecr_repos.cli.validate.run", broken)
    assert run("validate", EXAMPLE) == (3, "", "ecr-repos validate: internal error: ZeroDivisionError: division by zero\n"
                                               "(a bug in ecr-repos: please report it; ECR_REPOS_DEBUG=1 shows the "
                                               "traceback)\n")
    monkeypatch.setenv("ECR_REPOS_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        run("validate", EXAMPLE)


@pytest.mark.parametrize("args", [
    ["validate", "no-such.yaml"],
    ["plan", "no-such.yaml"],
    ["demo", "tests/cli/fixtures/broken.yaml"],
    ["plan", "templates/example.yaml", "--endpoint-url", "http://127.0.0.1:{port}"],
])
def test_no_traceback_from_the_console_script(args):
    result = ecr_repos(*[a.format(port=closed_port()) for a in args])
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1, result.stderr


def test_version():
    result = subprocess.run([str(Path(ecr_repos.__globals__["SCRIPT"])), "--version"], capture_output=True, text=True)
    assert (result.returncode, result.stdout) == (0, f"ecr-repos {package.__version__}\n")


def test_demo_refuses_a_region_ecr_does_not_have_before_starting_moto():
    code, out, err = run("demo", EXAMPLE, "--region", "us-east-7")
    assert (code, out) == (2, "")
    assert err.startswith("ecr-repos demo: error: unknown region 'us-east-7'; did you mean 'us-east-")
    assert len(err.splitlines()) == 1

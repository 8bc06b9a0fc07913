"""The oldest SDK the provider works with (ecr_repos.sdk): pyproject.toml says the same, the version
comparison, and the fact itself per resource type, from botocore's own wheels (the last one without, the
first with).

What Custom::EcrRepos sends is listed by hand (SENT, ENUMS). What Custom::EcrRegistry sends is derived
from its code: the ECR methods registry/executor.py names (``_op("x")``, ``_pages("x")``) with the keyword
arguments its calls write out, and, where a call spreads a part's ``api()`` form, that form built by
registry.spec from properties using every upstream and enum value the schemas allow."""

from __future__ import annotations

import ast
import gzip
import json
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest
from botocore import xform_name

from ecr_repos import sdk

from .conftest import ROOT

# A GovCloud registry: the only regions where ECR offers KMS_DSSE, so every encryption type is declared.
ACCOUNT, OTHER, PARTITION, REGION = "123456789012", "210987654321", "aws-us-gov", "us-gov-west-1"

# Every parameter Custom::EcrRepos's executor (repos/executor.py) sends, by operation, and the enum values it uses.
SENT = {
    "CreateRepository": ["repositoryName", "imageTagMutability", "imageTagMutabilityExclusionFilters",
                         "imageScanningConfiguration", "encryptionConfiguration", "tags"],
    "PutImageTagMutability": ["repositoryName", "imageTagMutability", "imageTagMutabilityExclusionFilters"],
    "PutImageScanningConfiguration": ["repositoryName", "imageScanningConfiguration"],
    "PutLifecyclePolicy": ["repositoryName", "lifecyclePolicyText"],
    "SetRepositoryPolicy": ["repositoryName", "policyText"],
    "DeleteRepositoryPolicy": ["repositoryName"],
    "TagResource": ["resourceArn", "tags"],
    "UntagResource": ["resourceArn", "tagKeys"],
    "DeleteRepository": ["repositoryName", "force"],
    "DescribeRepositories": ["repositoryNames", "maxResults", "nextToken"],
    "ListTagsForResource": ["resourceArn"],
    "GetLifecyclePolicy": ["repositoryName"],
    "GetRepositoryPolicy": ["repositoryName"],
    "ListImages": ["repositoryName", "maxResults"],
}
REPOS_SCHEMA = json.loads((ROOT / "schema" / "ecr-repos.schema.json").read_text(encoding="utf-8"))
ENUMS = {"ImageTagMutability": {"MUTABLE", "IMMUTABLE", "MUTABLE_WITH_EXCLUSION", "IMMUTABLE_WITH_EXCLUSION"},
         "ImageTagMutabilityExclusionFilterType": {"WILDCARD"},
         "EncryptionType": set(REPOS_SCHEMA["definitions"]["Repository"]["properties"]["Encryption"]["enum"])}


def floors() -> dict[str, str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    return {m.group(1): m.group(2) for d in deps if (m := re.fullmatch(r"(boto3|botocore)>=([\d.]+)", d))}


def test_pyproject_floors_are_the_minimum_the_provider_names():
    assert floors() == {"boto3": sdk.MIN_BOTO3, "botocore": sdk.MIN_BOTOCORE}


def test_the_provider_floor_is_the_newest_of_the_types():
    assert sdk.FLOORS == {"Custom::EcrRepos": ("1.39.11", "imageTagMutabilityExclusionFilters"),
                          "Custom::EcrRegistry": ("1.42.67", "the chainguard upstream of pull-through cache rules")}
    assert (sdk.MIN_BOTOCORE, sdk.NEWEST, sdk.MIN_BOTO3) == (
        "1.42.67", "the chainguard upstream of pull-through cache rules", "1.42.67")


@pytest.mark.parametrize("version,old", [
    ("1.34.162", True), ("1.39.11", True), ("1.41.0", True), ("1.42.66", True), ("1.42.67", False),
    ("1.42.68", False), ("1.43.0", False), ("1.44.18", False), ("2.0.0", False), ("1.42.67rc1", False),
    ("1.42.66.dev0", True), ("1.42.100", False), ("1.4.99", True),
])
def test_too_old(version, old):
    assert sdk.too_old(version) is old
    assert sdk.too_old(version, "Custom::EcrRegistry") is old
    message = sdk.check_botocore(version)
    if old:
        assert message == (f"botocore {version} is older than 1.42.67, the first whose ECR model has every operation and "
                           "parameter ecr-repos sends (the chainguard upstream of pull-through cache rules): upgrade it "
                           "with `pip install -U boto3`")
    else:
        assert message is None


def missing(model: dict) -> list[str]:
    """What of SENT and ENUMS (Custom::EcrRepos) an ECR service model lacks."""
    gaps = []
    for operation, members in SENT.items():
        shape = model["operations"].get(operation, {}).get("input", {}).get("shape")
        have = model["shapes"].get(shape, {}).get("members", {}) if shape else {}
        gaps += [f"{operation}.{m}" for m in members if m not in have]
    for enum, values in ENUMS.items():
        gaps += [f"{enum}={v}" for v in sorted(values - set(model["shapes"].get(enum, {}).get("enum", [])))]
    return gaps


# --- Custom::EcrRegistry: what its executor sends, derived from the code -------------------------

REGISTRY_EXECUTOR = ROOT / "provider" / "ecr_repos" / "registry" / "executor.py"
REGISTRY_SCHEMA = json.loads((ROOT / "schema" / "ecr-registry.schema.json").read_text(encoding="utf-8"))
CALLERS = {"_call", "_gone", "_optional"}  # registry.Executor's methods that send an ``_op`` method's call


def registry_calls(source: str | None = None) -> dict[str, dict[str, Any]]:
    """Each ECR method the registry executor names (``_op("x")``, ``_pages("x")``): the keyword arguments its
    calls write out (a literal value as itself, any other as None) and ``"**"`` when a call also spreads a dict."""
    tree = ast.parse(source if source is not None else REGISTRY_EXECUTOR.read_text(encoding="utf-8"))
    calls: dict[str, dict[str, Any]] = {}

    def named(node: ast.AST) -> str | None:
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("_op", "_pages")
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            return node.args[0].value
        return None

    for node in ast.walk(tree):
        name = named(node)
        if name is not None:
            calls.setdefault(name, {})
            if node.func.attr == "_pages":  # type: ignore[attr-defined]
                calls[name]["nextToken"] = None  # every page after the first
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in CALLERS:
            for arg in node.args:
                if (target := named(arg)) is not None:
                    sent = calls.setdefault(target, {})
                    for keyword in node.keywords:
                        value = keyword.value.value if isinstance(keyword.value, ast.Constant) else None
                        sent["**" if keyword.arg is None else keyword.arg] = value
    return calls


def _everything_properties() -> dict[str, Any]:
    """Custom::EcrRegistry properties using every part, every upstream and every enum value the schemas allow."""
    definitions = REGISTRY_SCHEMA["definitions"]
    secret = f"arn:{PARTITION}:secretsmanager:{REGION}:{ACCOUNT}:secret:ecr-pullthroughcache/x"
    role = f"arn:{PARTITION}:iam::{ACCOUNT}:role/ecr"
    cache = {}
    for upstream in definitions["PullThroughCacheRule"]["properties"]["Upstream"]["enum"]:
        rule: dict[str, Any] = {"Upstream": upstream, "CredentialArn": secret}
        if upstream == "ecr":
            rule = {"Upstream": upstream, "UpstreamUrl": f"{OTHER}.dkr.ecr.us-gov-east-1.amazonaws.com",
                    "CustomRoleArn": role, "UpstreamRepositoryPrefix": "src"}
        elif upstream == "azure-container-registry":
            rule["UpstreamUrl"] = "x.azurecr.io"
        cache[f"c-{upstream}"] = rule
    settings = [{"IsImmutable": True}, {"IsImmutable": False}, {"IsImmutable": True, "MutableTagPatterns": ["dev-*"]},
                {"IsImmutable": False, "ImmutableTagPatterns": ["v*"]}]
    settings += [{"Encryption": e, **({} if e == "AES256" else {"KmsKey": f"arn:{PARTITION}:kms:{REGION}:{ACCOUNT}:key/k"})}
                 for e in REPOS_SCHEMA["definitions"]["Repository"]["properties"]["Encryption"]["enum"]]
    settings[0].update({"Tags": {"team": "x"}, "ExpirationRules": [{"TagPattern": "*", "DaysSincePull": 30}],
                        "AdditionalPullAccountIds": [OTHER]})
    templates = {f"t{i}/": {"AppliedFor": definitions["CreationTemplate"]["properties"]["AppliedFor"]["items"]["enum"],
                            "CustomRoleArn": role, "Description": "d", "RepositorySettings": s}
                 for i, s in enumerate(settings)}
    return {"ServiceToken": "-", "ReplicationSourceAccountIds": [OTHER],
            "PolicyStatements": [{"Sid": "All", "Principal": "*", "Action": "ecr:*"}],
            "ReplicationRules": [{"Destinations": [{"Region": "us-gov-east-1", "AccountId": OTHER}],
                                  "RepositoryPrefixes": ["app/"]}],
            "PullThroughCacheRules": cache, "RepositoryCreationTemplates": templates,
            "PullTimeUpdateExclusions": [role]}


def registry_sent() -> list[tuple[str, dict[str, Any]]]:
    """(method, keyword arguments) of every request the registry executor makes for the properties above: the
    literal arguments its code writes, the parts' ``api()`` forms where it spreads them (``**``)."""
    from ecr_repos.registry import spec as registry_spec

    parsed = registry_spec.parse(_everything_properties(), account=ACCOUNT, region=REGION, partition=PARTITION)
    scanning = REGISTRY_SCHEMA["definitions"]["Scanning"]["properties"]
    spread: dict[str, list[dict[str, Any]]] = {  # what each method's ``**`` carries (registry/executor.py)
        "create_pull_through_cache_rule": [r.api() for r in parsed.cache_rules.values()],
        "update_pull_through_cache_rule": [{k: v for k, v in r.api().items() if k in ("credentialArn", "customRoleArn")}
                                           for r in parsed.cache_rules.values()],
        "create_repository_creation_template": [t.api() for t in parsed.templates.values()],
        "update_repository_creation_template": [t.api() for t in parsed.templates.values()],
        "put_registry_scanning_configuration": [
            registry_spec.Scanning(kind, ((f, ("*",)),)).api()
            for kind in scanning["ScanType"]["enum"] for f in scanning["Rules"]["items"]["properties"]["Frequency"]["enum"]],
    }
    dynamic = {  # keyword arguments whose value the code computes
        "replicationConfiguration": {"rules": [r.api() for r in parsed.replication_rules]},
        "policyText": json.dumps({"Version": "2012-10-17", "Statement": [s.document for s in parsed.statements]}),
        "principalArn": parsed.exclusions[0], "ecrRepositoryPrefix": "cache", "prefix": "app/",
        "nextToken": "t",
    }
    calls = registry_calls()
    spreading = sorted(m for m, keywords in calls.items() if "**" in keywords)
    assert spreading == sorted(spread), f"say above what registry/executor.py's ** sends for {spreading}"
    requests = []
    for method, keywords in calls.items():
        literal = {k: (dynamic[k] if v is None else v) for k, v in keywords.items() if k != "**"}
        if "**" in keywords:
            requests += [(method, {**literal, **extra}) for extra in spread[method]]
        else:
            requests.append((method, literal))
    return requests


def _gaps(model: dict, shape_name: str, value: Any, where: str) -> list[str]:
    """What of ``value`` (a request's part, of shape ``shape_name``) the model lacks: members, enum values."""
    shape = model["shapes"].get(shape_name, {})
    if isinstance(value, dict):
        gaps = []
        for key, item in value.items():
            member = shape.get("members", {}).get(key)
            gaps += [f"{where}.{key}"] if member is None else _gaps(model, member["shape"], item, f"{where}.{key}")
        return gaps
    if isinstance(value, list):
        return sorted({g for item in value for g in _gaps(model, shape["member"]["shape"], item, where)})
    if isinstance(value, str) and "enum" in shape and value not in shape["enum"]:
        return [f"{where}={value}"]
    return []


def registry_missing(model: dict) -> list[str]:
    """What of the registry executor's requests an ECR service model lacks: operations, members, enum values."""
    by_method = {xform_name(op): op for op in model["operations"]}
    gaps: set[str] = set()
    for method, kwargs in registry_sent():
        operation = by_method.get(method)
        if operation is None:
            gaps.add("".join(part.title() for part in method.split("_")))  # as registry.Executor names it
            continue
        gaps.update(_gaps(model, model["operations"][operation].get("input", {}).get("shape", ""), kwargs, operation))
    return sorted(gaps)


def ecr_model(version: str, folder: Path) -> dict:
    """The newest ECR model of botocore ``version``'s wheel (pip download: the package registry, or its cache)."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
                    "--only-binary=:all:", "-d", str(folder), f"botocore=={version}"],
                   check=True, capture_output=True, timeout=600)
    (wheel,) = folder.glob(f"botocore-{version}-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        name = max(n for n in zf.namelist() if re.fullmatch(r"botocore/data/ecr/[^/]+/service-2\.json(\.gz)?", n))
        raw = zf.read(name)
    return json.loads(gzip.decompress(raw) if name.endswith(".gz") else raw)


def installed_model() -> dict:
    from botocore.loaders import create_loader

    return create_loader().load_service_model("ecr", "service-2")


def test_the_installed_botocore_has_everything_the_executors_send():
    model = installed_model()
    assert missing(model) == []
    assert registry_missing(model) == []


def test_the_registry_requests_are_what_the_installed_botocore_accepts():
    """The derived requests are well formed (botocore's own validation: types, lengths, required members),
    so that what the older models are checked against is what the executor sends."""
    from botocore.model import ServiceModel
    from botocore.validate import ParamValidator

    model = ServiceModel(installed_model(), "ecr")
    by_method = {xform_name(op): op for op in model.operation_names}
    requests = registry_sent()
    for method, kwargs in requests:
        report = ParamValidator().validate(kwargs, model.operation_model(by_method[method]).input_shape)
        assert not report.has_errors(), (method, report.generate_report())
    sent = {m for m, _ in requests}
    assert {"register_pull_time_update_exclusion", "create_repository_creation_template", "put_replication_configuration",
            "create_pull_through_cache_rule", "put_registry_scanning_configuration", "get_account_setting"} <= sent
    upstreams = {k["upstreamRegistry"] for m, k in requests if m == "create_pull_through_cache_rule"}
    assert "chainguard" in upstreams and len(upstreams) == 9


def test_the_scan_finds_every_ecr_method_the_registry_executor_names():
    source = REGISTRY_EXECUTOR.read_text(encoding="utf-8")
    assert set(registry_calls()) == set(re.findall(r"\._(?:op|pages)\(\"([a-z_]+)\"\)", source))
    assert len(re.findall(r"\._(?:op|pages)\(", source)) == len(re.findall(r"\._(?:op|pages)\(\"[a-z_]+\"\)", source)) + 1
    # + 1: the definition ``def _pages(self, name`` has no literal; every call does


def test_the_scan_reads_literal_arguments_spreads_and_listings():
    source = """
class E:
    def f(self, a):
        self._call("P", "GetAccountSetting", self._op("get_account_setting"), name="REGISTRY_POLICY_SCOPE")
        self._gone("P", "DeleteX", self._op("delete_x"), "XNotFound", prefix=a.prefix)
        self._call("P", "CreateX", self._op("create_x"), **a.api())
        for page in self._pages("describe_x"):
            pass
        self._op("bare")
"""
    assert registry_calls(source) == {"get_account_setting": {"name": "REGISTRY_POLICY_SCOPE"},
                                      "delete_x": {"prefix": None}, "create_x": {"**": None},
                                      "describe_x": {"nextToken": None}, "bare": {}}


def test_the_model_check_finds_missing_operations_members_and_enum_values():
    model = json.loads(json.dumps(installed_model()))  # a copy to cut
    del model["operations"]["RegisterPullTimeUpdateExclusion"]
    del model["shapes"]["CreateRepositoryCreationTemplateRequest"]["members"]["customRoleArn"]
    model["shapes"]["UpstreamRegistry"]["enum"].remove("chainguard")
    assert registry_missing(model) == ["CreatePullThroughCacheRule.upstreamRegistry=chainguard",
                                       "CreateRepositoryCreationTemplate.customRoleArn",
                                       "RegisterPullTimeUpdateExclusion"]


# The release before each type's floor (consecutive releases on the package registry), and what it lacks.
BEFORE = {
    "Custom::EcrRepos": ("1.39.10", missing, [
        "CreateRepository.imageTagMutabilityExclusionFilters", "PutImageTagMutability.imageTagMutabilityExclusionFilters",
        "ImageTagMutability=IMMUTABLE_WITH_EXCLUSION", "ImageTagMutability=MUTABLE_WITH_EXCLUSION",
        "ImageTagMutabilityExclusionFilterType=WILDCARD",
    ]),
    "Custom::EcrRegistry": ("1.42.66", registry_missing, ["CreatePullThroughCacheRule.upstreamRegistry=chainguard"]),
}


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(BEFORE))
def test_each_floor_is_the_first_botocore_with_everything_the_type_sends(kind, tmp_path):
    first, _ = sdk.FLOORS[kind]
    before, lacks, gaps = BEFORE[kind]
    assert lacks(ecr_model(before, tmp_path / "before")) == gaps
    assert lacks(ecr_model(first, tmp_path / "first")) == []


@pytest.mark.parametrize("version,old", [("1.39.10", True), ("1.39.11", False), ("1.42.66", False)])
def test_each_type_has_its_own_floor(version, old):
    # a repository call over botocore 1.40 is not blamed on the SDK: Custom::EcrRepos needs only 1.39.11
    assert sdk.too_old(version, "Custom::EcrRepos") is old
    assert sdk.floor("Custom::EcrRepos") == "1.39.11"
    assert sdk.floor() == sdk.MIN_BOTOCORE == "1.42.67"

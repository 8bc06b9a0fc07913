"""`make package` zips: contents, determinism, and Create/Delete from the unpacked zip on Python 3.13.
The SDK the zip carries: test_package_sdk.py."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from .conftest import HOST_ARCH, ROOT, build_zip

SDK_MODULES = ("boto3/", "botocore/", "dateutil/", "jmespath/", "s3transfer/", "six.py", "urllib3/")  # six.py, six.pyc

ELF_MACHINE = {"x86_64": 62, "arm64": 183}  # e_machine of the ELF header
MAX_ZIP_BYTES = 3 * 1024 * 1024


@pytest.fixture(scope="module")
def other_zip(tmp_path_factory) -> Path:
    other = "arm64" if HOST_ARCH == "x86_64" else "x86_64"
    return build_zip(other, tmp_path_factory.mktemp("dist-other"))


def arch_of(zip_path: Path) -> str:
    return zip_path.stem.rsplit("-", 1)[1]


@pytest.mark.slow
@pytest.mark.parametrize("which", ["host", "other"])
def test_zip_holds_provider_schema_and_platform_wheels(which, request):
    zip_path = request.getfixturevalue("host_zip" if which == "host" else "other_zip")
    arch = arch_of(zip_path)
    with zipfile.ZipFile(zip_path) as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        # the provider, its schema where the provider looks for it, and the dependencies at the root
        assert "ecr_repos/handler.py" in names
        assert "ecr_repos/_schema/ecr-repos.schema.json" in names
        assert zf.read("ecr_repos/_schema/ecr-repos.schema.json") == (ROOT / "schema" / "ecr-repos.schema.json").read_bytes()
        assert {"jsonschema/__init__.py", "referencing/__init__.py"} <= set(names)
        # the protocol is the provider's own (core/protocol.py): crhelper is no dependency any more
        assert not any(n.startswith("crhelper/") for n in names)
        # its own SDK (the runtime's lags: test_package_sdk.py), as bytecode only when there is bytecode
        sdk_init = "__init__.pyc" if python313() else "__init__.py"
        assert {f"boto3/{sdk_init}", f"botocore/{sdk_init}", "botocore/data/endpoints.json"} <= set(names)
        # no lint rules, no CLI
        assert not [n for n in names if n.startswith(("ecr_repos/cfnlint_rules/", "ecr_repos/cli/"))]
        # of the provider, exactly the modules that run in the Lambda: all but the CLI and the lint rule
        package = ROOT / "provider" / "ecr_repos"
        sources = sorted(n for n in names if n.startswith("ecr_repos/") and n.endswith(".py"))
        assert sources == sorted(
            "ecr_repos/" + p.relative_to(package).as_posix() for p in package.rglob("*.py")
            if p.relative_to(package).parts[0] not in ("cli", "cfnlint_rules")
        )
        # bytecode only from the runtime's Python: 3.13 .pyc files beside their sources, hash-based and
        # unchecked (flags 1), so the dates the unpacked files get do not matter (none without 3.13);
        # the SDK's in place of its sources (test_package_sdk.py)
        bytecode = [n for n in names if n.endswith(".pyc") or "__pycache__" in n]
        if python313() is None:
            assert bytecode == []
        else:
            assert "ecr_repos/__pycache__/handler.cpython-313.pyc" in bytecode
            for name in bytecode:
                if name.startswith(SDK_MODULES):
                    continue
                *folder, cache, file = name.split("/")
                assert cache == "__pycache__" and file.endswith(".cpython-313.pyc"), name
                assert "/".join([*folder, file.split(".", 1)[0] + ".py"]) in names, name
                assert int.from_bytes(zf.read(name)[4:8], "little") == 1, name
        # compiled code is built for the Lambda's architecture and Python 3.13
        shared = [n for n in names if n.endswith(".so")]
        assert shared and all("cpython-313" in n for n in shared)
        for name in shared:
            header = zf.read(name)[:20]
            assert int.from_bytes(header[18:20], "little") == ELF_MACHINE[arch], name
        # deterministic layout: sorted entries, one fixed timestamp, world-readable files
        assert names == sorted(names)
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        assert {(i.external_attr >> 16) & 0o777 for i in infos} == {0o644}
    assert zip_path.stat().st_size < MAX_ZIP_BYTES


@pytest.mark.slow
def test_package_build_is_reproducible(host_zip, tmp_path):
    again = build_zip(HOST_ARCH, tmp_path)
    assert again.read_bytes() == host_zip.read_bytes()


@functools.cache
def python313() -> str | None:
    """The Python 3.13 that scripts/package.py compiles the bytecode with (its own search), if any."""
    spec = importlib.util.spec_from_file_location("ecr_repos_package", ROOT / "scripts" / "package.py")
    package = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(package)
    return package.runtime_python()


@pytest.mark.slow
def test_unpacked_zip_creates_and_deletes_on_python_313_with_only_boto3_and_moto(host_zip, tmp_path):
    interpreter = python313()
    if interpreter is None:
        pytest.skip("Python 3.13 (the Lambda runtime's version) not found: python3.13 on PATH or under `pyenv root`")
    # given the zip unpacked into a clean directory and a venv holding nothing but boto3 and moto
    lambda_dir = tmp_path / "task"
    with zipfile.ZipFile(host_zip) as zf:
        zf.extractall(lambda_dir)
    venv = tmp_path / "venv"
    subprocess.run([interpreter, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "boto3", "moto[server,ecr]>=5.2,<5.3"], check=True, capture_output=True, timeout=600)
    # when the driver runs Create and Delete through the handler imported from the unpacked zip
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON"))}
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-I", str(Path(__file__).with_name("lambda_zip_driver.py")),
         str(lambda_dir), str(ROOT)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    # then everything ran on 3.13 from the zip, the repositories were created, then deleted
    assert outcome["python"] == "3.13"
    assert outcome["modules"] == {"ecr_repos.handler": "ecr_repos", "jsonschema": "jsonschema", "rpds": "rpds"}
    # every module imported from the zip came from its bytecode: nothing was compiled at start
    assert outcome["compiled_from_zip_sources"] == []
    status, reason, data = outcome["created"]
    assert (status, reason) == ("SUCCESS", "")
    assert data["Repos"] == "app/api,app/worker"
    assert data["Registry"] == "123456789012.dkr.ecr.us-east-1.amazonaws.com"
    assert outcome["after_create"] == ["app/api", "app/worker"]
    assert outcome["pull_principals"] == [{"AWS": ["arn:aws:iam::222222222222:root"]}]
    assert outcome["deleted"] == ["SUCCESS", ""]
    assert outcome["lambda_invoke"] is True
    assert outcome["after_delete"] == []
    # the zip's handler needed nothing of the CLI, and the zip could not have lent it
    assert "ecr_repos.handler" in outcome["provider_modules"]
    assert not [m for m in outcome["provider_modules"] if m.startswith("ecr_repos.cli")]
    assert outcome["cli_importable"] is False

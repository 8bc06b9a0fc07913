"""The package's layout shows what runs in the Lambda: everything under provider/ecr_repos/ but cli/ (the
``ecr-repos`` command, with PyYAML) and cfnlint_rules/ (loaded by cfn-lint) is Lambda code, and
none of it may reach the CLI, PyYAML or unittest (scripts/package.py leaves those folders out of the
zip, whose runtime has neither PyYAML nor a reason for mocks).

Two checks: the import statements of the real files (``ast``), and the modules a fresh interpreter
has loaded after ``import ecr_repos.handler``. Each is also run on a case that must fail.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from .conftest import ROOT

PACKAGE = ROOT / "provider" / "ecr_repos"
NOT_IN_THE_LAMBDA = {"cli", "cfnlint_rules"}  # subfolders of provider/ecr_repos/
FORBIDDEN = ("ecr_repos.cli", "yaml", "unittest")
FORBIDDEN_LOADED = ("ecr_repos.cli", "yaml", "unittest.mock")


def _is_forbidden(name: str, forbidden: tuple[str, ...]) -> bool:
    return any(name == f or name.startswith(f + ".") for f in forbidden)


def lambda_modules(package: Path = PACKAGE) -> list[Path]:
    """Every module of ``package`` outside the folders the Lambda does not carry."""
    return sorted(p for p in package.rglob("*.py")
                  if p.relative_to(package).parts[0] not in NOT_IN_THE_LAMBDA and "__pycache__" not in p.parts)


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = [package.name, *path.relative_to(package).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(path: Path, package: Path = PACKAGE) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) for every import in ``path``: ``import x``, ``from x import y``
    (as ``x`` and ``x.y``, so that ``from . import cli`` counts), relative ones resolved, and
    ``importlib.import_module("x")`` / ``__import__("x")`` with a literal name."""
    module = module_name(path, package)
    here = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = ".".join(here.split(".")[: len(here.split(".")) - node.level + 1])
                base = f"{anchor}.{base}" if base else anchor
            yield node.lineno, base
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                yield node.lineno, node.args[0].value


def forbidden_imports(package: Path = PACKAGE) -> list[str]:
    """``file:line: name`` for every import of the CLI, PyYAML or unittest by Lambda code."""
    return [f"{path.relative_to(package.parent)}:{line}: {name}"
            for path in lambda_modules(package)
            for line, name in imported_names(path, package)
            if _is_forbidden(name, FORBIDDEN)]


def forbidden_loaded(module: str) -> list[str]:
    """The modules of FORBIDDEN_LOADED a fresh interpreter holds after importing ``module`` from this checkout."""
    code = ("import json, sys, importlib; importlib.import_module(sys.argv[1]); import ecr_repos; "
            "print(json.dumps([ecr_repos.__file__, sorted(sys.modules)]))")
    env = {**os.environ, "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1"}
    env.pop("PYTHONPATH", None)
    result = subprocess.run([sys.executable, "-c", code, module], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr[-3000:]
    origin, loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert Path(origin).resolve() == PACKAGE / "__init__.py"
    return [m for m in loaded if _is_forbidden(m, FORBIDDEN_LOADED)]


def test_lambda_code_does_not_import_the_cli_yaml_or_unittest():
    modules = [p.relative_to(PACKAGE).as_posix() for p in lambda_modules()]
    assert {"__init__.py", "handler.py", "core/response.py", "core/protocol.py"} <= set(modules)
    assert not [m for m in modules if m.split("/")[0] in NOT_IN_THE_LAMBDA]
    assert forbidden_imports() == []


def test_the_modules_only_the_cli_uses_live_in_the_cli():
    for name in ("template.py", "resolve.py", "cloudformation.py"):
        assert not (PACKAGE / name).exists(), name
        assert (PACKAGE / "cli" / name).is_file(), name


def test_importing_the_handler_loads_neither_the_cli_nor_yaml_nor_mock():
    assert forbidden_loaded("ecr_repos.handler") == []


# --- the checks can fail -----------------------------------------------------------------------------


def test_the_import_check_finds_every_spelling(tmp_path):
    package = tmp_path / "ecr_repos"
    (package / "cli").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "cli" / "__init__.py").write_text("import yaml\n")  # the CLI may
    (package / "clean.py").write_text("from . import errors\nfrom .clients import x\nimport unittestish\n")
    (package / "a.py").write_text("from . import cli\n")
    (package / "b.py").write_text("from .cli.template import load\n")
    (package / "c.py").write_text("import yaml\n")
    (package / "d.py").write_text("from unittest import mock\n")
    (package / "e.py").write_text("def f():\n    import importlib\n    return importlib.import_module('ecr_repos.cli')\n")
    (package / "sub").mkdir()
    (package / "sub" / "__init__.py").write_text("from .. import cli\n")
    (package / "sub" / "f.py").write_text("from ..cli import common\n")

    assert forbidden_imports(package) == [
        "ecr_repos/a.py:1: ecr_repos.cli",
        "ecr_repos/b.py:1: ecr_repos.cli.template",
        "ecr_repos/b.py:1: ecr_repos.cli.template.load",
        "ecr_repos/c.py:1: yaml",
        "ecr_repos/d.py:1: unittest",
        "ecr_repos/d.py:1: unittest.mock",
        "ecr_repos/e.py:3: ecr_repos.cli",
        "ecr_repos/sub/__init__.py:1: ecr_repos.cli",
        "ecr_repos/sub/f.py:1: ecr_repos.cli",
        "ecr_repos/sub/f.py:1: ecr_repos.cli.common",
    ]


def test_the_loaded_modules_check_sees_the_cli_and_yaml():
    loaded = forbidden_loaded("ecr_repos.cli.cloudformation")
    assert "ecr_repos.cli" in loaded and "ecr_repos.cli.cloudformation" in loaded and "yaml" in loaded
    assert "unittest.mock" in forbidden_loaded("unittest.mock")


# --- the services whose models the zip keeps ---------------------------------------------------------


def client_services(package: Path = PACKAGE) -> set[str]:
    """The services the Lambda's modules make clients of: ``X.client("service", ...)`` with a literal name."""
    found = set()
    for path in lambda_modules(package):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "client"
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                found.add(node.args[0].value)
    return found


def test_the_zip_keeps_the_model_of_every_service_the_lambda_calls():
    # scripts/package.py trims botocore to SERVICE_MODELS: a client of any other service would fail in the
    # Lambda (UnknownServiceError). (crhelper, which built clients of its own, is no longer a dependency.)
    import importlib.util

    spec = importlib.util.spec_from_file_location("ecr_repos_package", ROOT / "scripts" / "package.py")
    package = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(package)
    assert client_services() == set(package.SERVICE_MODELS) == {"ecr", "lambda"}


def test_the_client_scan_finds_every_service(tmp_path):
    package = tmp_path / "ecr_repos"
    (package / "cli").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "cli" / "__init__.py").write_text("import boto3\nboto3.client('cloudformation')\n")  # not in the zip
    (package / "a.py").write_text("import boto3\nboto3.client('ecr', region_name='x')\n")
    (package / "b.py").write_text("def f(session):\n    return session.client(\"sts\")\n")
    assert client_services(package) == {"ecr", "sts"}

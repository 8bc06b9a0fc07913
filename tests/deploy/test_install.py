"""`pip install .` as a user does it: the sdist and the wheel carry everything the package reads.

The sdist is built from a clean copy of the checkout, the wheel from the unpacked sdist (so the
sdist is proven complete), and the wheel is installed into a fresh virtual environment. That
environment gets its dependencies from this one through a path entry at the end of ``sys.path``
(no download, and none of this checkout: the editable install's finder is not loaded), and every
command runs from a folder that is not the checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

import ecr_repos

from .conftest import ROOT

SCHEMA = ROOT / "schema" / "ecr-repos.schema.json"
_SKIP = {".venv", ".git", "dist", "build", "__pycache__", ".pytest_cache", ".hypothesis", ".bench"}


def _build(kind: str, source: Path, out: Path) -> Path:
    """``setuptools.build_meta``'s sdist or wheel of ``source`` (pyproject.toml's own backend)."""
    code = f"from setuptools import build_meta as b; print(b.build_{kind}({str(out)!r}))"
    result = subprocess.run([sys.executable, "-c", code], cwd=source, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return out / result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("install")
    source = tmp / "checkout"
    shutil.copytree(ROOT, source, ignore=lambda _d, names: [n for n in names if n in _SKIP or n.endswith(".egg-info")])
    sdist = _build("sdist", source, tmp / "dist")
    with tarfile.open(sdist) as archive:
        # the "data" filter (Python 3.11.4+) refuses links and absolute paths; our own sdist has none
        archive.extractall(tmp / "unpacked", **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    unpacked = next((tmp / "unpacked").iterdir())
    wheel = _build("wheel", unpacked, tmp / "dist")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    "--no-index", "--disable-pip-version-check", str(wheel)], check=True, timeout=300)
    elsewhere = tmp / "elsewhere"
    elsewhere.mkdir()
    return {"sdist": sdist, "unpacked": unpacked, "wheel": wheel, "venv": venv, "site": site, "cwd": elsewhere}


def run(installed: dict[str, Path], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON", "ECR_REPOS_"))}
    return subprocess.run([str(installed["venv"] / "bin" / args[0]), *args[1:]], cwd=installed["cwd"], env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
def test_sdist_and_wheel_carry_the_schema_and_templates(installed):
    with tarfile.open(installed["sdist"]) as archive:
        names = {n.split("/", 1)[1] for n in archive.getnames() if "/" in n}
    assert {"schema/ecr-repos.schema.json", "templates/example.yaml", "templates/stackset.yaml",
            "scripts/package.py", ".cfnlintrc", ".pre-commit-hooks.yaml", "provider/ecr_repos/cfnlint_rules/ecr_repos_properties.py",
            "MANIFEST.in", "pyproject.toml"} <= names
    with zipfile.ZipFile(installed["wheel"]) as wheel:
        # the one schema of schema/, byte for byte, inside the package
        assert wheel.read("ecr_repos/_schema/ecr-repos.schema.json") == SCHEMA.read_bytes()
        assert wheel.read("ecr_repos/_templates/example.yaml") == (ROOT / "templates" / "example.yaml").read_bytes()
        assert "ecr_repos/cfnlint_rules/ecr_repos_properties.py" in wheel.namelist()
        assert not [n for n in wheel.namelist() if n.startswith(("tests/", "schema/", "templates/", "bench/"))]


@pytest.mark.slow
def test_installed_cli_runs_from_any_folder(installed):
    # the package imported is the installed one, not this checkout
    where = run(installed, "python", "-c", "import ecr_repos, ecr_repos.core.schema as s; print(ecr_repos.__file__); "
                                           "print(s.schema_path())")
    assert where.stdout.splitlines() == [str(installed["site"] / "ecr_repos" / "__init__.py"),
                                         str(installed["site"] / "ecr_repos" / "_schema" / "ecr-repos.schema.json")]
    version = run(installed, "ecr-repos", "--version")
    assert (version.returncode, version.stdout, version.stderr) == (0, f"ecr-repos {ecr_repos.__version__}\n", "")
    shutil.copy(ROOT / "templates" / "stackset.yaml", installed["cwd"] / "stackset.yaml")
    checked = run(installed, "ecr-repos", "validate", "stackset.yaml")
    assert (checked.returncode, checked.stdout, checked.stderr) == (0, "stackset.yaml: OK (Repos)\n", "")
    # demo's default template comes from the package
    demo = run(installed, "ecr-repos", "demo")
    assert demo.returncode == 0, demo.stderr
    assert f"\ntemplate: {installed['site'] / 'ecr_repos' / '_templates' / 'example.yaml'}\n" in demo.stdout
    assert demo.stdout.rstrip().endswith("Delete SUCCESS.")


@pytest.mark.slow
def test_installed_lint_rule_works_without_a_checkout(installed):
    rules = run(installed, "ecr-repos", "cfn-lint-rules")
    assert (rules.returncode, rules.stdout) == (0, f"{installed['site'] / 'ecr_repos' / 'cfnlint_rules'}\n")
    bad = Path(__file__).resolve().parents[1] / "cfnlint_rules" / "fixtures" / "templates" / "bad" / "account_ids.yaml"
    shutil.copy(bad, installed["cwd"] / "bad.yaml")
    # cfn-lint's console script, run by the new environment's Python
    cfn_lint = "import sys; from cfnlint.runner import main; sys.argv[0] = 'cfn-lint'; sys.exit(main())"
    linted = run(installed, "python", "-c", cfn_lint, "--format", "parseable", "--append-rules",
                 rules.stdout.strip(), "--", "bad.yaml")
    assert linted.returncode == 2, linted.stderr
    lines = linted.stdout.splitlines()
    assert ("bad.yaml:9:38:9:51:E9101:EcrRepositories.app/api.AdditionalPushAccountIds[0]: must be a 12-digit AWS "
            "account id, got '12345678901'") == lines[0]
    assert [int(line.split(":")[1]) for line in lines] == [9, 10, 11, 12]  # in line order

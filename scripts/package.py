#!/usr/bin/env python3
"""Build the provider's Lambda zips: ``dist/ecr-repos-provider-<arch>.zip`` for arm64 and x86_64.

Each zip holds, at its root:
- ``ecr_repos/``  the package (without ``cfnlint_rules/`` and ``cli/``, not needed at runtime),
  with the schemas in ``ecr_repos/_schema/``, where the wheel carries them too,
- the runtime dependencies (crhelper, jsonschema and its dependencies) installed by pip from
  wheels built for the Lambda's platform and Python version. rpds-py (under jsonschema) is
  compiled, so a zip built from the host's site-packages would break on the other architecture.

boto3 is not bundled: the Lambda Python runtime ships one, the provider uses only long-standing
ECR calls, and boto3 + botocore would add about 35 MB unpacked (about 16 MB zipped), past the
3 MB budget. Bundle it yourself (``--with-boto3``) if you must pin the SDK version.

Dependency versions are pinned to the ones installed in the environment running this script
(the versions the tests ran with) when they are installed there. The zip is deterministic: entries
sorted, fixed timestamps and permissions.

Bytecode: pip installs with ``--no-compile``, so nothing compiled by the host's Python (whatever its
version) reaches the zip. Lambda's ``/var/task`` is read-only, so without bytecode every cold start
compiles the provider, crhelper and what it imports (about 60 ms, docs/performance.md). When the
runtime's own Python (3.13) is on this machine (``python3.13`` on PATH or under ``pyenv root``), it
compiles the staged tree: ``unchecked-hash`` .pyc files (no timestamps, so valid whatever dates the
unpacked files get), compiled as if in ``/var/task`` so that no build path makes them differ from
one build to the next. Without it (or with
``--no-bytecode``) the zip carries sources only and still works, a little slower to start.

Usage: python scripts/package.py [--arch arm64|x86_64 ...] [--out DIR] [--with-boto3] [--no-bytecode]
                                 [--runtime-python PATH]
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON_VERSION = "3.13"  # keep in step with Runtime: python3.13 in templates/
PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}
# Runtime dependencies of the Lambda. boto3 comes with the runtime; PyYAML is for the CLI only.
RUNTIME_REQUIREMENTS = ["crhelper", "jsonschema"]
SKIP_DIRS = {"__pycache__", "cfnlint_rules", "cli"}  # lint rule and CLI: not needed at runtime
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry can carry


def _dist_name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[(]", requirement, maxsplit=1)[0]


def project_requirements() -> dict[str, str]:
    """The project's requirement strings for RUNTIME_REQUIREMENTS, read from pyproject.toml."""
    try:
        import tomllib
    except ModuleNotFoundError:  # pragma: no cover - Python < 3.11
        return {name: name for name in RUNTIME_REQUIREMENTS}
    with open(ROOT / "pyproject.toml", "rb") as fh:
        deps = tomllib.load(fh)["project"]["dependencies"]
    by_name = {_dist_name(dep).lower(): dep for dep in deps}
    return {name: by_name.get(name, name) for name in RUNTIME_REQUIREMENTS}


def installed_pins(names: list[str]) -> list[str]:
    """``name==version`` for each name and its (non-extra) dependencies installed here."""
    pins: dict[str, str] = {}
    todo = list(names)
    while todo:
        name = todo.pop()
        key = name.lower().replace("_", "-")
        if key in pins:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        pins[key] = f"{dist.metadata['Name']}=={dist.version}"
        for req in dist.requires or []:
            if "extra ==" not in req:
                todo.append(_dist_name(req))
    return sorted(pins.values())


def install_dependencies(target: Path, arch: str, with_boto3: bool) -> None:
    requirements = list(project_requirements().values())
    if with_boto3:
        requirements.append("boto3")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as constraints:
        constraints.write("\n".join(installed_pins([_dist_name(r) for r in requirements])) + "\n")
    try:
        subprocess.run(
            [
                sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                "--no-compile", "--only-binary=:all:", "--platform", PLATFORMS[arch],
                "--python-version", PYTHON_VERSION, "--implementation", "cp",
                "--target", str(target), "--constraint", constraints.name, *requirements,
            ],
            check=True,
        )
    finally:
        os.unlink(constraints.name)
    # Console scripts are useless in a Lambda and carry the build machine's interpreter path;
    # the dependencies' own test suites and benchmarks are dead weight.
    shutil.rmtree(target / "bin", ignore_errors=True)
    for junk in sorted(target.glob("*/tests")) + sorted(target.glob("*/benchmarks")):
        shutil.rmtree(junk)


def runtime_python() -> str | None:
    """An interpreter of the Lambda runtime's Python version, if this machine has one."""
    candidates = [shutil.which(f"python{PYTHON_VERSION}")]
    try:
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True).stdout.strip()
        candidates += sorted(glob.glob(os.path.join(root, "versions", f"{PYTHON_VERSION}.*", "bin",
                                                    f"python{PYTHON_VERSION}")), reverse=True)
    except (OSError, subprocess.CalledProcessError):
        pass
    for candidate in filter(None, candidates):
        try:
            version = subprocess.run([candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                     capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            continue
        if version == PYTHON_VERSION:
            return candidate
    return None


def compile_bytecode(staging: Path, python: str) -> None:
    """Compile every module of ``staging`` with the runtime's ``python``, as if it sat in /var/task."""
    subprocess.run(
        [python, "-I", "-m", "compileall", "-q", "--invalidation-mode", "unchecked-hash", "-d", "/var/task",
         str(staging)],
        check=True,
    )


def copy_sources(target: Path) -> None:
    shutil.copytree(
        ROOT / "provider" / "ecr_repos",
        target / "ecr_repos",
        ignore=lambda _dir, names: [n for n in names if n in SKIP_DIRS or n.endswith(".pyc")],
    )
    # Where the wheel carries it too (core/schema.py's schema_path looks there first).
    (target / "ecr_repos" / "_schema").mkdir(exist_ok=True)
    for schema in sorted((ROOT / "schema").glob("*.schema.json")):
        shutil.copy2(schema, target / "ecr_repos" / "_schema" / schema.name)


def write_zip(staging: Path, zip_path: Path) -> None:
    """Zip ``staging`` deterministically: sorted entries, fixed dates and modes. Its only bytecode is
    what ``compile_bytecode`` wrote (pip and ``copy_sources`` write none)."""
    files = sorted(
        (p for p in staging.rglob("*") if p.is_file()),
        key=lambda p: p.relative_to(staging).as_posix(),
    )
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = zip_path.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(staging).as_posix(), date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so that the mode below is honoured
            info.external_attr = (0o100644 << 16)  # world-readable: Lambda runs as another user
            zf.writestr(info, path.read_bytes(), compresslevel=9)
    tmp.replace(zip_path)


def stage(arch: str, staging: Path, with_boto3: bool = False, python: str | None = None) -> None:
    install_dependencies(staging, arch, with_boto3)
    copy_sources(staging)
    if python:
        compile_bytecode(staging, python)


def build(arch: str, out_dir: Path, with_boto3: bool = False, python: str | None = None) -> Path:
    zip_path = out_dir / f"ecr-repos-provider-{arch}.zip"
    with tempfile.TemporaryDirectory(prefix=f"ecr-repos-{arch}-") as tmp:
        staging = Path(tmp)
        stage(arch, staging, with_boto3, python)
        write_zip(staging, zip_path)
    return zip_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", action="append", choices=sorted(PLATFORMS), help="default: both")
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="output directory (default: dist/)")
    parser.add_argument("--with-boto3", action="store_true", help="bundle boto3 (not needed on Lambda)")
    parser.add_argument("--no-bytecode", action="store_true", help="sources only, even if Python 3.13 is here")
    parser.add_argument("--runtime-python", help=f"the Python {PYTHON_VERSION} that compiles the bytecode "
                        "(default: python3.13 on PATH, then under `pyenv root`)")
    args = parser.parse_args(argv)
    python = None if args.no_bytecode else (args.runtime_python or runtime_python())
    if not args.no_bytecode and python is None:
        print(f"note: no Python {PYTHON_VERSION} here, so the zips carry no bytecode (the Lambda compiles the "
              "modules at each cold start)", file=sys.stderr)
    for arch in args.arch or sorted(PLATFORMS):
        path = build(arch, args.out, args.with_boto3, python)
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {path.stat().st_size:,} bytes"
              f"{f', bytecode by {python}' if python else ', no bytecode'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

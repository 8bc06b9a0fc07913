#!/usr/bin/env python3
"""Build the provider's Lambda zips: ``dist/ecr-repos-provider-<arch>.zip`` for arm64 and x86_64.

Each zip holds, at its root:
- ``ecr_repos/``  the package (without ``cfnlint_rules/`` and ``cli/``, not needed at runtime),
  with the schemas in ``ecr_repos/_schema/``, where the wheel carries them too,
- the runtime dependencies (jsonschema and its dependencies, boto3 and botocore) installed
  by pip from wheels built for the Lambda's platform and Python version. rpds-py (under jsonschema)
  is compiled, so a zip built from the host's site-packages would break on the other architecture.

The zip carries its own SDK. The runtime's boto3 lags the releases (by months), and the provider sends
parameters only recent botocore knows (``imageTagMutabilityExclusionFilters``: ecr_repos.sdk names the
first botocore that has them all); an older one refuses the call before it leaves the Lambda. Files in
``/var/task`` come first on the runtime's ``sys.path``, so the zip's boto3 and botocore are the ones
imported; AWS advises bundling the SDK for production functions. botocore is trimmed to what a client
of the services in SERVICE_MODELS needs (their newest API version only, without the docs examples) and
its data files (endpoints, partitions, retry and default-configuration tables); boto3 loses its
resource models and other services' customisations (SDK_LEFT_OUT). Untrimmed, boto3 + botocore weigh
about 35 MB unpacked (16 MB zipped), far past the 3 MB budget of each zip; trimmed and as bytecode only
(below), the SDK adds about 1.6 MB to a zip.

Dependency versions are pinned to the ones installed in the environment running this script
(the versions the tests ran with) when they are installed there. The zip is deterministic: entries
sorted, fixed timestamps and permissions.

Bytecode: pip installs with ``--no-compile``, so nothing compiled by the host's Python (whatever its
version) reaches the zip. Lambda's ``/var/task`` is read-only, so without bytecode every cold start
compiles the provider and what it imports (about 60 ms, docs/performance.md). When the
runtime's own Python (3.13) is on this machine (``python3.13`` on PATH or under ``pyenv root``), it
compiles the staged tree: ``unchecked-hash`` .pyc files (no timestamps, so valid whatever dates the
unpacked files get), compiled as if in ``/var/task`` so that no build path makes them differ from
one build to the next. Without it (or with
``--no-bytecode``) the zip carries sources only and still works, slower to start.

The SDK (SDK_MODULES) goes as bytecode only, ``botocore/client.pyc`` in place of ``botocore/client.py``
(Python imports such a module without looking for a source): its sources, zipped, weigh about 0.7 MB,
which the 3 MB budget has no room for. The cost: a traceback through botocore names the file, line and
function but cannot show the line's text (the zip names the SDK's version: look it up there).
``--sdk-sources`` keeps the sources too.

Usage: python scripts/package.py [--arch arm64|x86_64 ...] [--out DIR] [--no-bytecode] [--sdk-sources]
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
# Runtime dependencies of the Lambda (PyYAML is for the CLI only). boto3 brings botocore; both are
# pinned by installed_pins, so the zip's SDK is the one the tests ran with.
RUNTIME_REQUIREMENTS = ["jsonschema", "boto3"]
# The AWS services the Lambda makes clients of (outside cli/): botocore keeps only their models.
# tests/deploy/test_layout.py checks this against the client(...) calls of the Lambda's modules.
SERVICE_MODELS = ("ecr", "lambda")  # lambda: the Invoke of itself that goes on with long work (core/continuation.py)
# botocore/data files that are not a service's model, read by every client (endpoint resolution, retry
# modes, defaults modes): kept whatever SERVICE_MODELS holds.
BOTOCORE_DATA_FILES = ("_retry.json", "endpoints.json", "partitions.json", "sdk-default-configuration.json")
# Of a service's newest API version, what a client loads: the model, endpoint rules, paginators and
# waiters (examples-1.json only feeds the docs).
MODEL_FILES = ("service-2.json", "endpoint-rule-set-1.json", "paginators-1.json", "waiters-2.json")
# Parts of the SDK and its dependencies that no client of SERVICE_MODELS on Lambda imports: boto3's
# customisations of other services (loaded only by their clients and resources) and its resource
# models, urllib3's add-ons for other platforms (Emscripten) and for proxies and pyOpenSSL, which botocore
# does not use, and dateutil's copy of the tz database (botocore asks dateutil for UTC and local time only).
SDK_LEFT_OUT = ("boto3/data", "boto3/dynamodb", "boto3/ec2", "boto3/s3",
                "urllib3/contrib/emscripten", "urllib3/contrib/pyopenssl.py", "urllib3/contrib/socks.py",
                "dateutil/zoneinfo/dateutil-zoneinfo.tar.gz")
# The SDK's modules: boto3 and what it brings (none of it shared with jsonschema). With
# bytecode, they are shipped as bytecode only (see the module's docstring).
SDK_MODULES = ("boto3", "botocore", "dateutil", "jmespath", "s3transfer", "six.py", "urllib3")
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


def install_dependencies(target: Path, arch: str) -> None:
    requirements = list(project_requirements().values())
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
    trim_sdk(target)


def trim_sdk(target: Path, services: tuple[str, ...] = SERVICE_MODELS) -> None:
    """Keep of botocore's data what clients of ``services`` read; leave out SDK_LEFT_OUT.

    A service's folder holds one folder per API version; botocore loads the newest (the greatest
    name: the versions are dates), so only that one stays.
    """
    data = target / "botocore" / "data"
    missing = [name for name in (*BOTOCORE_DATA_FILES, *services) if not (data / name).exists()]
    if missing:
        raise SystemExit(f"botocore {metadata_version(target, 'botocore')} has no {', '.join(missing)} in "
                         f"botocore/data: check SERVICE_MODELS and BOTOCORE_DATA_FILES in {Path(__file__).name}")
    for entry in sorted(data.iterdir()):
        if entry.name in BOTOCORE_DATA_FILES:
            continue
        if entry.name not in services:
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            continue
        newest = max(d.name for d in entry.iterdir() if d.is_dir())
        for version in sorted(entry.iterdir()):
            if version.name != newest:
                shutil.rmtree(version) if version.is_dir() else version.unlink()
        for file in sorted((entry / newest).iterdir()):
            if file.name.removesuffix(".gz") not in MODEL_FILES:
                file.unlink()
    for left_out in SDK_LEFT_OUT:  # a release without one of them is fine
        path = target / left_out
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)


def drop_stale_records(staging: Path) -> None:
    """Remove each ``*.dist-info/RECORD`` that lists a file the zip does not hold (trimmed, or replaced by
    its bytecode): a wrong list of files is worse than none, and nothing in a Lambda reads them."""
    for record in sorted(staging.glob("*.dist-info/RECORD")):
        listed = [row.split(",", 1)[0] for row in record.read_text(encoding="utf-8").splitlines() if row]
        if any(not (staging / name).exists() for name in listed if not name.startswith("..")):
            record.unlink()


def metadata_version(target: Path, name: str) -> str:
    """The version of distribution ``name`` installed under ``target``."""
    found = sorted(target.glob(f"{name}-*.dist-info"))
    return found[0].name[len(name) + 1:].removesuffix(".dist-info") if found else "?"


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


def sdk_bytecode_only(staging: Path) -> None:
    """Replace the SDK's sources by their bytecode: ``pkg/__pycache__/mod.cpython-313.pyc`` becomes
    ``pkg/mod.pyc`` (where Python imports a module without source from) and ``pkg/mod.py`` goes."""
    tag = f"cpython-{PYTHON_VERSION.replace('.', '')}"
    for top in SDK_MODULES:
        root = staging / top
        caches = sorted(root.rglob("__pycache__")) if root.is_dir() else [staging / "__pycache__"]
        for cache in caches:
            for pyc in sorted(cache.glob(f"*.{tag}.pyc")):
                module = pyc.name.removesuffix(f".{tag}.pyc")
                if root.is_dir() or module == top.removesuffix(".py"):
                    (cache.parent / f"{module}.py").unlink()
                    pyc.replace(cache.parent / f"{module}.pyc")
            if not any(cache.iterdir()):
                cache.rmdir()
        stray = [p for p in (root.rglob("*.py") if root.is_dir() else [root]) if p.exists()]
        if stray:
            raise SystemExit(f"no bytecode for {', '.join(str(p.relative_to(staging)) for p in stray[:5])}")


def stage(arch: str, staging: Path, python: str | None = None, sdk_sources: bool = False) -> None:
    install_dependencies(staging, arch)
    copy_sources(staging)
    if python:
        compile_bytecode(staging, python)
        if not sdk_sources:
            sdk_bytecode_only(staging)
    drop_stale_records(staging)


def build(arch: str, out_dir: Path, python: str | None = None, sdk_sources: bool = False) -> Path:
    zip_path = out_dir / f"ecr-repos-provider-{arch}.zip"
    with tempfile.TemporaryDirectory(prefix=f"ecr-repos-{arch}-") as tmp:
        staging = Path(tmp)
        stage(arch, staging, python, sdk_sources)
        write_zip(staging, zip_path)
    return zip_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", action="append", choices=sorted(PLATFORMS), help="default: both")
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="output directory (default: dist/)")
    parser.add_argument("--sdk-sources", action="store_true", help="keep the SDK's .py files beside its bytecode "
                        "(tracebacks show its source lines; the zip grows past 3 MB)")
    parser.add_argument("--no-bytecode", action="store_true", help="sources only, even if Python 3.13 is here")
    parser.add_argument("--runtime-python", help=f"the Python {PYTHON_VERSION} that compiles the bytecode "
                        "(default: python3.13 on PATH, then under `pyenv root`)")
    args = parser.parse_args(argv)
    python = None if args.no_bytecode else (args.runtime_python or runtime_python())
    if not args.no_bytecode and python is None:
        print(f"note: no Python {PYTHON_VERSION} here, so the zips carry no bytecode (the Lambda compiles the "
              "modules at each cold start)", file=sys.stderr)
    for arch in args.arch or sorted(PLATFORMS):
        path = build(arch, args.out, python, args.sdk_sources)
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {path.stat().st_size:,} bytes"
              f"{f', bytecode by {python}' if python else ', no bytecode'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

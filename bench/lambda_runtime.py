"""A stand-in for the Lambda runtime, for the cold-start figure: the runtime's Python (3.13) with
only boto3 installed (the runtime ships it; here the version the tests ran with, the one the zip
carries too, so that the rows compare where the SDK comes from, not two releases), and the
host-architecture zip of ``make package`` unpacked into a directory that the children treat as
read-only, as Lambda's ``/var/task`` is.

Kept under ``.bench/`` (ignored by git): the venv is made once and reused, the zip is built and
unpacked afresh on every run so that the figure is of the code as it is now.
"""

from __future__ import annotations

import importlib.util
import platform
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".bench"
HOST_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine().lower()]


@dataclass(frozen=True)
class Runtime:
    """How a cold-start child runs: the interpreter, the directories on its path (first wins), its
    working directory, and whether it may write bytecode."""

    label: str
    python: str
    path: tuple[str, ...]
    cwd: str
    read_only: bool
    task: str | None = None  # the unpacked zip, when it is on the path
    sdk_site: str | None = None  # the runtime's site-packages (its boto3), when the zip carries its own SDK


def host() -> Runtime:
    """This checkout on the interpreter running the bench (bytecode cached as usual)."""
    return Runtime(f"this checkout on Python {sys.version_info[0]}.{sys.version_info[1]}", sys.executable,
                   (str(ROOT),), str(ROOT), False)


def _package_module():
    spec = importlib.util.spec_from_file_location("ecr_repos_package", ROOT / "scripts" / "package.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def lambda_like() -> tuple[Runtime | None, str]:
    """The Lambda stand-in, or None and why not."""
    package = _package_module()
    python = package.runtime_python()
    if python is None:
        return None, f"no Python {package.PYTHON_VERSION} on this machine (python3.13 on PATH or under pyenv)"
    venv = WORK / f"lambda-py{package.PYTHON_VERSION}"
    venv_python = venv / "bin" / "python"
    if not (venv / ".ready").exists():
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([python, "-m", "venv", str(venv)], check=True)
        try:
            boto3 = f"boto3=={metadata.version('boto3')}"  # the version the tests ran with
        except metadata.PackageNotFoundError:
            boto3 = "boto3"
        subprocess.run([str(venv_python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", boto3],
                       check=True, capture_output=True, timeout=900)
        (venv / ".ready").touch()
    dist = WORK / "dist"
    zip_path = package.build(HOST_ARCH, dist, python=python)
    task = WORK / "task"
    shutil.rmtree(task, ignore_errors=True)
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(task)
    # bench.coldstart itself comes from the checkout, after the zip on the path: the provider is the zip's
    site = subprocess.run([str(venv_python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    carries_sdk = (task / "botocore").is_dir()
    return Runtime(f"the {HOST_ARCH} zip on Python {package.PYTHON_VERSION}, read-only like /var/task",
                   str(venv_python), (str(task), str(ROOT)), str(task), True, str(task),
                   site if carries_sdk else None), ""

"""Shared fixtures of the deploy tests: the Lambda zip for the host architecture, built once."""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOST_ARCH = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine().lower()]


def build_zip(arch: str, out: Path) -> Path:
    """Run scripts/package.py (as `make package` does) for one architecture into ``out``."""
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "package.py"), "--arch", arch, "--out", str(out)],
        check=True, capture_output=True, text=True, timeout=600,
    )
    return out / f"ecr-repos-provider-{arch}.zip"


@pytest.fixture(scope="session")
def host_zip(tmp_path_factory) -> Path:
    return build_zip(HOST_ARCH, tmp_path_factory.mktemp("dist"))


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: builds zips or virtual environments (still part of `make test`)")

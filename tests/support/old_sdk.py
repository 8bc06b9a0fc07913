"""An old boto3 (and the botocore, urllib3, ... it brings), installed into a folder of its own: what a
Lambda runtime that lags the SDK releases has in its site-packages, or a user's environment that has
not upgraded. Installed once per test session by pip from the package registry (``old_sdk`` in
tests/conftest.py); put the folder on ``sys.path`` (or ``PYTHONPATH``) to run something over it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# The floor pyproject.toml allowed until 0.2.0 (boto3>=1.34), and the botocore that comes with it: its ECR
# model has no imageTagMutabilityExclusionFilters. The last 1.34 release, so that the install is the same each time.
OLD_BOTO3 = "1.34.162"


def install(target: Path) -> Path:
    """pip-install boto3 OLD_BOTO3 and its dependencies (pure Python) into ``target``; return ``target``."""
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
         "--target", str(target), f"boto3=={OLD_BOTO3}"],
        check=True, capture_output=True, text=True, timeout=600,
    )
    return target


def botocore_version(site: Path) -> str:
    """The botocore version installed in ``site`` (read from its dist-info, without importing it)."""
    found = sorted(site.glob("botocore-*.dist-info"))
    assert len(found) == 1, found
    return found[0].name[len("botocore-"):].removesuffix(".dist-info")

"""The response's Data (``Fn::GetAtt`` attributes), kept inside CloudFormation's 4096-byte body.

``Repos`` lists every repository name, sorted and comma-separated, while the whole response fits.
When it would not, ``Repos`` holds the longest sorted prefix of names that fits and
``ReposComplete`` says ``"false"``; ``RepoCount`` always holds the full count.
"""

from __future__ import annotations

import json
from typing import Any

RESPONSE_LIMIT = 4096
SAFETY_MARGIN = 64  # room for crhelper's own formatting differences


def partition_of(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def registry_host(account: str, region: str) -> str:
    suffix = ".amazonaws.com.cn" if region.startswith("cn-") else ".amazonaws.com"
    return f"{account}.dkr.ecr.{region}{suffix}"


def attributes(account: str, region: str, names: list[str]) -> dict[str, str]:
    names = sorted(names)
    return {
        "AccountId": account,
        "Region": region,
        "Registry": registry_host(account, region),
        "Repos": ",".join(names),
        "RepoCount": str(len(names)),
        "ReposComplete": "true",
    }


def body_size(envelope: dict[str, Any], data: dict[str, str]) -> int:
    return len(json.dumps({**envelope, "Data": data}).encode())


def fit(data: dict[str, str], envelope: dict[str, Any], limit: int = RESPONSE_LIMIT - SAFETY_MARGIN) -> dict[str, str]:
    """``data`` with ``Repos`` shortened (whole names only) until the body is within ``limit`` bytes."""
    if body_size(envelope, data) <= limit:
        return data
    names = data["Repos"].split(",") if data["Repos"] else []
    out = {**data, "ReposComplete": "false", "Repos": ""}
    low, high = 0, len(names)
    while low < high:  # the longest prefix that fits
        mid = (low + high + 1) // 2
        if body_size(envelope, {**out, "Repos": ",".join(names[:mid])}) <= limit:
            low = mid
        else:
            high = mid - 1
    out["Repos"] = ",".join(names[:low])
    return out

"""Property builders of the safety scenarios."""

from __future__ import annotations

from typing import Any


def repos(*names: str, **resource: Any) -> dict[str, Any]:
    """Properties declaring ``names`` with default settings, plus resource-level keys."""
    return {"EcrRepositories": {n: {} for n in names}, **resource}


def with_settings(props: dict[str, Any], name: str, **settings: Any) -> dict[str, Any]:
    out = {**props, "EcrRepositories": {**props["EcrRepositories"]}}
    out["EcrRepositories"][name] = {**out["EcrRepositories"].get(name, {}), **settings}
    return out

"""ecr_repos.repos.executor's dispatch: every action the planner can make has its ECR call."""

from __future__ import annotations

import typing

from ecr_repos.repos import planner
from ecr_repos.repos.executor import Executor


def test_every_planner_action_has_an_entry_in_the_dispatch_table():
    assert set(Executor._APPLY) == set(typing.get_args(planner.Action))

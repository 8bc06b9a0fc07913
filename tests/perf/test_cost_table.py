"""The ECR call counts docs/cost.md tabulates, per request type at N = 10 and 100, through the Lambda
entry point against moto (the N = 1,000 column was measured the same way, once)."""

from __future__ import annotations

import copy

import pytest

from bench.hooks import is_read
from tests.perf.test_call_counts import calls, declared  # noqa: F401 - the fixture
from tests.support.cfn import Resource


def totals(counter) -> tuple[int, int]:
    return (sum(n for op, n in counter.counts.items() if is_read(op)),
            sum(n for op, n in counter.counts.items() if not is_read(op)))


@pytest.mark.parametrize("n", [10, 100])
def test_the_cost_tables_reads_and_writes(calls, n):  # noqa: F811 - pytest's fixture
    resource = Resource()
    properties = declared(n)
    one = copy.deepcopy(properties)
    one["EcrRepositories"]["perf/r03"]["ExpirationRules"][0]["Days"] = 30
    repair = {**copy.deepcopy(one), "ReconcileToken": "1"}
    seen = {}
    for name, request in (("create", lambda: resource.create(properties)),
                          ("unchanged", lambda: resource.update(properties)),
                          ("one", lambda: resource.update(one)),
                          ("repair", lambda: resource.update(repair)),
                          ("delete", lambda: resource.delete())):
        calls.reset()
        response = request()
        assert response.ok, response.reason
        seen[name] = totals(calls)
    policies = len(range(0, n, 10))
    assert seen == {"create": (1, 2 * n + policies), "unchanged": (1, 0), "one": (4, 1), "repair": (3 * n + 1, 0),
                    "delete": (n + 1, n)}

"""Markers of the perf tests."""


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes longer than 20 s (still part of `make test`)")

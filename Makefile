# The two commands of the README: `make demo` and `make test`. Each builds its own virtual environment.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint package bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/ecr-repos demo

test: $(STAMP)
	$(PY) -m pytest

# Lambda zips for arm64 and x86_64 in dist/ (dependency wheels for the Lambda's platform and Python).
package: $(STAMP)
	$(PY) scripts/package.py

# Benchmark: the provider against bare boto3 at N = 10, 100, 500 (simulated 25 ms per ECR call),
# cold start, zip sizes. Figures and decisions: docs/performance.md.
bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) dist build .bench *.egg-info

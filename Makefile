# Two commands do everything: `make run` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# torch is pinned so pip takes the CPU wheel from local disk instead of a multi-GB CUDA build.
TORCH ?= torch==2.13.0

export HF_HUB_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: run test eval bench harden lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH)"
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m assistant serve

test: $(STAMP)
	$(PY) -m ruff check assistant tests bench
	$(PY) -m pytest -q

eval: $(STAMP)
	$(PY) -m assistant eval ../shared/eval/dev_questions.jsonl --corpus ../shared/corpus

lint: $(STAMP)
	$(PY) -m ruff check assistant tests bench
	$(PY) -m ruff format --check assistant tests bench

bench: $(STAMP)
	$(PY) -m bench.run
	$(PY) -m bench.scale

# The full hardening campaigns (fuzzing, hostile files, kills, soak, no-network): about 7 min.
harden: $(STAMP)
	$(PY) -m bench.harden

clean:
	rm -rf $(VENV) index/current index/builds

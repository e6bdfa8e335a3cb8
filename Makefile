# tether — every target creates .venv on first use, so a fresh clone needs one command each.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
BENCH_VENV := bench/.venv-bench

.PHONY: demo test lint bench soak faithful sandbox clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/tether demo

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

$(BENCH_VENV)/.installed: pyproject.toml bench/requirements.txt
	test -x $(BENCH_VENV)/bin/python || $(PY) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install -q --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install -q -e '.[all]' -r bench/requirements.txt
	touch $(BENCH_VENV)/.installed

bench: $(BENCH_VENV)/.installed
	$(BENCH_VENV)/bin/python bench/run.py $(BENCH_ARGS)
	$(BENCH_VENV)/bin/python bench/flickr_bench.py $(if $(findstring --quick,$(BENCH_ARGS)),--quick,)
	$(BENCH_VENV)/bin/python bench/vk_bench.py $(if $(findstring --quick,$(BENCH_ARGS)),--quick,)

# Fault soak: ~3,000 calls per mode under 30 % injected faults (bench/README.md); < 3 min.
soak: $(BENCH_VENV)/.installed
	$(BENCH_VENV)/bin/python bench/soak.py $(SOAK_ARGS)

# The real pyvk 0.2.3 and vk_api 11.10.1, unchanged, against the VK emulator (bench/README.md).
faithful: $(BENCH_VENV)/.installed
	$(BENCH_VENV)/bin/python bench/vk_faithful.py

sandbox: $(STAMP)
	$(BIN)/tether sandbox

clean:
	rm -rf $(VENV) .venv-3.* $(BENCH_VENV) .pytest_cache .mypy_cache .ruff_cache

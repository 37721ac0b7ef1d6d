# Each target sets up .venv on first use (reused afterwards) and installs unetkit into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-other-precision lint setup clean browser mutants wheel-check label-studio

setup: $(STAMP)

# the exact versions the suite runs on: constraints.txt (the package asks only for ranges)
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[test]"
	touch $(STAMP)

# a real Label Studio for the ML backend's tests (tests/apps/label_studio/), in its own venv: its pins (Django, opencv-python)
# clash with unetkit's; sentry-sdk 3 stops Label Studio 1.23 at start ("Unknown option 'send_default_pii'")
LS_VENV := .venv-label-studio
LS_STAMP := $(LS_VENV)/.installed
$(LS_STAMP):
	test -x $(LS_VENV)/bin/python || $(PYTHON) -m venv $(LS_VENV)
	$(LS_VENV)/bin/python -m pip install -q --upgrade pip
	$(LS_VENV)/bin/python -m pip install -q "label-studio==1.23.2" "sentry-sdk<3"
	touch $(LS_STAMP)

label-studio: $(LS_STAMP)

demo: $(STAMP)
	$(BIN)/unetkit demo --out runs/demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

test: $(STAMP) $(LS_STAMP)
	$(BIN)/python -m pytest

# the tests marked `precision` again, in the precision `auto` does not mean on this CPU (bf16 on an
# AVX2 machine, emulated; fp32 on one with AVX-512 BF16 or AMX): CI runs it after `make test`
OTHER_PRECISION = env -u UNETKIT_AUTO_PRECISION $(BIN)/python -c "import torch; from unetkit.runtime import \
	choose_precision; print({'bf16': 'fp32'}.get(choose_precision('auto', torch.device('cpu')).precision, 'bf16'))"
test-other-precision: $(STAMP)
	other=$$($(OTHER_PRECISION)) && test -n "$$other" && UNETKIT_AUTO_PRECISION=$$other $(BIN)/python -m pytest -m precision

# mutation testing of the modules where a silent error hides (issue 31; docs/reliability.md): mutmut, configured in
# pyproject.toml ([tool.mutmut]), over the listed functions; resumable (mutants/ keeps the results); not in CI
MUTATED = "unetkit.export.parity.*" "unetkit.models.checkpoint.*" "unetkit.metrics.*" "unetkit.losses.*" \
	"unetkit.infer.tiling.*" "unetkit.infer.tta.*" "unetkit.data.masks.*" "unetkit.data.dataset.x_load_sample*" \
	"unetkit.data.dataset.x_class_pixel_counts*"
mutants: $(STAMP)
	$(BIN)/python -m pip install -q "mutmut==3.8.1"
	OMP_NUM_THREADS=1 $(BIN)/mutmut run $(MUTATED)   # one thread per mutant process: two per core thrash
	$(BIN)/python benchmarks/mutation_table.py $(MUTATED)

# the wheel as a user gets it: built, installed into a fresh venv with the constraints file (no extras), then
# `unetkit --help`, the demo (train, evaluate, predict) and a prediction by its checkpoint (.ci/wheel_check); run by .ci/run
wheel-check: $(STAMP)
	PYTHON=$(BIN)/python bash .ci/wheel_check   # the venv's pip builds it: a clean image may have no system pip

browser:  # Debian's Chromium for the browser test (tests/apps/test_serve_browser.py)
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

clean:
	rm -rf runs outputs preds

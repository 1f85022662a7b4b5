# Two entry points (see README): `make run` and `make test`. Both create .venv on
# first use. The CPU build of PyTorch is pinned here (it is what CI and a fresh
# machine should get); the package itself asks only for torch>=2.4, so a GPU user
# who installed a CUDA build keeps it.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
TORCH_CPU ?= torch==2.13.0
STAMP  := $(VENV)/.installed

.PHONY: run test venv clean bench validate-desktop

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH_CPU)"
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/darwascii-studio

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

bench: $(STAMP)
	$(VENV)/bin/darwascii bench

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache

# Desktop metadata checks (Debian: apt-get install desktop-file-utils appstream)
validate-desktop:
	desktop-file-validate packaging/io.github.darwascii.Studio.desktop
	appstreamcli validate --no-net packaging/io.github.darwascii.Studio.metainfo.xml

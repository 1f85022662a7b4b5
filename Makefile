# Two entry points (see README): `make run` and `make test`. Both create .venv on
# first use. The CPU build of PyTorch is pinned here (it is what CI and a fresh
# machine should get); the package itself asks only for torch>=2.4, so a GPU user
# who installed a CUDA build keeps it.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
TORCH_CPU ?= torch==2.13.0
STAMP  := $(VENV)/.installed

.PHONY: run test lint deadcode venv clean bench validate-desktop icons wheel dist install-desktop uninstall-desktop

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH_CPU)"
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

venv: $(STAMP)

# First the system libraries Qt needs (one install line if some are missing, not Qt's abort).
run: $(STAMP)
	$(PY) -m studio.app.qtdeps
	$(VENV)/bin/darwascii-studio

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

# Lint: ruff check and ruff format --check, both on the whole tree (rules and per-file
# exceptions in pyproject.toml). Needs only ruff and vulture (the `lint` extra, read from
# pyproject.toml), not the package or PyTorch.
LINT_TOOLS = $(shell sed -n 's/^lint = \[\(.*\)\]/\1/p' pyproject.toml | tr -d '",')

$(VENV)/.lint-tools: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet $(LINT_TOOLS)
	touch $@

lint: $(VENV)/.lint-tools
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# Candidates for dead code (advisory: Qt overrides and benchmark entry points are
# found by name, so vulture cannot see their callers).
deadcode: $(VENV)/.lint-tools
	-$(PY) -m vulture studio tests --min-confidence 60

bench: $(STAMP)
	$(VENV)/bin/darwascii bench

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache

# The PNG icon sizes, rendered from resources/icon.svg (committed; run after editing it).
icons: $(STAMP)
	$(PY) packaging/render_icons.py

# dist/darwascii_studio-VERSION-py3-none-any.whl, bundled family included.
wheel: $(STAMP)
	$(PY) -m pip wheel --no-deps --no-build-isolation -w dist .

# The frozen one-folder app, dist/darwascii-studio/, built in its own venv, then
# started offscreen as a check. It bundles whichever PyTorch DIST_TORCH installs: the
# CPU build by default; for CUDA (a multi-GB folder), e.g.
#   rm -rf build/dist-venv && make dist DIST_TORCH="torch --index-url https://download.pytorch.org/whl/cu126"
DIST_VENV  := build/dist-venv
DIST_STAMP := $(DIST_VENV)/.installed
DIST_TORCH ?= $(TORCH_CPU)
$(DIST_STAMP): pyproject.toml
	test -x $(DIST_VENV)/bin/python || $(PYTHON) -m venv $(DIST_VENV)
	$(DIST_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(DIST_VENV)/bin/python -m pip install --quiet $(DIST_TORCH)
	$(DIST_VENV)/bin/python -m pip install --quiet "pyinstaller>=6.10,<7" .
	touch $(DIST_STAMP)

dist: $(DIST_STAMP)
	$(DIST_VENV)/bin/pyinstaller --noconfirm --clean --log-level WARN \
		--distpath dist --workpath build/pyinstaller packaging/darwascii-studio.spec
	ln -sf darwascii-studio dist/darwascii-studio/darwascii  # the CLI: same bundle, other name
	dist/darwascii-studio/darwascii info checkpoints/apehex/styleA/model.pt >/dev/null
	QT_QPA_PLATFORM=offscreen dist/darwascii-studio/darwascii-studio --exit-when-shown \
		--library build/dist-check.sqlite3
	QT_QPA_PLATFORM=offscreen dist/darwascii-studio/darwascii-studio \
		--screenshot build/dist-check.png --library build/dist-check.sqlite3
	@du -sh dist/darwascii-studio

# Desktop integration for the current user: the entry, the icons, the AppStream file
# (a wheel or `make run` install provides the darwascii-studio command itself).
XDG_DATA_HOME ?= $(HOME)/.local/share
install-desktop:
	install -Dm644 packaging/io.github.darwascii.Studio.desktop $(XDG_DATA_HOME)/applications/io.github.darwascii.Studio.desktop
	install -Dm644 packaging/io.github.darwascii.Studio.metainfo.xml $(XDG_DATA_HOME)/metainfo/io.github.darwascii.Studio.metainfo.xml
	install -Dm644 resources/icon.svg $(XDG_DATA_HOME)/icons/hicolor/scalable/apps/io.github.darwascii.Studio.svg
	cd resources/icons/hicolor && for png in */apps/*.png; do \
		install -Dm644 $$png $(XDG_DATA_HOME)/icons/hicolor/$$png; done
	@command -v update-desktop-database >/dev/null && update-desktop-database -q $(XDG_DATA_HOME)/applications || true
	@command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t $(XDG_DATA_HOME)/icons/hicolor || true

uninstall-desktop:
	rm -f $(XDG_DATA_HOME)/applications/io.github.darwascii.Studio.desktop \
		$(XDG_DATA_HOME)/metainfo/io.github.darwascii.Studio.metainfo.xml \
		$(XDG_DATA_HOME)/icons/hicolor/*/apps/io.github.darwascii.Studio.*

# Desktop metadata checks (Debian: apt-get install desktop-file-utils appstream)
validate-desktop:
	desktop-file-validate packaging/io.github.darwascii.Studio.desktop
	appstreamcli validate --no-net packaging/io.github.darwascii.Studio.metainfo.xml

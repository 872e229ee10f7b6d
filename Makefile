# OpenChirp: `make run` starts the server, `make test` runs the whole suite (`make test-fast`: the
# in-process lane, `make test-e2e`: real server processes and a browser). All set themselves up.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 3000
DATA_DIR ?= ./data
PIP := $(BIN)/pip install --disable-pip-version-check -q -c constraints.txt
# Packages whose declared dependencies are only for live audio playback (pyaudio needs portaudio
# headers): installed without them.
NO_DEPS := tinysoundfont==0.3.7
TEST_NO_DEPS := pocketsphinx==5.1.1
# suno-api, a client of Suno's studio API the e2e tests run: its top-level package is `suno`, as
# SunoAI's (in the test extra), so it gets a folder of its own. It declares curl_cffi<0.6 yet asks
# curl_cffi for impersonate="chrome", which only 0.6 knows: hence --no-deps and the extra's 0.6.4.
STUDIO_CLIENT := suno-api==0.1.0
# The neural extra's torch, installed alone and first: this exact pin is the local CPU build
# here, and with torch already there pip never resolves a looser spec to a CUDA build (GBs).
TORCH := torch==2.13.0

.PHONY: run test test-fast test-e2e install install-test install-neural soundfont chromium lint format bench clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) -e .
	$(PIP) --no-deps $(NO_DEPS)
	@touch $@

# The engine's numba kernels compiled once into numba's cache (next to kernels.py), so that no
# worker compiles them when the server starts; again when kernels.py changes.
KERNELS := $(addprefix src/openchirp/engines/composer/,kernels.py voice/vocoder.py voice/speech.py)
$(VENV)/.compiled: $(VENV)/.installed $(KERNELS)
	$(BIN)/openchirp warm-up
	@touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) $(TORCH)
	$(PIP) -e '.[test,neural]'
	$(PIP) --no-deps $(TEST_NO_DEPS)
	$(PIP) --no-deps --upgrade --target $(VENV)/clients/suno-api $(STUDIO_CLIENT)
	@touch $@

# The neural engines (acestep, musicgen) for a GPU machine with local weights; `make run` stays
# light without them. See the README's "Run with a GPU and local weights".
$(VENV)/.installed-neural: $(VENV)/.installed
	$(PIP) $(TORCH)
	$(PIP) -e '.[neural]'
	@touch $@

install: $(VENV)/.installed $(VENV)/.compiled
install-test: $(VENV)/.installed-test $(VENV)/.compiled
install-neural: $(VENV)/.installed-neural

# A better General MIDI SoundFont than the small one pretty-midi ships, where apt can install it:
# FluidR3 (.sf2), which a worker loads in ~0.6 s. MuseScore's .sf3, installed here before, made
# every worker decode its Vorbis samples at start (6-8 s CPU and 1.4 GB each) and held the first
# song back; the engine already prefers FluidR3 over it when both are there.
soundfont:
	@if [ ! -e /usr/share/sounds/sf2/MuseScore_General.sf2 ] && [ ! -e /usr/share/sounds/sf2/FluidR3_GM.sf2 ] \
	  && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fluid-soundfont-gm) \
	    >/dev/null 2>&1 || echo "(no FluidR3 SoundFont: using pretty-midi's TimGM6mb)"; fi

chromium:
	@command -v chromium >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq \
	  && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

run: install soundfont
	OPENCHIRP_PORT=$(PORT) OPENCHIRP_DATA_DIR=$(DATA_DIR) $(BIN)/openchirp serve

test: install-test chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -p no:cacheprovider

# The app in this process and the unit tests: no server process, no browser, no long renders.
test-fast: install-test
	$(BIN)/pytest -p no:cacheprovider -m "not e2e and not slow"

# Real `openchirp serve` processes on SQLite and PostgreSQL, and the pages in Chromium.
test-e2e: install-test chromium
	$(BIN)/pytest -p no:cacheprovider -m e2e

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install-test
	$(BIN)/python bench/api.py
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/listen.py
	$(BIN)/python bench/media.py
	$(BIN)/python bench/neural.py --seconds 2 --runs 3

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

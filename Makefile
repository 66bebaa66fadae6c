# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv and install.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_QUESTION := Who founded the publishing house that released The Salt Ledger?
export HF_HUB_OFFLINE := 1

.PHONY: install demo test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first: the CPU wheel on local disk (otherwise pip pulls a multi-GB CUDA build)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/hipporag-like index examples/demo/corpus.json --index indexes/demo
	$(BIN)/hipporag-like query "$(DEMO_QUESTION)" --index indexes/demo -k 5

test: install
	$(BIN)/pytest -q

bench: install
	@echo "machine: $$(nproc) cores; numbers from a shared machine are noisy"
	$(BIN)/python eval/run_benchmarks.py
	$(BIN)/python eval/compare_walks.py
	$(BIN)/python eval/bench_scale.py --sizes 2000,20000,100000 --json eval/scale.json
	$(BIN)/python eval/bench_synonymy.py --phrases 100000 --sizes 20000 --out eval/synonymy.md --vectors-from indexes/musique_100-spacy indexes/hotpotqa_100-spacy indexes/musique_100-gpt35-openie
	$(BIN)/python eval/bench_lifecycle.py
	$(BIN)/python eval/bench_extraction.py
	$(BIN)/python eval/bench_build.py
	$(BIN)/python eval/bench_fact_composition.py
	$(BIN)/python eval/bench_serve.py --index indexes/musique_100-gpt35-openie --dataset ../shared/datasets/musique_100 --requests 20
	$(BIN)/python eval/bench_serve.py --index indexes/musique_100-gpt35-openie --dataset ../shared/datasets/musique_100 --requests 20 --ppr power --out eval/serve-power.md
	$(BIN)/python eval/bench_serve.py --index indexes/musique_100-gpt35-openie --dataset ../shared/datasets/musique_100 --requests 20 --workers 2 --out eval/serve-workers.md

clean:
	rm -rf $(VENV) indexes/demo

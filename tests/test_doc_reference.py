"""docs/reference.md is what the command line says about itself, never an old copy."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_committed_reference_is_what_the_generator_prints():
    spec = importlib.util.spec_from_file_location("gen_reference", ROOT / "tools/gen_reference.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    committed = (ROOT / "docs/reference.md").read_text(encoding="utf-8")
    assert committed == generator.reference(), (
        "docs/reference.md is out of date: regenerate it with `make docs-reference`"
    )


def test_the_reference_has_every_command():
    text = (ROOT / "docs/reference.md").read_text(encoding="utf-8")
    for heading in ("## `ordercli invoice`", "### `ordercli invoice create`", "## `ordercli demo`"):
        assert heading in text

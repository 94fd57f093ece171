"""The embedder: fp32 on ONNX Runtime is sentence-transformers' arithmetic, int8 is close,
a text's vector never depends on its batch, the ONNX graphs rebuild byte for byte from
the bundled weights, and bulk re-embedding picks CUDA only where it can."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scrkb.config import default_model_path
from scrkb.errors import ConfigError
from scrkb.ingest.files import sha256_file
from scrkb.nlp import embedding
from scrkb.nlp.embedding import get_embedder
from scrkb.nlp.onnx_export import EXPECTED, SOURCE_FILES, check_build, export_dir

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

PASSAGES = [
    "Findings: The health visitor saw a bruise on the baby's ear and accepted the mother's "
    "explanation.",
    "Information about the partner's history of violence was held by the police but never "
    "shared with children's social care before the strategy discussion.",
    "Contents",
    "The school nurse recorded that the child had missed three appointments; the GP was not told.",
]


def test_embedding_fp32_on_onnxruntime_is_sentence_transformers_on_torch():
    onnx = get_embedder(default_model_path(), form="fp32")
    torch = get_embedder(default_model_path(), form="fp32", runtime="torch-cpu")
    assert (onnx.form, onnx.runtime) == ("fp32", "onnxruntime-cpu")
    assert (torch.form, torch.runtime) == ("fp32", "torch-cpu")
    a, b = onnx.encode(PASSAGES), torch.encode(PASSAGES)
    assert a.shape == (len(PASSAGES), 384) and a.dtype == np.float32
    assert np.abs(a - b).max() < 1e-5  # the same form: float rounding apart
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)


def test_embedding_a_text_gets_one_vector_whatever_its_batch_or_cores():
    for form in ("fp32", "int8"):
        embedder = get_embedder(default_model_path(), form=form)
        a = embedder.encode(PASSAGES)
        assert np.array_equal(embedder.encode(PASSAGES[::-1])[::-1], a)
        assert np.array_equal(embedder.encode(PASSAGES, threads=2), a)
        assert np.array_equal(embedder.encode([f"  {PASSAGES[1]}\n"])[0], a[1])
        assert np.array_equal(embedder.encode_query(PASSAGES[2]), a[2])


def test_embedding_a_text_repeated_in_a_batch_is_run_once(monkeypatch):
    embedder = get_embedder(default_model_path(), form="int8")
    alone = embedder.encode(PASSAGES)
    calls: list[str] = []
    run_one = embedder._one
    monkeypatch.setattr(embedder, "_one", lambda text: calls.append(text) or run_one(text))
    repeated = embedder.encode([PASSAGES[0], PASSAGES[3], PASSAGES[0]], threads=2)
    assert sorted(calls) == sorted([PASSAGES[0], PASSAGES[3]])
    assert np.array_equal(repeated, alone[[0, 3, 0]])


def test_embedding_int8_is_close_to_fp32_and_still_finds_the_paraphrase():
    fp32 = get_embedder(default_model_path(), form="fp32").encode(PASSAGES)
    int8 = get_embedder(default_model_path(), form="int8")
    a = int8.encode(PASSAGES)
    assert (a * fp32).sum(axis=1).min() > 0.97
    q = int8.encode_query("nobody told the GP the child kept missing health appointments")
    assert int(np.argmax(a @ q)) == 3


def test_embedding_forms_and_runtimes_that_do_not_exist_are_refused():
    with pytest.raises(ConfigError, match="unknown embedding form"):
        get_embedder(default_model_path(), form="fp16")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="ONNX Runtime only"):
        get_embedder(default_model_path(), form="int8", runtime="torch-cuda")


def test_embedding_bulk_reembedding_uses_cuda_only_for_fp32_and_only_when_torch_sees_one(
    monkeypatch,
):
    import torch

    assert embedding.cuda_available() == torch.cuda.is_available()  # honest on this machine
    calls = []

    def fake(path, batch, *, form, runtime="onnxruntime-cpu"):  # noqa: ANN001, ANN202
        calls.append((form, runtime, batch))

    monkeypatch.setattr(embedding, "get_embedder", fake)
    for cuda in (False, True):
        monkeypatch.setattr(embedding, "cuda_available", lambda cuda=cuda: cuda)
        embedding.bulk_embedder(default_model_path(), 32, "fp32")
        embedding.bulk_embedder(default_model_path(), 32, "int8")
    assert calls == [
        ("fp32", "onnxruntime-cpu", 32), ("int8", "onnxruntime-cpu", 32),
        ("fp32", "torch-cuda", 128), ("int8", "onnxruntime-cpu", 32),
    ]  # fmt: skip


def test_embedding_onnx_forms_are_built_from_the_bundled_weights_byte_for_byte():
    expected = json.loads(EXPECTED.read_text())
    assert expected["source"] == {n: sha256_file(default_model_path() / n) for n in SOURCE_FILES}
    built = json.loads((export_dir(default_model_path()) / "manifest.json").read_text())
    assert built["files"] == expected["files"]  # what the embedders here run on
    ok, message = check_build(default_model_path())  # and a fresh build, from scratch
    assert ok, message


def test_embedding_module_loads_no_runtime_on_import():
    code = (
        "import sys, scrkb.nlp.embedding, scrkb.index.search, scrkb.services.ingest; "
        "print(sorted(m for m in ('torch', 'onnxruntime', 'sentence_transformers', 'spacy') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=ROOT)  # fmt: skip
    assert out.stdout.strip() == "[]"

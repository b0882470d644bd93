"""The int8 embedder option: recorded in the manifest, used for questions, close to float."""

from __future__ import annotations

import numpy as np
import pytest

from rag.config import Config, EmbeddingConfig
from rag.embed import SentenceTransformerEmbedder, create_embedder
from rag.embed.sentence_transformer import has_vnni
from rag.errors import ConfigError
from rag.pipeline import Pipeline
from tests.conftest import CANONICAL, PESKOV_QUOTE


@pytest.fixture(scope="module")
def int8_embedder():
    return create_embedder(EmbeddingConfig(quantize="int8"))


def test_int8_vectors_stay_close_to_float(embedder, int8_embedder):
    texts = [CANONICAL, "Flooding closed Yellowstone.", PESKOV_QUOTE, "Stocks fell on Tuesday."]
    float_vectors, int8_vectors = embedder.embed(texts), int8_embedder.embed(texts)
    assert int8_vectors.shape == float_vectors.shape
    assert np.allclose(np.linalg.norm(int8_vectors, axis=1), 1.0, atol=1e-4)
    # full 8-bit activations where the CPU has VNNI, 7-bit elsewhere (torch's safe default)
    assert (float_vectors * int8_vectors).sum(axis=1).min() > (0.98 if has_vnni() else 0.95)
    # and the model really changed: a no-op would give identical vectors
    assert not np.allclose(float_vectors, int8_vectors, atol=1e-4)


def test_an_int8_index_records_it_and_embeds_questions_the_same_way(tmp_path, int8_embedder):
    config = Config(index_dir=str(tmp_path / "index")).with_(quantize="int8")
    Pipeline(config, embedder=int8_embedder).build()
    reader = Pipeline(config.with_(quantize="none"))  # the manifest decides, not the config
    assert reader.index.manifest.embedding.quantize == "int8"
    assert reader.embedder.quantize == "int8" and reader.retriever.embedder is reader.embedder
    assert any(PESKOV_QUOTE in p.text for p in reader.search(CANONICAL, k=3))


def test_switching_quantization_re_embeds(tmp_path, embedder, int8_embedder):
    config = Config(index_dir=str(tmp_path / "index"))
    Pipeline(config, embedder=embedder).build()
    report = Pipeline(config.with_(quantize="int8"), embedder=int8_embedder).build()
    assert report.embedded == report.chunks  # float vectors are not reused for int8


def test_unknown_quantization_is_refused():
    with pytest.raises(ConfigError, match="quantize"):
        EmbeddingConfig(quantize="int4")
    with pytest.raises(ValueError, match="unknown quantization"):
        SentenceTransformerEmbedder("all-MiniLM-L6-v2", quantize="int4")


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ("fpu avx2 avx512f avx512_vnni avx512bw", True),
        ("fpu avx2 avx_vnni", True),
        ("fpu sse4_2 avx2 fma", False),  # AVX2 alone: 16-bit sums can saturate
    ],
)
def test_full_range_activations_only_on_cpus_with_vnni(tmp_path, flags, expected):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(f"processor\t: 0\nflags\t\t: {flags}\n")
    assert has_vnni(str(cpuinfo)) is expected


def test_an_unreadable_cpuinfo_means_the_safe_default(tmp_path):
    assert has_vnni(str(tmp_path / "missing")) is False


@pytest.mark.parametrize("vnni", [True, False])
def test_activation_range_follows_the_cpu(monkeypatch, vnni):
    import torch

    from rag.embed import sentence_transformer

    monkeypatch.setattr(sentence_transformer, "has_vnni", lambda: vnni)
    torch.manual_seed(0)
    model = sentence_transformer.quantize_int8(torch.nn.Sequential(torch.nn.Linear(64, 32)))
    x = torch.randn(4, 64) * 3
    packed = model[0]._packed_params._packed_params
    expected = torch.ops.quantized.linear_dynamic(x, packed, reduce_range=not vnni)
    other = torch.ops.quantized.linear_dynamic(x, packed, reduce_range=vnni)
    assert torch.equal(model(x), expected)
    assert not torch.equal(model(x), other)

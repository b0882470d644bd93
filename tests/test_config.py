"""The typed configuration: one section per concern, flat names for the environment and
flags, and one clear error for a bad value."""

import pytest

from rag.config import SETTINGS, ChunkingConfig, Config, FusionConfig
from rag.errors import ConfigError


def test_flat_names_set_fields_of_their_section(monkeypatch):
    monkeypatch.setenv("RAG_CHUNK_TOKENS", "120")
    monkeypatch.setenv("RAG_HALF_LIFE_DAYS", "7.5")
    monkeypatch.setenv("RAG_EMBED_TITLE", "no")
    config = Config.from_env(rrf_k=20, model=None)  # None: not given
    assert config.chunking == ChunkingConfig(tokens=120, overlap=40)
    assert config.recency.half_life_days == 7.5 and config.fusion.rrf_k == 20
    assert config.embedding.embed_title is False and config.embedding.model == "all-MiniLM-L6-v2"
    assert config.with_(candidates=50).fusion == FusionConfig(candidates=50, rrf_k=20)


def test_every_flat_name_is_unique_and_reaches_a_field():
    config = Config()
    for name, ((section, attr), _) in SETTINGS.items():
        owner = config if section is None else getattr(config, section)
        assert hasattr(owner, attr), name


@pytest.mark.parametrize(
    ("env", "value", "message"),
    [
        ("RAG_CHUNK_TOKENS", "abc", "RAG_CHUNK_TOKENS='abc' is not a whole number."),
        ("RAG_RRF_K", "1.5", "RAG_RRF_K='1.5' is not a whole number."),
        ("RAG_EMBED_TITLE", "maybe", "RAG_EMBED_TITLE='maybe' is not true or false."),
        ("RAG_CHUNK_OVERLAP", "150", "chunk_overlap must be between 0 and half of chunk_tokens"),
        ("RAG_QUANTIZE", "int4", "quantize must be one of none, int8"),
        ("RAG_CHUNK_FUSION", "sum", "chunk_fusion must be one of auto, rank, score"),
        ("RAG_PASSAGES", "0", "passages must be 1 to 50"),
        ("RAG_SPECULATIVE", "eagle", "speculative must be one of off, ngram, draft"),
        ("RAG_SHUTDOWN_SECONDS", "-1", "shutdown_seconds must not be negative"),
    ],
)
def test_a_bad_value_is_one_clear_error(monkeypatch, env, value, message):
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError) as raised:
        Config.from_env()
    assert str(raised.value).startswith(message)


def test_unknown_settings_are_refused():
    with pytest.raises(ConfigError, match="unknown setting 'chunk_size'"):
        Config().with_(chunk_size=100)

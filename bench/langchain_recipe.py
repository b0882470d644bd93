"""LangChain's usual recipe, the baseline benchmarks compare against:
``RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)``, the same
sentence-transformers model, and ``langchain_community`` ``FAISS``.

The vectors can be cached as ``.npy`` plus JSON lines (never a pickle) and the FAISS store
rebuilt from them with ``FAISS.from_embeddings``, so repeated benchmark runs skip the
hour of embedding a large corpus takes on two cores.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from rag.embed import Embedder

CHUNK_SIZE, CHUNK_OVERLAP = 1000, 200


class EmbedderEmbeddings(Embeddings):
    """The project's embedder (same model, same normalisation) as LangChain Embeddings."""

    def __init__(self, embedder: Embedder):
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_query(text).tolist()


def split(texts: list[str], metadatas: list[dict]) -> list[Document]:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP)
    return splitter.create_documents(texts, metadatas)


def build(texts: list[str], metadatas: list[dict], embedder: Embedder):
    """The recipe end to end: split, embed, ``FAISS.from_documents``."""
    from langchain_community.vectorstores import FAISS

    return FAISS.from_documents(split(texts, metadatas), EmbedderEmbeddings(embedder))


def cached(texts: list[str], metadatas: list[dict], embedder: Embedder, folder: Path):
    """The recipe's FAISS store, embedding only when ``folder`` holds no vectors yet."""
    from langchain_community.vectorstores import FAISS

    vectors_file, docs_file = folder / "vectors.npy", folder / "documents.jsonl"
    embeddings = EmbedderEmbeddings(embedder)
    if vectors_file.is_file() and docs_file.is_file():
        rows = [json.loads(line) for line in docs_file.read_text(encoding="utf-8").splitlines()]
        vectors = np.load(vectors_file, allow_pickle=False)
        if len(rows) == len(vectors):
            pairs = [(r["text"], v.tolist()) for r, v in zip(rows, vectors, strict=True)]
            return FAISS.from_embeddings(pairs, embeddings, [r["metadata"] for r in rows])
    documents = split(texts, metadatas)
    vectors = embedder.embed([d.page_content for d in documents], progress=True)
    folder.mkdir(parents=True, exist_ok=True)
    with open(docs_file, "w", encoding="utf-8") as out:
        for document in documents:
            out.write(json.dumps({"text": document.page_content, "metadata": document.metadata}))
            out.write("\n")
    np.save(vectors_file, vectors, allow_pickle=False)
    pairs = [(d.page_content, v.tolist()) for d, v in zip(documents, vectors, strict=True)]
    return FAISS.from_embeddings(pairs, embeddings, [d.metadata for d in documents])

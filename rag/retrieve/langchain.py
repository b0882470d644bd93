"""LangChain both ways: any rag Retriever as a ``langchain_core`` BaseRetriever, and any
LangChain retriever as a rag Retriever (so it can feed the answerer)."""

from __future__ import annotations

import hashlib

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from rag.filters import SearchFilter
from rag.retrieve.base import Retriever
from rag.types import Passage


def to_document(passage: Passage) -> Document:
    """A LangChain Document whose metadata carries everything a citation needs."""
    metadata = passage.to_dict()
    text = metadata.pop("text")
    return Document(
        page_content=text,
        metadata=metadata,
        id=f"{passage.article_id}:{passage.start}-{passage.end}",
    )


def to_passage(document: Document, rank: int) -> Passage:
    """A Passage from a Document: the citation fields from its metadata where it has them
    (as :func:`to_document` writes them), else the document is its own article."""
    meta, text = document.metadata or {}, document.page_content
    start = int(meta.get("start", 0))
    article = meta.get("article_id") or document.id or hashlib.sha256(text.encode()).hexdigest()
    return Passage(
        text=text,
        score=float(meta.get("score", 1.0 / rank)),
        article_id=str(article)[:64],
        title=str(meta.get("title", "")),
        source=str(meta.get("source", "")),
        published=meta.get("published"),
        start=start,
        end=start + len(text),
        chunk_id=int(meta.get("chunk_id", -1)),
    )


class LangChainRetriever(BaseRetriever):
    """A rag Retriever for LangChain: use with ``invoke`` / ``batch`` or in an LCEL chain.

    >>> docs = LangChainRetriever(retriever=Pipeline.open("index").retriever).invoke("...")
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Retriever
    k: int = 5
    search_filter: SearchFilter | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [to_document(p) for p in self.retriever.retrieve(query, self.k, self.search_filter)]


class FromLangChain(Retriever):
    """A LangChain retriever as a rag Retriever. It returns what the LangChain retriever
    returns (its own ``k``), cut to ``k``; a filter is applied to the passages' metadata
    (``published``, ``source``) after retrieval, so it may return fewer than ``k``."""

    name = "langchain"

    def __init__(self, retriever: BaseRetriever):
        self.retriever = retriever

    def _retrieve(self, query: str, k: int, search_filter: SearchFilter | None) -> list[Passage]:
        documents = self.retriever.invoke(query)
        passages = [to_passage(d, rank) for rank, d in enumerate(documents, 1)]
        if search_filter is not None and search_filter.active:
            passages = [p for p in passages if search_filter.admits(p)]
        return passages[:k]

"""LangChain adapter: any rag Retriever as a ``langchain_core`` BaseRetriever."""

from __future__ import annotations

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


class LangChainRetriever(BaseRetriever):
    """Use with ``invoke`` / ``batch`` or inside an LCEL chain.

    >>> docs = LangChainRetriever(retriever=create_retriever(Config())).invoke("question")
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    retriever: Retriever
    k: int = 5
    search_filter: SearchFilter | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [to_document(p) for p in self.retriever.retrieve(query, self.k, self.search_filter)]

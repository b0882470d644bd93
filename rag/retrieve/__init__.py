"""Retrievers (dense, BM25, hybrid), metadata filters and the LangChain adapter."""

from rag.filters import SearchFilter
from rag.retrieve.base import Retriever
from rag.retrieve.factory import RETRIEVERS, create_retriever
from rag.retrieve.hybrid import BM25Retriever, DenseRetriever, HybridRetriever

__all__ = [
    "RETRIEVERS",
    "BM25Retriever",
    "DenseRetriever",
    "HybridRetriever",
    "Retriever",
    "SearchFilter",
    "create_retriever",
]

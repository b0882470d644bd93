"""Retrievers (dense, BM25, hybrid), metadata filters and the LangChain adapter."""

from rag.filters import SearchFilter
from rag.retrieve.base import Retriever
from rag.retrieve.factory import RETRIEVERS, create_retriever
from rag.retrieve.hybrid import BM25Retriever, DenseRetriever, HybridRetriever
from rag.retrieve.temporal import RecencyPrior, TimeScope, time_scope

__all__ = [
    "RETRIEVERS",
    "BM25Retriever",
    "DenseRetriever",
    "HybridRetriever",
    "RecencyPrior",
    "Retriever",
    "SearchFilter",
    "TimeScope",
    "create_retriever",
    "time_scope",
]

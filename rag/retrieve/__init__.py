"""Retrievers (dense, BM25, hybrid), metadata filters and the LangChain adapter."""

from rag.retrieve.base import Retriever
from rag.filters import SearchFilter
from rag.retrieve.hybrid import BM25Retriever, DenseRetriever, HybridRetriever

__all__ = ["BM25Retriever", "DenseRetriever", "HybridRetriever", "Retriever", "SearchFilter"]

"""The persisted index: versioned folders, manifest, loading, building and updating."""

from rag.index.builder import BuildReport, IndexBuilder
from rag.index.index import Index

__all__ = ["BuildReport", "Index", "IndexBuilder"]

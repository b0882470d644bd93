"""Any rag Retriever as a LlamaIndex retriever: nodes that carry the citation metadata."""

from __future__ import annotations

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from rag.filters import SearchFilter
from rag.retrieve.base import Retriever
from rag.types import Passage

# Shown to the LLM with each node; the offsets and ids stay out of the prompt.
_PROMPT_METADATA = ("title", "source", "published")


def to_node(passage: Passage) -> NodeWithScore:
    """A scored TextNode: the passage text, its offsets in the article
    (``start_char_idx``/``end_char_idx``), and the citation fields as metadata."""
    metadata = passage.to_dict()
    text = metadata.pop("text")
    node = TextNode(
        id_=f"{passage.article_id}:{passage.start}-{passage.end}",
        text=text,
        metadata=metadata,
        start_char_idx=passage.start,
        end_char_idx=passage.end,
        excluded_llm_metadata_keys=[k for k in metadata if k not in _PROMPT_METADATA],
        excluded_embed_metadata_keys=list(metadata),
    )
    return NodeWithScore(node=node, score=passage.score)


class LlamaIndexRetriever(BaseRetriever):
    """A rag Retriever for LlamaIndex: use it with ``retrieve`` or in a query engine.

    >>> retriever = LlamaIndexRetriever(Pipeline.open("index").retriever, k=5)
    >>> engine = RetrieverQueryEngine.from_args(retriever, llm=...)

    ``k`` (5) passages per query, optionally restricted by ``search_filter``.
    """

    def __init__(
        self, retriever: Retriever, k: int = 5, search_filter: SearchFilter | None = None, **kw
    ):
        super().__init__(**kw)
        self.retriever, self.k, self.search_filter = retriever, k, search_filter

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        found = self.retriever.retrieve(query_bundle.query_str, self.k, self.search_filter)
        return [to_node(p) for p in found]

"""The LlamaIndex adapter, in a LlamaIndex retriever query engine (offline)."""

from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine

from rag.filters import SearchFilter
from rag.retrieve.llamaindex import LlamaIndexRetriever
from tests.conftest import CANONICAL, PESKOV_QUOTE


def test_nodes_carry_the_citation_metadata_and_exact_offsets(sample):
    nodes = LlamaIndexRetriever(sample.retriever, k=3).retrieve(CANONICAL)
    assert len(nodes) == 3 and nodes[0].score >= nodes[-1].score
    texts = {a.id: a.text for a in sample.articles}
    for scored in nodes:
        node, meta = scored.node, scored.node.metadata
        assert {"article_id", "title", "source", "published", "start", "end"} <= meta.keys()
        assert texts[meta["article_id"]][node.start_char_idx : node.end_char_idx] == node.text
    assert any(PESKOV_QUOTE in n.node.text for n in nodes)
    prompt_view = nodes[0].node.get_content(metadata_mode="llm")
    assert "title:" in prompt_view and "article_id" not in prompt_view


def test_a_filter_restricts_the_nodes(sample):
    only = LlamaIndexRetriever(sample.retriever, 5, SearchFilter(sources=("witkoff*",)))
    nodes = only.retrieve(CANONICAL)
    assert nodes and all("witkoff" in n.node.metadata["source"] for n in nodes)


def test_in_a_retriever_query_engine(sample):
    """LlamaIndex's own engine builds its prompt from our nodes (MockLLM echoes the
    prompt: no model, no network) and returns them as the response's sources."""
    engine = RetrieverQueryEngine.from_args(
        LlamaIndexRetriever(sample.retriever, k=3), llm=MockLLM()
    )
    response = engine.query(CANONICAL)
    assert PESKOV_QUOTE in str(response)  # the retrieved passage reached the prompt
    sources = {n.node.metadata["source"] for n in response.source_nodes}
    assert sources <= {a.source for a in sample.articles} and len(response.source_nodes) == 3

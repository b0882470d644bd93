"""The composition root: one index, one embedder, and every component built from one Config."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from rag.answer import (
    ANSWERERS,
    Answer,
    Answerer,
    Event,
    EvidenceScorer,
    ExtractiveGenerator,
    Generator,
    LLMGenerator,
)
from rag.answer.answerability import Gate, SpacyTagger, load_gates
from rag.answer.instructions import InstructionDetector
from rag.answer.selection import SentenceRanker, load_ranker
from rag.config import Config, EmbeddingConfig
from rag.embed import Embedder, create_embedder
from rag.errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError, InputError
from rag.filters import SearchFilter
from rag.index import BuildReport, Index, IndexBuilder
from rag.index.layout import current_version
from rag.ingest import LoadResult, load_paths, load_records, load_sample_corpus, one_per_story
from rag.llm.backends import BACKENDS, LLMBackend
from rag.llm.models import is_installed
from rag.retrieve import Retriever, create_retriever
from rag.types import Article, Passage

Record = Mapping | Article


class Pipeline:
    """Opens an index folder and wires every part from one :class:`Config`: the index
    (loaded once), the embedder (resolved from the index's manifest, in :meth:`_embedder_for`
    only), the retriever, the answerers and their LLM backends (each made once, on first
    use, and shared).

    Injected parts are used as given: ``embedder`` (it must match the index's model and
    quantization, else :class:`IndexMismatchError`), ``retriever`` (any :class:`Retriever`,
    e.g. a wrapped LangChain one), ``generator`` (then the default answerer) and
    ``backend`` (an :class:`LLMBackend`, serving the answerer of its name).

    Writes (``build``, ``add_*``, ``remove``) go through one writer at a time and swap
    the new index in when done; questions keep being answered from the loaded one
    meanwhile. A folder with no index yet is fine: the first write creates it.

    >>> pipeline = Pipeline.open("news-index")
    >>> pipeline.add_articles([{"title": "...", "text": "...", "published": "2026-11-30"}])
    >>> print(pipeline.ask("What did Peskov say about timelines?").text)
    """

    def __init__(
        self,
        config: Config,
        *,
        embedder: Embedder | None = None,
        retriever: Retriever | None = None,
        generator: Generator | None = None,
        backend: LLMBackend | None = None,
        progress: bool = False,
    ):
        self.config, self.progress = config, progress
        self._embedder, self._embedder_given = embedder, embedder is not None
        self._retriever_given = retriever
        self._generators: dict[str, Generator] = {}
        self._backends: dict[str, LLMBackend] = {}
        self._default = generator.name if generator is not None else None
        if generator is not None:
            self._generators[generator.name] = generator
        if backend is not None:
            self._backends[backend.name] = backend
        self._lock = threading.RLock()  # held only to swap or build parts, never to answer
        self._write_lock = threading.Lock()  # one writer per process (files lock across them)
        self.index: Index | None = None
        self._retriever: Retriever | None = None
        self._answerers: dict[str, Answerer] = {}
        self._instructions: InstructionDetector | None = None
        self._gate_table: dict[str, Gate] | None = None
        self._entities: SpacyTagger | None = None
        self._sentence_ranker: SentenceRanker | None = None
        # no index yet, or a damaged one: reads report it; a build replaces it
        with contextlib.suppress(IndexNotFoundError, IndexCorruptError):
            self._adopt(Index.load(config.index_dir))
        if embedder is not None and self.index and not embedder.matches(config.embedding):
            # fits neither the index nor a rebuild under the configuration: say so now
            self._embedder_for(self.index.manifest.embedding)

    @classmethod
    def open(cls, config: Config | str | Path | None = None, **parts) -> Pipeline:
        """A pipeline over ``config`` (an index folder stands for ``Config(index_dir=...)``;
        None reads ``RAG_*`` variables). ``parts``: ``embedder``, ``retriever``,
        ``generator``, ``backend``, ``progress``."""
        if config is None:
            config = Config.from_env()
        elif isinstance(config, str | Path):
            config = Config(index_dir=str(config))
        return cls(config, **parts)

    # -- parts ---------------------------------------------------------------------------

    @property
    def articles(self) -> list[Article]:
        return list(self.index.articles) if self.index is not None else []

    @property
    def embedder(self) -> Embedder:
        """The one embedder: the index's model and quantization (the configuration's
        before there is an index)."""
        with self._lock:
            index = self.index
            return self._embedder_for(index.manifest.embedding if index else self.config.embedding)

    @property
    def retriever(self) -> Retriever:
        """The retriever questions use (``config.fusion.retriever``, or the injected one)."""
        with self._lock:
            if self._retriever is None:
                self._retriever = self._retriever_given or self.create_retriever(
                    self.config.fusion.retriever
                )
            return self._retriever

    def create_retriever(self, kind: str) -> Retriever:
        """A new ``kind`` retriever (``hybrid``, ``dense``, ``bm25``) over the loaded index."""
        index = self._index()
        if index.manifest.model != self.config.embedding.model:
            raise IndexMismatchError(
                f"The index in '{self.config.index_dir}' was built with embedding model "
                f"'{index.manifest.model}', but '{self.config.embedding.model}' is configured. "
                f"Use --model '{index.manifest.model}' (or RAG_MODEL), or rebuild with "
                "`rag index build --model ...`."
            )
        return create_retriever(kind, index, self.embedder, self.config)

    def answerer(self, name: str | None = None) -> Answerer:
        """The answerer ``name`` (default ``config.answer.answerer``; ``auto``: the local
        LLM when its model is installed, else extractive), over :attr:`retriever`."""
        name = self._resolve(name)
        with self._lock:
            self.reload()
            if name not in self._answerers:
                # no index: say so before loading a model (and destroying it unused, which
                # can hang llama.cpp's server when it has only just started)
                retriever = self.retriever
                answer = self.config.answer
                scorer = EvidenceScorer(self.embedder, answer.lexical_weight, self._detector())
                generator = self._generator(name)
                # a model answer that fails verification falls back to quoting the evidence
                quotes = self._generator("extractive") if generator.name != "extractive" else None
                self._answerers[name] = Answerer(
                    retriever,
                    scorer,
                    generator,
                    answer,
                    self._gates(),
                    self._tagger(),
                    quotes,
                    self._ranker(),
                )
            return self._answerers[name]

    def _gates(self) -> dict[str, Gate]:
        """The answerability gates, read once (none when ``answer.gates`` is ``off``)."""
        if self._gate_table is None:
            path = self.config.answer.gates
            self._gate_table = {} if path == "off" else load_gates(path)
        return self._gate_table

    def _ranker(self) -> SentenceRanker | None:
        """The answer-sentence ranker, read once (None when ``answer.ranker`` is ``off``)."""
        if self._sentence_ranker is None and self.config.answer.ranker != "off":
            self._sentence_ranker = load_ranker(self.config.answer.ranker)
        return self._sentence_ranker

    def _tagger(self) -> SpacyTagger | None:
        """The entity tagger, its model loaded now (once per process) rather than during
        the first question, or None when ``answer.ner_model`` is empty."""
        if self._entities is None and self.config.answer.ner_model:
            self._entities = SpacyTagger(self.config.answer.ner_model)
            _ = self._entities.nlp
        return self._entities

    def _detector(self) -> InstructionDetector | None:
        """The one instruction detector (fitted once, for the embedder), or None when
        ``answer.instruction_threshold`` is 0 (off)."""
        if not self.config.answer.instruction_threshold:
            return None
        if self._instructions is None or self._instructions.embedder is not self.embedder:
            self._instructions = InstructionDetector(
                self.embedder, self.config.answer.instruction_threshold
            )
        return self._instructions

    def answerer_names(self) -> list[str]:
        """The answerers this configuration can run, the default first."""
        names = [self._default, "extractive"] if self._default else ["extractive"]
        if self._local_available():
            names.insert(0, "local")
        if self.config.llm.openai_base_url or "openai" in self._backends:
            names.append("openai")
        return list(dict.fromkeys(names))

    # -- questions -----------------------------------------------------------------------

    def search(
        self, question: str, k: int | None = None, filter: SearchFilter | None = None
    ) -> list[Passage]:
        """The ``k`` best passages (default ``config.answer.passages``)."""
        self.reload()
        return self.retriever.retrieve(question, k or self.config.answer.passages, filter)

    def ask(
        self,
        question: str,
        history: list[dict] | None = None,
        answerer: str | None = None,
        filter: SearchFilter | None = None,
    ) -> Answer:
        """A cited answer, or an abstention that lists the closest passages. ``history``:
        earlier ``{"role", "content"}`` turns; ``answerer``: a name (see :meth:`answerer`)."""
        return self.answerer(answerer).answer(question, history, filter)

    def stream(
        self,
        question: str,
        history: list[dict] | None = None,
        answerer: str | None = None,
        filter: SearchFilter | None = None,
    ) -> Iterator[Event | Answer]:
        """:meth:`ask`, streamed: the passages found, draft text, each sentence once
        verified (:class:`Delta`) or withdrawn, then the :class:`Answer`."""
        return self.answerer(answerer).stream(question, history, filter)

    # -- writes --------------------------------------------------------------------------

    def build(
        self, paths: Sequence[str | Path] = (), records: Iterable[Record] = ()
    ) -> BuildReport:
        """Index exactly the articles under ``paths`` and in ``records`` (the sample
        articles when both are empty) with the configuration's settings. Vectors of
        articles already indexed under the same settings are reused."""
        records = list(records)
        loaded = self._load(paths, records) if paths or records else load_sample_corpus()
        _require_articles(loaded, paths, records)
        with self._write_lock:
            builder = self._builder(self.config.embedding)
            index, report = builder.build(loaded.articles, self.index)
            self._adopt(index)
        report.skipped = loaded.skipped + report.skipped
        return report

    def add_paths(self, paths: Sequence[str | Path], relative: bool = False) -> BuildReport:
        """Add the articles under ``paths`` (``relative``: files in a folder are named by
        their path inside it). See :meth:`add_articles`."""
        return self._add(self._load(paths, [], relative), paths, [])

    def add_articles(self, records: Iterable[Record]) -> BuildReport:
        """Add articles from memory: dicts in the JSON-lines record shape (``title``,
        ``text``, ``url``, ``published``) or :class:`Article` objects. Only new or changed
        articles are embedded; a bad record is skipped with its reason; with no index yet
        this builds one."""
        records = list(records)
        return self._add(self._load([], records), [], records)

    def remove(self, ids: Sequence[str]) -> BuildReport:
        """Remove articles by id, id prefix (6+ characters) or exact source."""
        with self._write_lock:
            self.reload()
            index, report = self._builder(self._index().manifest.embedding).remove(ids, self.index)
            self._adopt(index)
        return report

    def reload(self) -> bool:
        """Load the live index version if another writer (``rag index add`` in another
        process) replaced it; True when it did."""
        with self._lock:
            try:
                live = current_version(self.config.index_path)
            except IndexNotFoundError:
                return False
            if self.index is not None and self.index.folder == live:
                return False
            self._adopt(Index.load(self.config.index_dir))
            return True

    # -- internals -----------------------------------------------------------------------

    def _index(self) -> Index:
        if self.index is None and not self.reload():
            current_version(self.config.index_path)  # raises the "build one with ..." error
        return self.index

    def _adopt(self, index: Index) -> None:
        """Serve ``index`` from now on; the parts built over the old one are rebuilt on use
        (answers already streaming finish on the old one)."""
        with self._lock:
            self.index, self._retriever, self._answerers = index, None, {}

    def _embedder_for(self, section: EmbeddingConfig) -> Embedder:
        """The embedder for ``section``'s model and quantization: the one the pipeline has
        when it matches, else a new one (an injected one must match)."""
        with self._lock:
            if self._embedder is None or not self._embedder.matches(section):
                if self._embedder_given:
                    raise _mismatch(self._embedder, section, self.config.index_dir)
                batch = self.config.embedding.batch_size
                self._embedder = create_embedder(replace(section, batch_size=batch))
            return self._embedder

    def _builder(self, section: EmbeddingConfig) -> IndexBuilder:
        return IndexBuilder(self.config, self._embedder_for(section), self.progress)

    def _add(self, loaded: LoadResult, paths, records) -> BuildReport:
        _require_articles(loaded, paths, records)
        with self._write_lock:
            self.reload()
            if self.index is None:  # the first articles build the index
                index, report = self._builder(self.config.embedding).build(loaded.articles)
            else:
                builder = self._builder(self.index.manifest.embedding)
                index, report = builder.add(loaded.articles, self.index)
            self._adopt(index)
        report.skipped = loaded.skipped + report.skipped
        return report

    def _load(self, paths, records, relative: bool = False) -> LoadResult:
        if not records:
            return load_paths(paths, self.config.ingest, relative=relative)
        if not paths:
            return load_records(records)
        files = load_paths(paths, self.config.ingest, relative=relative)
        memory = load_records(records)
        # one article per story across both, as within each
        return one_per_story(
            LoadResult(files.articles + memory.articles, files.skipped + memory.skipped)
        )

    def _resolve(self, name: str | None) -> str:
        name = name or self.config.answer.answerer
        if name == "auto":
            name = self._default or ("local" if self._local_available() else "extractive")
        if name not in self._generators and name not in ANSWERERS and name not in self._backends:
            known = ", ".join(dict.fromkeys([*ANSWERERS, *self._generators, *self._backends]))
            raise InputError(f"Unknown answerer '{name}' (choose from {known}).")
        return name

    def _generator(self, name: str) -> Generator:
        if name not in self._generators:
            if name == "extractive":
                self._generators[name] = ExtractiveGenerator(self.config.answer)
            else:
                if name not in self._backends:
                    self._backends[name] = BACKENDS[name].from_config(self.config.llm)
                self._generators[name] = LLMGenerator(self._backends[name], self.config.llm)
        return self._generators[name]

    def _local_available(self) -> bool:
        model = self.config.llm.model
        return "local" in self._backends or Path(model).is_file() or is_installed(model)


def _mismatch(embedder: Embedder, section: EmbeddingConfig, index_dir: str) -> IndexMismatchError:
    quantize = getattr(embedder, "quantize", "none")
    return IndexMismatchError(
        f"The embedder given is '{embedder.name}' ({quantize}), but the index in "
        f"'{index_dir}' uses '{section.model}' ({section.quantize}): pass a matching "
        "embedder, or none (the pipeline then loads the index's own)."
    )


def _require_articles(loaded: LoadResult, paths, records) -> None:
    if loaded.articles:
        return
    where = ", ".join(map(str, paths)) or (f"{len(records)} records" if records else "")
    lines = [
        f"No articles could be loaded from {where or 'the sample corpus'}; the index "
        "was not changed."
    ]
    lines += [f"  {s}" for s in loaded.skipped[:20]]
    raise InputError("\n".join(lines))


__all__ = ["Pipeline", "Record"]

"""The ``rag`` command line: build and update the index, search, and plugged-in commands."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from importlib.metadata import entry_points

from rag.config import QUANTIZATIONS, Config
from rag.errors import RagError
from rag.filters import SearchFilter
from rag.live.cli import add_url_options
from rag.live.cli import register as register_feeds
from rag.text import terminal_safe

# Other packages (the browser chat, the evaluation runner) add sub-commands through this
# entry-point group, so rag never imports them: dependencies point one way.
COMMANDS_GROUP = "rag.commands"


def add_config_options(parser: argparse.ArgumentParser) -> None:
    """Options every command that touches the index shares (defaults: Config / RAG_*)."""
    parser.add_argument("--index-dir", help="index folder (default: ./index or $RAG_INDEX_DIR)")
    parser.add_argument("--model", help="embedding model name or path (default: all-MiniLM-L6-v2)")
    parser.add_argument(
        "--embedder",
        choices=("sentence-transformers", "gguf"),
        help="embedding runtime: 'gguf' runs a GGUF model (--model nomic-embed-text-v1.5)",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="print only results and errors")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def add_filter_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", metavar="YYYY-MM-DD", help="only articles published on or after")
    parser.add_argument(
        "--until", metavar="YYYY-MM-DD", help="only articles published on or before"
    )
    parser.add_argument(
        "--source", action="append", default=[], help="only sources matching (repeatable)"
    )
    parser.add_argument(
        "--as-of",
        metavar="YYYY-MM-DD",
        help='the date the question is asked on: "this week" etc. are read from it (default today)',
    )


# Flags that map onto Config settings (flat names), wherever a command defines them.
_SETTING_FLAGS = {
    "index_dir": "index_dir",
    "model": "model",
    "embedder": "embedder",
    "chunk_tokens": "chunk_tokens",
    "chunk_overlap": "chunk_overlap",
    "index_type": "index_type",
    "quantize": "quantize",
    "store": "store",
    "uri": "milvus_uri",
    "llm": "llm",
    "base_url": "openai_base_url",
    "llm_model": "openai_model",
    "allow_private_urls": "allow_private_urls",
}


def config_from(args: argparse.Namespace, **extra) -> Config:
    """Defaults, then ``RAG_*``, then the command's flags (and ``extra`` settings)."""
    flags = {name: getattr(args, flag, None) for flag, name in _SETTING_FLAGS.items()}
    return Config.from_env(**flags, **extra)


def open_pipeline(args: argparse.Namespace, **extra):
    """The command's one pipeline: its configuration from the flags, progress bars unless
    ``--quiet`` or ``--json``."""
    from rag.pipeline import Pipeline

    quiet = getattr(args, "quiet", False) or getattr(args, "json", False)
    return Pipeline(config_from(args, **extra), progress=not quiet)


def filter_from(args: argparse.Namespace) -> SearchFilter:
    return SearchFilter(args.since, args.until, tuple(args.source), args.as_of)


def emit(args: argparse.Namespace, data: dict, text: str) -> None:
    """JSON (escaped by json.dumps) or terminal-safe text."""
    print(json.dumps(data, ensure_ascii=False, indent=2) if args.json else terminal_safe(text))


# -- index ----------------------------------------------------------------------------


def _report(args: argparse.Namespace, report) -> None:
    if not args.json:
        for skipped in report.skipped:
            print(terminal_safe(str(skipped)), file=sys.stderr)
    emit(args, report.to_dict(), str(report))


def cmd_build(args: argparse.Namespace) -> None:
    _report(args, open_pipeline(args).build(args.paths))


def cmd_add(args: argparse.Namespace) -> None:
    pipeline = open_pipeline(args)
    from rag.ingest.urls import is_web_url

    urls = [p for p in args.paths if is_web_url(p)]
    paths = [p for p in args.paths if p not in urls]
    if urls:  # web pages: fetched safely, their text, title, date and canonical URL
        from rag.live.refresh import add_pages

        _report(args, add_pages(pipeline, urls))
    if paths:
        _report(args, pipeline.add_paths(paths))


def cmd_remove(args: argparse.Namespace) -> None:
    _report(args, open_pipeline(args).remove(args.articles))


def cmd_info(args: argparse.Namespace) -> None:
    from dataclasses import asdict

    from rag.index import Index

    index = Index.load(config_from(args).index_dir)
    data = {
        "folder": str(index.folder),
        "manifest": asdict(index.manifest),
        "articles": [
            {"id": a.id, "title": a.title, "source": a.source, "published": a.published}
            for a in index.articles
        ],
    }
    m = index.manifest
    lines = [
        f"index   {index.folder}",
        f"model   {m.model} ({m.dim}-d, quantize {m.embedding.quantize})",
        f"chunks  {m.chunking.tokens} tokens, {m.chunking.overlap} overlap",
        f"store   {m.store.kind} ({m.index_factory})",
        f"size    {m.articles} articles, {m.chunks} chunks, built {m.created}",
        "",
    ] + [
        f"{a.id}  {a.published or '----------'}  {a.source}  {a.title[:60]}" for a in index.articles
    ]
    emit(args, data, "\n".join(lines))


# -- search ---------------------------------------------------------------------------


def cmd_search(args: argparse.Namespace) -> None:
    pipeline = open_pipeline(args, one_per_story=False if args.copies else None)
    retriever = pipeline.create_retriever(args.retriever or pipeline.config.fusion.retriever)
    passages = retriever.retrieve(
        args.question, args.k or pipeline.config.answer.passages, filter_from(args)
    )
    lines = []
    for rank, p in enumerate(passages, 1):
        snippet = " ".join(p.text.split())
        lines.append(
            f"[{rank}] {p.score:.4f}  {p.title} ({p.published or 'undated'}) {p.source} "
            f"chars {p.start}-{p.end}\n    {snippet[:300]}"
            + (f"\n    also ran in: {', '.join(p.copies)}" if p.copies else "")
        )
    emit(
        args,
        {"query": args.question, "passages": [p.to_dict() for p in passages]},
        "\n".join(lines) or "No passages found.",
    )


# -- ask ------------------------------------------------------------------------------


def format_citations(answer) -> str:
    """The sources block printed under an answer (or the closest passages on abstention)."""
    lines = []
    for c in answer.citations:
        quote = " ".join(c.text.split())
        lines.append(
            f"[{c.n}] {c.title} ({c.date or 'undated'}) {c.source} chars {c.start}-{c.end}"
        )
        lines.append(f"    {quote[:240]}")
        if c.copies:
            lines.append(f"    also ran in: {', '.join(c.copies)}")
    if answer.abstained:
        for rank, p in enumerate(answer.passages[:3], 1):
            snippet = " ".join(p.text.split())
            lines.append(f"closest {rank}: {p.title} {p.source} chars {p.start}-{p.end}")
            lines.append(f"    {snippet[:200]}…")
    return "\n".join(lines)


def cmd_ask(args: argparse.Namespace) -> None:
    from rag.answer import Answer
    from rag.console import StreamPrinter

    answerer = open_pipeline(args).answerer(args.answerer)
    answer, printer = None, StreamPrinter(sys.stdout, sys.stdout.isatty() and not args.json)
    try:
        for event in answerer.stream(args.question, None, filter_from(args), args.k):
            if isinstance(event, Answer):
                answer = event
            elif not args.json:
                printer(event)
    finally:
        printer.finish()
    assert answer is not None
    if args.json:
        data = answer.to_dict()
        data.pop("passages")
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return
    if answer.abstained:
        print(answer.text, end="")
    timings = ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in answer.timings.items())
    print(f"\n\n{terminal_safe(format_citations(answer))}")
    if not args.quiet:
        withdrawn = f"; {printer.withdrawn} unsupported sentence(s) withdrawn" * bool(
            printer.withdrawn
        )
        print(f"\n({answerer.name}; query: {answer.query!r}; {timings}{withdrawn})")


def cmd_mcp(args: argparse.Namespace) -> None:
    from rag.api.mcp_server import create_mcp_server

    pipeline = open_pipeline(args, host=args.host, mcp_port=args.port)
    if pipeline.index is None:  # stdout is the protocol's: progress and notes go to stderr
        print(
            f"No index in '{pipeline.config.index_dir}': indexing the sample articles…",
            file=sys.stderr,
        )
        pipeline.build()
    pipeline.answerer(args.answerer)  # load the models now, not on the first call
    server = create_mcp_server(pipeline, args.answerer)
    if not args.http:
        server.run("stdio")
        return
    serve = pipeline.config.serve
    print(f"MCP (streamable HTTP): http://{serve.host}:{serve.mcp_port}/mcp", file=sys.stderr)
    server.run("streamable-http", host=serve.host, port=serve.mcp_port)


# -- wiring ---------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    # the registries name the choices (importing them loads FAISS: only to build the parser)
    from rag.answer import ANSWERERS
    from rag.retrieve import RETRIEVERS
    from rag.store import STORES
    from rag.store.faiss_store import INDEX_TYPES

    parser = argparse.ArgumentParser(prog="rag", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    index = commands.add_parser("index", help="build, update or inspect the index")
    index_commands = index.add_subparsers(dest="index_command", required=True)
    build = index_commands.add_parser("build", help="(re)build from files or folders")
    build.add_argument("paths", nargs="*", help="files or folders (default: the sample articles)")
    defaults = Config()
    build.add_argument(
        "--chunk-tokens",
        type=int,
        help=f"chunk size in tokens (default {defaults.chunking.tokens})",
    )
    build.add_argument(
        "--chunk-overlap", type=int, help=f"overlap in tokens (default {defaults.chunking.overlap})"
    )
    build.add_argument(
        "--index-type",
        choices=("auto", *INDEX_TYPES),
        help="vector index: exact 'flat', or approximate (default auto: flat below 20k "
        "chunks, hnsw below 200k, then ivf-sq8)",
    )
    build.add_argument(
        "--quantize",
        choices=QUANTIZATIONS,
        help="embedder weights: 'int8' indexes ~1.8x faster, MRR ~1 point lower (default none)",
    )
    build.add_argument(
        "--store",
        choices=tuple(STORES),
        help="where vectors live: 'faiss' in the index folder (default) or 'milvus'",
    )
    build.add_argument(
        "--uri",
        help="Milvus: a Milvus Lite file (*.db, default <index>/milvus.db) or a server "
        "such as http://host:19530 ($MILVUS_TOKEN authenticates)",
    )
    build.set_defaults(func=cmd_build)
    add = index_commands.add_parser("add", help="add or update articles: files, folders, URLs")
    add.add_argument("paths", nargs="+", help="files, folders or http(s) URLs of web pages")
    add_url_options(add)
    add.set_defaults(func=cmd_add)
    remove = index_commands.add_parser("remove", help="remove articles by id or source")
    remove.add_argument("articles", nargs="+")
    remove.set_defaults(func=cmd_remove)
    info = index_commands.add_parser("info", help="show the index manifest and articles")
    info.set_defaults(func=cmd_info)
    for sub in (build, add, remove, info):
        add_config_options(sub)

    search = commands.add_parser("search", help="retrieve passages for a question")
    search.add_argument("question")
    search.add_argument(
        "-k", type=int, help=f"passages to return (default {defaults.answer.passages})"
    )
    search.add_argument(
        "--retriever",
        choices=tuple(RETRIEVERS),
        help=f"default {defaults.fusion.retriever} (RAG_RETRIEVER)",
    )
    search.add_argument(
        "--copies",
        action="store_true",
        help="show every copy of a story (default: each story once, listing its copies)",
    )
    add_config_options(search)
    add_filter_options(search)
    search.set_defaults(func=cmd_search)

    ask = commands.add_parser("ask", help="answer a question with cited passages")
    ask.add_argument("question")
    ask.add_argument(
        "--answerer",
        choices=ANSWERERS,
        help="auto (default): the local LLM when installed, else extractive",
    )
    ask.add_argument("--llm", help="local model: packaged name or GGUF path")
    ask.add_argument("--base-url", help="OpenAI-compatible server URL (openai answerer)")
    ask.add_argument("--llm-model", help="model name on that server (openai answerer)")
    ask.add_argument(
        "-k", type=int, help=f"passages to retrieve (default {defaults.answer.passages})"
    )
    add_config_options(ask)
    add_filter_options(ask)
    ask.set_defaults(func=cmd_ask)

    mcp = commands.add_parser(
        "mcp", help="serve search and cited answers as MCP tools (stdio, or --http)"
    )
    mcp.add_argument("--http", action="store_true", help="streamable HTTP instead of stdio")
    mcp.add_argument("--host", help="with --http: address (default 127.0.0.1: local only)")
    mcp.add_argument(
        "--port", type=int, help=f"with --http: port (default {defaults.serve.mcp_port})"
    )
    mcp.add_argument("--answerer", choices=ANSWERERS, help="ask_news's answerer (default auto)")
    mcp.add_argument("--llm", help="local model: packaged name or GGUF path")
    add_config_options(mcp)
    mcp.set_defaults(func=cmd_mcp)

    register_feeds(commands, add_config_options)
    for register in _plugins():
        register(commands)
    return parser


def _plugins() -> list[Callable[[argparse._SubParsersAction], None]]:
    found = []
    for ep in sorted(entry_points(group=COMMANDS_GROUP), key=lambda e: e.name):
        try:
            found.append(ep.load())
        except ImportError as exc:  # a plugin whose extras are not installed
            print(f"rag: command '{ep.name}' unavailable ({exc})", file=sys.stderr)
    return found


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except RagError as exc:
        print(f"rag: error: {terminal_safe(str(exc))}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # `rag index info | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:  # a read-only or full disk, a permission: the OS's own words
        where = f": {exc.filename}" if exc.filename else ""
        print(f"rag: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            "rag: interrupted; the index is unchanged unless a write had completed.",
            file=sys.stderr,
        )
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())

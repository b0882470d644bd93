"""`rag serve`: launches the browser chat (registered with the rag CLI as a plugin)."""

from __future__ import annotations

import argparse
import os
import sys


def register(commands: argparse._SubParsersAction) -> None:
    from rag.cli import add_config_options

    serve = commands.add_parser("serve", help="serve the browser chat")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default local only)"
    )
    serve.add_argument("--port", type=int, default=7860)
    serve.add_argument(
        "--auth",
        default=os.environ.get("RAG_AUTH"),
        help="require a login, USER:PASSWORD (or set RAG_AUTH)",
    )
    serve.add_argument("--llm", help="local model: packaged name or GGUF path")
    add_config_options(serve)
    serve.set_defaults(func=run)


def parse_auth(value: str | None) -> tuple[str, str] | None:
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise SystemExit("rag serve: --auth takes USER:PASSWORD")
    return user, password


def run(args: argparse.Namespace) -> None:
    from rag.cli import config_from
    from rag.errors import IndexNotFoundError
    from rag.index import Index, IndexBuilder
    from ui.app import build_app, launch
    from ui.service import ChatService

    config = config_from(args, llm=args.llm)
    try:
        Index.load(config.index_dir, verify=False)
    except IndexNotFoundError:
        print(f"No index in '{config.index_dir}': indexing the sample articles…", file=sys.stderr)
        IndexBuilder(config).build()
    app = build_app(ChatService(config)).queue(default_concurrency_limit=4)
    launch(
        app,
        server_name=args.host,
        server_port=args.port,
        share=False,
        auth=parse_auth(args.auth),
        show_error=True,
    )

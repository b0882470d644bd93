"""`rag serve`: the browser chat and the OpenAI-compatible API (a rag CLI plugin)."""

from __future__ import annotations

import argparse
import sys


def register(commands: argparse._SubParsersAction) -> None:
    from rag.cli import add_config_options
    from rag.live.cli import add_url_options

    serve = commands.add_parser("serve", help="serve the browser chat")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1: local only)")
    serve.add_argument("--port", type=int, help="port (default 7860)")
    serve.add_argument(
        "--auth",
        help="require a login, USER:PASSWORD[,USER:PASSWORD...] (or set RAG_AUTH); each "
        "user's uploads are their own",
    )
    serve.add_argument(
        "--api-key",
        help="bearer token for the OpenAI-compatible API at /v1 (or set RAG_API_KEY; "
        "default: the --auth password, or none without --auth)",
    )
    serve.add_argument("--llm", help="local model: packaged name or GGUF path")
    add_config_options(serve)
    add_url_options(serve)
    serve.set_defaults(func=run)


def parse_auth(value: str | None):
    """The login check for ``USER:PASSWORD[,USER:PASSWORD...]`` (None: no login)."""
    from rag.api.auth import LoginGuard, parse_users

    return LoginGuard(parse_users(value)).check if value else None


def run(args: argparse.Namespace) -> None:
    from rag.cli import open_pipeline
    from ui.server import serve
    from ui.service import ChatService

    pipeline = open_pipeline(
        args, host=args.host, port=args.port, auth=args.auth, api_key=args.api_key
    )
    if pipeline.index is None:
        where = pipeline.config.index_dir
        print(f"No index in '{where}': indexing the sample articles…", file=sys.stderr)
        pipeline.build()
    refresher = None
    if pipeline.config.live.feed_refresh_minutes > 0:  # feeds kept fresh in the background
        from rag.live.refresh import FeedRefresher

        refresher = FeedRefresher(pipeline).start()
    try:
        serve(ChatService(pipeline), parse_auth(pipeline.config.serve.auth))
    finally:
        if refresher is not None:
            refresher.stop()

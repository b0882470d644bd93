"""`rag feeds add|list|remove|refresh`, and web pages for `rag index add URL`."""

from __future__ import annotations

import argparse
import sys

from rag.text import terminal_safe


def add_url_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--allow-private-urls",
        action="store_true",
        default=None,
        help="also fetch from loopback and private addresses (or RAG_ALLOW_PRIVATE_URLS=1)",
    )


def register(commands: argparse._SubParsersAction, add_config_options) -> None:
    feeds = commands.add_parser("feeds", help="follow RSS, Atom and JSON feeds")
    actions = feeds.add_subparsers(dest="feeds_command", required=True)
    add = actions.add_parser("add", help="follow a feed (refresh reads it)")
    add.add_argument("url")
    add.set_defaults(func=cmd_add)
    listing = actions.add_parser("list", help="the feeds, with their last refresh and errors")
    listing.set_defaults(func=cmd_list)
    remove = actions.add_parser("remove", help="stop following a feed (its articles stay)")
    remove.add_argument("url")
    remove.set_defaults(func=cmd_remove)
    refresh = actions.add_parser("refresh", help="index the feeds' new entries")
    refresh.set_defaults(func=cmd_refresh)
    for sub in (add, listing, remove, refresh):
        add_config_options(sub)
        add_url_options(sub)


def _pipeline(args: argparse.Namespace):
    from rag.cli import open_pipeline

    return open_pipeline(args)


def cmd_add(args: argparse.Namespace) -> None:
    from rag.live.fetch import Fetcher
    from rag.live.refresh import FeedList

    pipeline = _pipeline(args)
    # refuse now what refresh would refuse: a bad scheme or a private address
    Fetcher(pipeline.config.live).check(args.url)
    FeedList(pipeline.config.index_dir).add(args.url)
    print(terminal_safe(f"Following {args.url}; `rag feeds refresh` reads it."))


def cmd_list(args: argparse.Namespace) -> None:
    import json
    from dataclasses import asdict

    from rag.cli import config_from
    from rag.live.refresh import FeedList

    feeds = FeedList(config_from(args).index_dir).load()
    if args.json:
        print(json.dumps([asdict(f) for f in feeds.values()], indent=2))
        return
    if not feeds:
        print("No feeds: add one with `rag feeds add URL`.")
    for feed in feeds.values():
        state = f"error: {feed.last_error}" if feed.last_error else f"{feed.entries} entries"
        line = f"{feed.url}  last refresh {feed.last_fetch or 'never'}  {state}  "
        print(terminal_safe(line + f"{feed.articles} articles added"))


def cmd_remove(args: argparse.Namespace) -> None:
    from rag.cli import config_from
    from rag.errors import InputError
    from rag.live.refresh import FeedList

    if not FeedList(config_from(args).index_dir).remove(args.url):
        raise InputError(f"Not following '{args.url}' (see `rag feeds list`).")
    print(terminal_safe(f"No longer following {args.url}; its articles stay indexed."))


def cmd_refresh(args: argparse.Namespace) -> None:
    import json

    from rag.live.refresh import refresh_feeds

    pipeline = _pipeline(args)
    report = refresh_feeds(pipeline, progress=not (args.quiet or args.json))
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
        return
    for line in report.failed + report.skipped:
        print(terminal_safe(line), file=sys.stderr)
    print(terminal_safe(str(report)))

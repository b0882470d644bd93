"""`python -m ui`: the same as `rag serve`."""

from rag.cli import main

raise SystemExit(main(["serve", *__import__("sys").argv[1:]]))

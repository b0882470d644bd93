"""Evaluation: an eval-set format, retrieval/answer/citation/abstention metrics and reports."""

"""Syndicated copies of one story: grouped at index time, searched once, cited with the
places they also ran."""

import numpy as np

from rag.index.stories import group, signatures
from tests.conftest import pipeline_at

STORY = (
    "The Zeebrugge harbour channel was dredged to a depth of 16 metres in November, the port "
    "authority said on Monday. The work cost 40 million euros and took nine weeks, and "
    "shipping traffic resumed on December 1 after the last survey vessel left the channel. "
    "Port officials said larger container ships would now be able to call at the terminal "
    "at any tide, which the shipping lines had asked for since 2019."
)
COPY = STORY.replace("on Monday", "on Monday, according to a statement") + " (Reuters)"
FOLLOW_UP = (
    "Container lines welcomed the deeper Zeebrugge channel on Tuesday, but environmental "
    "groups said the dredging had harmed the seabed and asked the port authority to publish "
    "its survey data before any further work begins next year."
)


def test_copies_are_one_story_and_a_follow_up_is_not():
    rows = signatures([STORY, COPY, FOLLOW_UP, "Short.", STORY])
    titles = [
        "Harbour deepened",
        "Zeebrugge harbour dredging done",
        "Lines welcome channel",
        "Short",
        "Cookie settings",
    ]  # the last: one site's boilerplate, not a copy
    stories = group(rows, ["2026-11-30", "2026-11-29", "2026-12-01", None, None], titles)
    assert stories.tolist() == [1, 1, 2, 3, 4]  # the first published copy stands for the story
    assert rows.dtype == np.uint64 and rows.shape == (5, 128)


def test_search_returns_each_story_once_and_lists_its_copies(index_copy, embedder):
    pipeline = pipeline_at(index_copy, embedder)
    pipeline.add_articles(
        [
            {
                "title": "Harbour deepened",
                "text": STORY,
                "url": "https://one.example/harbour",
                "published": "2026-11-30",
            },
            {
                "title": "Zeebrugge harbour dredging done",
                "text": COPY,
                "url": "https://two.example/z",
                "published": "2026-11-29",
            },
            {
                "title": "Lines welcome channel",
                "text": FOLLOW_UP,
                "url": "https://one.example/follow",
                "published": "2026-12-01",
            },
        ]
    )
    question = "How deep was the Zeebrugge harbour channel dredged?"
    found = pipeline.search(question, k=5)
    sources = [p.source for p in found]
    assert len({"https://one.example/harbour", "https://two.example/z"} & set(sources)) == 1
    shown = next(
        p for p in found if p.source in ("https://one.example/harbour", "https://two.example/z")
    )
    other = ({"https://one.example/harbour", "https://two.example/z"} - {shown.source}).pop()
    assert shown.copies == [other]
    every = pipeline_at(index_copy, embedder, one_per_story=False).search(question, k=5)
    assert {"https://one.example/harbour", "https://two.example/z"} <= {p.source for p in every}
    answer = pipeline.ask(question, answerer="extractive")
    assert "16 metres" in answer.text and answer.citations[0].copies == [other]

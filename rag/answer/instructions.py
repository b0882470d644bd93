"""Instructions addressed to an AI, told from news by a classifier over sentence vectors,
and the contact details (links, e-mail addresses, phone numbers) an answer may not add."""

from __future__ import annotations

import json
import re
import threading
from importlib.resources import files

import numpy as np
from scipy.optimize import minimize

from rag.embed import Embedder
from rag.memo import BatchMemo

EXAMPLES = "data/instructions.jsonl"  # package data of rag.answer: labelled sentences

# Grammatical cues of a sentence that addresses someone, fed to the classifier beside the
# vector: second person, obligation, a "To whom:" opening, an imperative opener, and two
# of reported speech (a quote, an attribution). Closed word classes, not attack phrases.
CUES = [
    re.compile(r"\b(you|your|yours|yourself)\b", re.I),
    re.compile(r"\b(must|should|shall|required|need to|have to|has to|are to|is to)\b", re.I),
    re.compile(r"^[^,:\"“]{1,50}:\s"),
    re.compile(r"^[\"“‘']"),
    re.compile(r"\b(said|says|told|tells|according to|reported|wrote|added)\b", re.I),
    re.compile(r"^(please|kindly|do not|don't|never|always)\b", re.I),
]
CACHE_SIZE = 50_000
CUE_SCALE = 0.3  # a cue's weight beside a unit-length vector (chosen by cross-validation)


class InstructionDetector:
    """Whether sentences are addressed to an AI (or to a reader's assistant) rather than
    being news, whatever their wording.

    A logistic regression over the embedder's normalised sentence vectors and a few
    grammatical cues (``CUES``), fitted on first use on ~160 labelled sentences
    (``rag/answer/data/instructions.jsonl``: instructions in many phrasings against news,
    including news *about* AI, commands in quotes and service journalism addressed to
    "you"); fitting takes about a second. A sentence is an instruction when its probability
    is at least ``threshold`` (0.5). Trade-off: meaning decides, not a word list, so a new
    phrasing is caught when it reads like the examples; about 1 in 150 real news sentences
    is taken for one and left out of the evidence (``bench/instructions.py`` measures both).
    """

    def __init__(self, embedder: Embedder, threshold: float = 0.5, l2: float = 1e-3):
        self.embedder, self.threshold, self.l2 = embedder, threshold, l2
        self._weights: np.ndarray | None = None
        self._lock = threading.Lock()
        # verdicts by text: follow-ups meet the same passages
        self._verdicts = BatchMemo(
            lambda texts: [bool(p >= self.threshold) for p in self.probabilities(texts)],
            CACHE_SIZE,
        )

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """P(instruction) per text."""
        if not texts:
            return np.zeros(0)
        weights = self._fitted()
        vectors = self.embedder.embed(texts)
        return _sigmoid(features(texts, vectors) @ weights[:-1] + weights[-1])

    def flags(self, texts: list[str]) -> list[bool]:
        """Whether each text is an instruction (verdicts are remembered, 50,000 at most)."""
        return self._verdicts(texts)

    def forget(self) -> None:
        """Drop the remembered verdicts."""
        self._verdicts.clear()

    def _fitted(self) -> np.ndarray:
        with self._lock:
            if self._weights is None:
                texts, labels = load_examples()
                x = features(texts, self.embedder.embed(texts))
                self._weights = fit_logistic(x, labels, self.l2)
            return self._weights


def features(texts: list[str], vectors: np.ndarray) -> np.ndarray:
    """Each text's vector followed by its cues (0 or ``CUE_SCALE`` each)."""
    cues = [[CUE_SCALE * bool(c.search(t)) for c in CUES] for t in texts]
    return np.hstack([np.asarray(vectors, dtype=np.float64), np.array(cues, dtype=np.float64)])


def load_examples() -> tuple[list[str], np.ndarray]:
    lines = files("rag.answer").joinpath(EXAMPLES).read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines if line.strip()]
    return [r["text"] for r in rows], np.array([float(r["instruction"]) for r in rows])


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float) -> np.ndarray:
    """Weights (then the bias) of an L2-regularised logistic regression, each class
    weighted equally whatever its count (L-BFGS; deterministic)."""
    x = np.asarray(x, dtype=np.float64)
    balance = np.where(y == 1, 0.5 / max(y.sum(), 1), 0.5 / max((1 - y).sum(), 1))

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        p = _sigmoid(x @ w[:-1] + w[-1])
        eps = 1e-12
        value = -np.sum(balance * (y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps)))
        value += 0.5 * l2 * np.dot(w[:-1], w[:-1])
        residual = balance * (p - y)
        grad = np.append(x.T @ residual + l2 * w[:-1], residual.sum())
        return value, grad

    start = np.zeros(x.shape[1] + 1)
    return minimize(loss, start, jac=True, method="L-BFGS-B").x


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))


# -- contact details ------------------------------------------------------------------

# a scheme or www., or a bare domain with a path: "Amazon.com" alone is a company's name
_URL = re.compile(r"\b(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)+\.[a-z]{2,}/\S*", re.I)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_PHONE = re.compile(r"(?<![\w-])\+?\(?\d{2,4}\)?(?:[ .-]\d{2,4}){2,4}(?![\w-])")
_ASKS_FOR_CONTACT = re.compile(
    r"\b(links?|url|web ?sites?|site|pages?|online|e-?mails?|contacts?|phones?|numbers?|"
    r"call|reach|address(es)?|hotline)\b",
    re.I,
)


def contact_details(text: str) -> list[str]:
    """The links, e-mail addresses and phone numbers in ``text``."""
    found = [m.group(0) for m in _EMAIL.finditer(text)]
    rest = _EMAIL.sub(" ", text)
    found += [m.group(0) for m in _URL.finditer(rest)]
    found += [m.group(0) for m in _PHONE.finditer(rest) if sum(c.isdigit() for c in m[0]) >= 9]
    return found


def adds_contact_details(sentence: str, question: str) -> bool:
    """True when an answer sentence gives a link, address or number the question neither
    asked for nor contains: the channel an instruction hidden in an article would use to
    send readers somewhere."""
    if _ASKS_FOR_CONTACT.search(question):
        return False
    asked = question.lower()
    return any(detail.lower() not in asked for detail in contact_details(sentence))

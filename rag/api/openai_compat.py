"""An OpenAI-compatible chat API over a Pipeline: GET /v1/models, POST /v1/chat/completions."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from rag.answer import Answer, Delta, Event
from rag.answer.answerer import MAX_PASSAGES
from rag.api.auth import LoginGuard, parse_users
from rag.errors import InputError, RagError
from rag.filters import SearchFilter
from rag.ingest.urls import is_web_url
from rag.pipeline import Pipeline
from rag.text import printable

MODEL = "newsrag"  # the default answerer; "newsrag-<answerer>" names one
MAX_MESSAGES = 200  # more is refused; the answerer reads the last 20 turns
_MARKER = re.compile(r"\[(\d+)\]")


class APIError(Exception):
    """An error answered in OpenAI's shape, so OpenAI clients raise it with its message."""

    def __init__(self, status: int, message: str, code: str | None = None, param: str = ""):
        super().__init__(message)
        self.status, self.message, self.code, self.param = status, message, code, param

    def response(self) -> JSONResponse:
        kind = "invalid_request_error" if self.status < 500 else "server_error"
        error = {"message": self.message, "type": kind, "param": self.param or None}
        error["code"] = self.code
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else None
        return JSONResponse({"error": error}, status_code=self.status, headers=headers)


class TextPart(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: str = "text"
    text: str = ""


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[TextPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):  # text parts only: images etc. are not read
            return " ".join(p.text for p in self.content if p.type == "text")
        return self.content or ""


class NewsFilter(BaseModel):
    """Extra request field ``filter`` (send it with the OpenAI client's ``extra_body``)."""

    model_config = ConfigDict(extra="forbid")
    since: str | None = None
    until: str | None = None
    source: list[str] = Field(default_factory=list, max_length=20)
    as_of: str | None = None

    def search_filter(self) -> SearchFilter:
        return SearchFilter(self.since, self.until, tuple(self.source), self.as_of)


class ChatRequest(BaseModel):
    """OpenAI's request; sampling fields (temperature, max_tokens, ...) are accepted and
    not used: the answer is verified sentence by sentence, whatever the sampling."""

    model_config = ConfigDict(extra="ignore")
    model: str = MODEL
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False
    passages: int | None = Field(default=None, ge=1, le=MAX_PASSAGES)
    filter: NewsFilter | None = None


def create_openai_app(pipeline: Pipeline) -> FastAPI:
    """The API as an ASGI app (mount it at ``/v1``). The models are the answerers the
    pipeline offers: ``newsrag`` (the default) and ``newsrag-<name>``. The bearer token
    is ``config.serve.api_key``, else any ``auth`` user's password, else none is needed."""
    serve = pipeline.config.serve
    users = (
        {"api": serve.api_key} if serve.api_key else parse_users(serve.auth) if serve.auth else {}
    )
    guard = LoginGuard(users) if users else None
    busy = threading.BoundedSemaphore(serve.concurrency)  # answers at once, like the chat
    app = FastAPI(title="newsrag OpenAI-compatible API", docs_url=None, redoc_url=None)
    app.add_middleware(BodyLimit, max_bytes=serve.max_request_bytes)

    async def authorized(request: Request) -> None:
        if guard is None:
            return
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and guard.verify_token(presented.strip()):
            return
        await asyncio.sleep(guard.delay)  # a guess costs a second; repeated ones lock out
        raise APIError(401, "Invalid or missing API key: send Authorization: Bearer <key>.")

    @app.exception_handler(APIError)
    async def _api_error(_: Request, exc: APIError) -> JSONResponse:
        return exc.response()

    @app.exception_handler(RagError)
    async def _rag_error(_: Request, exc: RagError) -> JSONResponse:
        return APIError(400 if isinstance(exc, InputError) else 500, str(exc)).response()

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body")
        message = f"{where}: {first.get('msg', 'invalid')}" if where else "Invalid request body."
        return APIError(400, message, param=where).response()

    @app.get("/models", dependencies=[Depends(authorized)])
    def models() -> dict:
        return {"object": "list", "data": [_model(m) for m in _model_names(pipeline)]}

    @app.post("/chat/completions", dependencies=[Depends(authorized)])
    def chat_completions(body: ChatRequest):
        answerer = pipeline.answerer(_answerer_name(pipeline, body.model))
        question, history = _conversation(body.messages)
        search_filter = body.filter.search_filter() if body.filter else None
        reply = Reply(body.model)

        def events() -> Iterator[Event | Answer]:
            with busy:
                yield from answerer.stream(question, history, search_filter, body.passages)

        if body.stream:
            return StreamingResponse(reply.sse(events()), media_type="text/event-stream")
        answer = next(e for e in events() if isinstance(e, Answer))
        return reply.completion(answer)

    return app


class Reply:
    """One answer in OpenAI's shapes: a ``chat.completion`` or ``chat.completion.chunk``s.
    The text keeps its ``[n]`` markers; ``citations`` (top level) are the ``rag ask --json``
    objects, and markers citing a web article get a ``url_citation`` annotation."""

    def __init__(self, model: str):
        self.model, self.id, self.created = model, f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

    def completion(self, answer: Answer) -> dict:
        message = {"role": "assistant", "content": answer.text, "annotations": annotations(answer)}
        choice = {"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}
        return {**self._head("chat.completion"), "choices": [choice], **_extra(answer)}

    def sse(self, events: Iterator[Event | Answer]) -> Iterator[str]:
        yield self._chunk({"role": "assistant", "content": ""})
        try:
            for event in events:
                if isinstance(event, Delta):  # verified text only: drafts stay in the chat UI
                    yield self._chunk({"content": event.text})
                if not isinstance(event, Answer):
                    continue
                if event.abstained:  # no sentence was streamed: the abstention is the text
                    yield self._chunk({"content": event.text})
                final = self._chunk({"annotations": annotations(event)}, "stop", _extra(event))
                yield final
        except RagError as exc:  # after the headers: OpenAI's in-stream error event
            yield _event({"error": {"message": str(exc), "type": "server_error", "code": None}})
        yield "data: [DONE]\n\n"

    def _head(self, kind: str) -> dict:
        return {"id": self.id, "object": kind, "created": self.created, "model": self.model}

    def _chunk(self, delta: dict, finish: str | None = None, extra: dict | None = None) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return _event({**self._head("chat.completion.chunk"), "choices": [choice], **(extra or {})})


def annotations(answer: Answer) -> list[dict]:
    """A ``url_citation`` for each ``[n]`` marker whose article came from an http(s) URL;
    ``start_index``/``end_index`` are the marker's place in the answer text."""
    by_n = {c.n: c for c in answer.citations}
    found = []
    for match in _MARKER.finditer(answer.text):
        cited = by_n.get(int(match.group(1)))
        if cited is None or not is_web_url(cited.source):
            continue
        span = {"start_index": match.start(), "end_index": match.end()}
        found.append({"type": "url_citation", "url_citation": {**span, "url": cited.source}})
        found[-1]["url_citation"]["title"] = cited.title
    return found


def _extra(answer: Answer) -> dict:
    data = answer.to_dict()
    return {"citations": data["citations"], "abstained": data["abstained"], "query": data["query"]}


def _event(data: dict) -> str:
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


def _model(name: str) -> dict:
    return {"id": name, "object": "model", "created": 0, "owned_by": "newsrag"}


def _model_names(pipeline: Pipeline) -> list[str]:
    return [MODEL, *(f"{MODEL}-{name}" for name in pipeline.answerer_names())]


def _answerer_name(pipeline: Pipeline, model: str) -> str:
    """The answerer a model id names; only those the pipeline offers."""
    offered = pipeline.answerer_names()
    name = model.removeprefix(f"{MODEL}-") if model != MODEL else offered[0]
    if name not in offered:
        models = ", ".join(_model_names(pipeline))
        raise APIError(
            404,
            f"Unknown model '{model}': this server offers {models}.",
            "model_not_found",
            "model",
        )
    return name


def _conversation(messages: list[ChatMessage]) -> tuple[str, list[dict]]:
    """The question (the last message, the user's) and the earlier user/assistant turns.
    System prompts are not read: what the answer may say is the articles' to decide."""
    last = messages[-1]
    if last.role != "user":
        raise APIError(400, "The last message must be the user's question.", param="messages")
    question = last.text()
    if not printable(question).strip():
        raise APIError(
            400, "The question is empty: ask something about the articles.", param="messages"
        )
    turns = [m for m in messages[:-1] if m.role in ("user", "assistant")]
    return question, [{"role": m.role, "content": m.text()} for m in turns]


class BodyLimit:
    """ASGI middleware: a request body over ``max_bytes`` is refused with 413 before it is
    parsed, whether or not it declares its length."""

    def __init__(self, app: Any, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > self.max_bytes:
            return await self._refuse(send)
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _TooLarge
            return message

        try:
            await self.app(scope, counted, send)
        except _TooLarge:
            await self._refuse(send)

    async def _refuse(self, send) -> None:
        message = f"The request body is over {self.max_bytes} bytes."
        response = APIError(413, message).response()
        await send({"type": "http.response.start", "status": 413, "headers": response.raw_headers})
        await send({"type": "http.response.body", "body": response.body})


class _TooLarge(BaseException):  # not Exception: FastAPI would make it a 400 parse error
    pass

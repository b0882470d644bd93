"""One ASGI server for `rag serve`: the chat page and the OpenAI-compatible API, behind one
security policy (Content-Security-Policy, login on every Gradio route that acts)."""

from __future__ import annotations

import sys
from http.cookies import SimpleCookie
from typing import Any

import gradio as gr
import uvicorn
from fastapi import FastAPI
from starlette.routing import Mount

from rag.api.openai_compat import create_openai_app
from rag.config import ServeConfig
from ui.app import build_app
from ui.assets import CITE_JS, CSS
from ui.service import ChatService

# Images, media and connections only from this server, whatever an article or answer holds:
# a remote image in an answer can be neither shown nor fetched (no beacons, no data
# channel). Gradio's page needs its inline scripts and styles, and gr.HTML compiles its
# templates with Function(): scripts are kept out by rendering article text literally.
CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "media-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    )
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]
# Gradio routes that act on a session but check no login (Gradio 6.31): heartbeat, cancel
# and reset. With --auth they need the login cookie like every other route.
UNGUARDED = ("reset", "heartbeat/", "cancel", "stream/", "run-history/", "vibe", "undo-vibe")


def create_server(service: ChatService, auth=None) -> FastAPI:
    """The chat at ``/`` and the API at ``/v1``; ``auth`` is Gradio's login check."""
    serve = service.config.serve
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/v1", create_openai_app(service.pipeline))
    blocks = build_app(service).queue(default_concurrency_limit=serve.concurrency)
    gr.mount_gradio_app(
        app,
        blocks,
        path="/",
        auth=auth,
        css=CSS,
        head=CITE_JS,
        max_file_size=serve.max_upload_bytes,  # refused by the server before it is stored
        show_error=True,
    )
    gradio_app = next(r.app for r in app.routes if isinstance(r, Mount) and r.path == "")
    app.state.chat_stop = gradio_app.stop_event  # set: Gradio ends the chat's open streams
    app.add_middleware(
        SecurityHeaders, gradio=gradio_app if auth else None, max_files=serve.max_upload_files
    )
    return app


class ChatServer(uvicorn.Server):
    """The uvicorn server `rag serve` runs: on ``serve.host`` and ``serve.port``, and quick
    to stop. A connected ``gradio_client`` holds a session heartbeat stream that never ends
    on its own, so after Ctrl+C uvicorn would wait until every such client quits; this
    server first tells Gradio to end those streams (its stop event), and gives answers in
    flight ``serve.shutdown_seconds`` to finish before the rest are cut."""

    def __init__(self, app: FastAPI, serve: ServeConfig):
        super().__init__(
            uvicorn.Config(
                app,
                host=serve.host,
                port=serve.port,
                log_level="warning",
                timeout_graceful_shutdown=serve.shutdown_seconds,
            )
        )
        self.chat_stop = app.state.chat_stop

    async def shutdown(self, sockets=None) -> None:
        self.chat_stop.set()
        await super().shutdown(sockets)


def serve(service: ChatService, auth=None) -> None:
    """Run the server until interrupted (``config.serve``)."""
    serve = service.config.serve
    url = f"http://{serve.host}:{serve.port}"
    print(f"Chat: {url}/   OpenAI-compatible API: {url}/v1", file=sys.stderr)
    ChatServer(create_server(service, auth), serve).run()


class SecurityHeaders:
    """ASGI middleware: the security headers on every response; (``gradio`` given: a
    login is required) the login cookie checked on the routes Gradio leaves open; and at
    most ``max_files`` files in one upload request (Gradio's own limit is 1,000)."""

    def __init__(self, app: Any, gradio: Any = None, max_files: int = 20):
        self.app, self.gradio, self.max_files = app, gradio, max_files

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if self.gradio is not None and self._needs_login(scope):
            return await _refuse(send, 401, b'{"detail":"Not authenticated"}')
        if scope.get("path", "").endswith("/gradio_api/upload"):
            receive = _counted_parts(scope, receive, self.max_files)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in HEADERS if k not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            await self.app(scope, receive, with_headers)
        except _TooManyFiles:
            message = f"Upload at most {self.max_files} files at a time.".encode()
            await _refuse(send, 413, b'{"detail":"' + message + b'"}')

    def _needs_login(self, scope) -> bool:
        path = scope.get("path", "")
        _, found, rest = path.partition("/gradio_api/")
        if not found or not rest.startswith(UNGUARDED):
            return False
        cookie = SimpleCookie()
        for name, value in scope.get("headers") or []:
            if name == b"cookie":
                cookie.load(value.decode("latin-1"))
        cookie_id = self.gradio.cookie_id
        for name in (f"access-token-{cookie_id}", f"access-token-unsecure-{cookie_id}"):
            if name in cookie and cookie[name].value in self.gradio.tokens:
                return False
        return True


def _counted_parts(scope, receive, limit: int):
    """``receive`` that counts the multipart body's parts as it streams by, and stops the
    request (before Gradio stores more) once there are over ``limit``."""
    kind = dict(scope.get("headers") or []).get(b"content-type", b"")
    boundary = kind.partition(b"boundary=")[2].split(b";")[0].strip(b'"')
    if not boundary:
        return receive
    delimiter, seen, tail = b"--" + boundary, 0, b""

    async def counted():
        nonlocal seen, tail
        message = await receive()
        data = tail + message.get("body", b"")
        seen += data.count(delimiter)
        tail = data[-(len(delimiter) - 1) :]
        if seen - 1 > limit:  # n parts have n + 1 delimiters, the last one closing
            raise _TooManyFiles
        return message

    return counted


class _TooManyFiles(BaseException):  # not Exception: Gradio's handlers would swallow it
    pass


async def _refuse(send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"application/json"), *HEADERS]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})

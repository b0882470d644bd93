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
from ui.app import CSS, build_app
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
        max_file_size=serve.max_upload_bytes,  # refused by the server before it is stored
        show_error=True,
    )
    gradio_app = next(r.app for r in app.routes if isinstance(r, Mount) and r.path == "")
    app.add_middleware(SecurityHeaders, gradio=gradio_app if auth else None)
    return app


def serve(service: ChatService, auth=None) -> None:
    """Run the server until interrupted (``config.serve`` host and port)."""
    serve = service.config.serve
    app = create_server(service, auth)
    url = f"http://{serve.host}:{serve.port}"
    print(f"Chat: {url}/   OpenAI-compatible API: {url}/v1", file=sys.stderr)
    uvicorn.run(app, host=serve.host, port=serve.port, log_level="warning")


class SecurityHeaders:
    """ASGI middleware: the security headers on every response, and (``gradio`` given: a
    login is required) the login cookie checked on the routes Gradio leaves open."""

    def __init__(self, app: Any, gradio: Any = None):
        self.app, self.gradio = app, gradio

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if self.gradio is not None and self._needs_login(scope):
            return await _unauthorized(send)

        async def with_headers(message):
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in HEADERS if k not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)

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


async def _unauthorized(send) -> None:
    body = b'{"detail":"Not authenticated"}'
    headers = [(b"content-type", b"application/json"), *HEADERS]
    await send({"type": "http.response.start", "status": 401, "headers": headers})
    await send({"type": "http.response.body", "body": body})

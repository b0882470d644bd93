"""The Gradio app: chat with live, cited answers, a sources panel, settings, articles."""

from __future__ import annotations

import logging
import os
import threading
from contextlib import closing

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home at start

import gradio as gr  # noqa: E402

from rag.answer import Answer, Delta, Draft, Retrieved, Withdrawn  # noqa: E402
from rag.errors import RagError  # noqa: E402
from rag.filters import SearchFilter  # noqa: E402
from ui.render import (  # noqa: E402
    answer_html,
    draft_html,
    found_html,
    literal,
    sources_html,
    timings_text,
    turn_sources,
)
from ui.service import UPLOAD_TYPES, ChatService  # noqa: E402

log = logging.getLogger(__name__)
SAVED_TURNS = 30  # turns kept in the browser (localStorage) across reloads
EMPTY_HINT = "Type a question about the articles first."


def _filter(since: str | None, until: str | None, sources: str) -> SearchFilter:
    patterns = tuple(p.strip() for p in (sources or "").split(",") if p.strip())
    return SearchFilter((since or "").strip() or None, (until or "").strip() or None, patterns)


# A chat turn (server-side, per session) is a dict: "question"; "status" pending, done,
# stopped or error; "html", the answer as shown; "panel", its sources; "verified", the
# text kept so far; "answer", Answer.to_dict() once done.


def _messages(turns: list[dict]) -> list[dict]:
    chat = []
    for turn in turns:
        chat += [
            {"role": "user", "content": literal(turn["question"])},
            {"role": "assistant", "content": turn["html"]},
        ]
    return chat


def _history(turns: list[dict]) -> list[dict]:
    """Earlier turns as plain text, for follow-ups: the question and the answer's text."""
    history = []
    for turn in turns:
        if turn.get("answer"):
            history += [
                {"role": "user", "content": turn["question"]},
                {"role": "assistant", "content": turn["answer"]["answer"]},
            ]
    return history


def _panel(turns: list[dict], shown: int | None) -> str:
    return turn_sources({i: t["panel"] for i, t in enumerate(turns) if t.get("panel")}, shown)


def _finished(question: str, answer: Answer, turn: int) -> dict:
    return {
        "question": question,
        "status": "done",
        "html": answer_html(answer.text, answer.abstained, turn),
        "panel": sources_html(answer, turn),
        "verified": answer.text,
        "answer": answer.to_dict(),
    }


def _busy(turns: list[dict] | None) -> bool:
    """Whether the session's last turn is still being answered."""
    return bool(turns) and turns[-1]["status"] == "pending"


def _status_only(text: str) -> tuple:
    """The answering events' outputs with only the status line changed."""
    keep = gr.update()
    return keep, keep, keep, text, keep, keep, keep, keep


def _saved(turns: list[dict], user: str | None) -> dict:
    done = [t for t in turns if t["status"] == "done"][-SAVED_TURNS:]
    return {
        "user": user or "",
        "turns": [{"question": t["question"], "answer": t["answer"]} for t in done],
    }


def _restored(saved: dict | None, user: str | None) -> list[dict]:
    """The turns saved in this browser by this user; anything malformed is left out (the
    browser's storage is the user's to edit: everything is re-rendered and escaped)."""
    if not isinstance(saved, dict) or saved.get("user", "") != (user or ""):
        return []
    turns: list[dict] = []
    for item in (saved.get("turns") or [])[-SAVED_TURNS:]:
        try:
            turns.append(
                _finished(str(item["question"]), Answer.from_dict(item["answer"]), len(turns))
            )
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            continue
    return turns


class Interrupts:
    """Stop and New chat, asked of the answer a session is writing. The answer's own loop
    reads them between stream events and writes the result itself, so one writer owns the
    chat (a cancelled event's last output could land after the Stop handler's)."""

    def __init__(self) -> None:
        self._asked: dict[str, str] = {}
        self._lock = threading.Lock()

    def ask(self, session: str | None, what: str) -> None:
        with self._lock:
            self._asked[session or ""] = what

    def take(self, session: str | None) -> str | None:
        with self._lock:
            return self._asked.pop(session or "", None)


def build_app(service: ChatService) -> gr.Blocks:
    """The whole page; ``service`` holds the pipeline shared by all sessions."""
    names = service.answerer_names()

    interrupts = Interrupts()

    def answer_turn(question, turns, settings, request: gr.Request):
        """One turn, streamed: the passages as soon as they are found, the draft as it
        is written, each sentence kept or struck out as it is verified, then the answer;
        Stop or New chat, between any two events. Outputs: chat, question box, sources,
        status, turns, saved, Ask, Stop."""
        answerer_name, passages, since, until, sources = settings
        session, user = request.session_hash, request.username
        turn = {"question": question, "status": "pending", "html": draft_html(""), "verified": ""}
        turns, i = [*turns, turn], len(turns)
        keep = gr.update()

        def view(status=keep, box=keep, saved=keep, busy=True):
            ask_stop = (gr.update(visible=not busy), gr.update(visible=busy))
            return _messages(turns), box, _panel(turns, i), status, turns, saved, *ask_stop

        interrupts.take(session)  # a Stop pressed before this answer began is not for it
        yield view("", "")
        try:
            answerer = service.answerer(answerer_name)
            events = answerer.stream(
                question, _history(turns[:-1]), _filter(since, until, sources), int(passages)
            )
            with closing(events):  # leaving the loop closes the stream: the model stops
                for event in events:
                    interrupted = interrupts.take(session)
                    if interrupted == "new":
                        turns = []
                        yield view("", saved=_saved(turns, user), busy=False)
                        return
                    if interrupted == "stop":
                        said = literal(turn["verified"])
                        note = " *Stopped.*" if said else "*Stopped before any sentence was kept.*"
                        turn.update(status="stopped", html=said + note, panel=turn.get("found"))
                        yield view("Stopped.", busy=False)
                        return
                    if isinstance(event, Retrieved):
                        turn["panel"] = found_html(event.passages)
                        turn["found"] = found_html(event.passages, checking=False)
                    elif isinstance(event, Draft):
                        turn["html"] = draft_html(turn["verified"], event.text)
                    elif isinstance(event, Withdrawn):
                        turn["html"] = draft_html(turn["verified"], withdrawn=event.text)
                    elif isinstance(event, Delta):
                        turn["verified"] += event.text
                        turn["html"] = draft_html(turn["verified"])
                    elif isinstance(event, Answer):
                        turn.update(_finished(question, event, i))
                        timing = timings_text(event, answerer.name)
                        yield view(timing, saved=_saved(turns, user), busy=False)
                        return
                    yield view()
        except RagError as exc:
            turn.update(status="error", html=f"⚠️ {literal(str(exc))}")
        except Exception:  # a bug: one line for the reader, the traceback in the server log
            log.exception("answering %r failed", question)
            turn.update(status="error", html="⚠️ This answer failed; the server log says why.")
        yield view(busy=False)

    def respond(
        message, turns, answerer_name, passages, since, until, sources, request: gr.Request
    ):
        if not (message or "").strip():  # a hint where the status goes: no overlay, no error
            yield _status_only(EMPTY_HINT)
            return
        settings = (answerer_name, passages, since, until, sources)
        yield from answer_turn(message, list(turns or []), settings, request)

    def regenerate(turns, answerer_name, passages, since, until, sources, request: gr.Request):
        turns = list(turns or [])
        if not turns:
            yield _status_only("Nothing to regenerate yet.")
            return
        settings = (answerer_name, passages, since, until, sources)
        yield from answer_turn(turns[-1]["question"], turns[:-1], settings, request)

    def stop_answer(request: gr.Request):
        """Stop: the answer being written ends at its next event (the model with it)."""
        interrupts.ask(request.session_hash, "stop")
        return "Stopping…"

    def queued_note(message, turns):
        """Said at once when a question is sent during an answer: it is asked next."""
        if (message or "").strip() and _busy(turns):
            return f"Queued: “{message.strip()[:80]}” is asked when this answer ends."
        return gr.update()

    def restore(saved, request: gr.Request):
        turns = _restored(saved, request.username)
        return _messages(turns), _panel(turns, len(turns) - 1 if turns else None), turns

    def new_chat(turns, request: gr.Request):
        if _busy(turns):  # the answer being written ends too
            interrupts.ask(request.session_hash, "new")
        return [], sources_html(None), "", [], _saved([], request.username)

    def on_like(data: gr.LikeData, turns):
        index = data.index[0] if isinstance(data.index, list | tuple) else data.index
        turns = turns or []
        if isinstance(index, int) and 0 <= index // 2 < len(turns):
            turn = turns[index // 2]
            if turn.get("answer"):
                service.record_feedback(turn["question"], turn["answer"], bool(data.liked))

    def upload(files, request: gr.Request):
        paths = [f if isinstance(f, str) else f.name for f in files or []]
        try:
            status = service.add_files(paths, request.username)
        except RagError as exc:
            status = f"⚠️ {exc}"
        return status, service.articles()

    def remove(article, request: gr.Request):
        try:
            status = service.remove(article, request.username)
        except RagError as exc:
            status = f"⚠️ {exc}"
        return status, service.articles()

    def live(action):
        def run(*args):
            try:
                status = action(*args)
            except RagError as exc:
                status = f"⚠️ {exc}"
            return status, service.articles(), service.feeds()

        return run

    def ask_api(question: str, answerer: str = "extractive", passages: int = 5) -> dict:
        """The same JSON as `rag ask --json`, from one of the answerers the chat offers."""
        if answerer not in names:
            raise gr.Error(f"Unknown answerer '{answerer}': this server offers {', '.join(names)}.")
        try:
            answer = service.answerer(answerer).answer(question, passages=int(passages))
        except RagError as exc:
            raise gr.Error(str(exc)) from None
        data = answer.to_dict()
        data.pop("passages")
        return data

    # uploads and other cached files older than an hour are deleted every hour
    with gr.Blocks(title="News QA", delete_cache=(3600, 3600)) as app:
        gr.Markdown("## Ask the news\nAnswers cite the exact passage they rest on.")
        with gr.Tab("Chat"):
            with gr.Row():
                with gr.Column(scale=3, min_width=300):
                    chat = gr.Chatbot(
                        elem_id="chat",
                        height=520,
                        feedback_options=("Like", "Dislike"),
                        show_label=False,
                        buttons=[],  # Gradio's copy would copy HTML: each answer has Copy
                    )
                    with gr.Row():
                        question = gr.Textbox(
                            elem_id="question",
                            placeholder="Ask about the articles…",
                            show_label=False,
                            scale=5,
                            lines=1,
                        )
                        ask = gr.Button("Ask", elem_id="ask", variant="primary", scale=1)
                        stop = gr.Button(
                            "Stop", elem_id="stop", variant="stop", scale=1, visible=False
                        )
                    with gr.Row():
                        regen = gr.Button(
                            "Regenerate", elem_id="regenerate", size="sm", scale=0, min_width=120
                        )
                        fresh = gr.Button(
                            "New chat", elem_id="new-chat", size="sm", scale=0, min_width=120
                        )
                    status = gr.Markdown(elem_id="timings")
                with gr.Column(scale=2, min_width=300):
                    gr.Markdown("### Sources")
                    panel = gr.HTML(sources_html(None), elem_id="sources")
            with gr.Accordion("Settings", open=False, elem_id="settings"), gr.Row():
                answerer = gr.Dropdown(names, value=names[0], label="Answerer", elem_id="answerer")
                passages = gr.Slider(1, 10, value=5, step=1, label="Passages")
                since = gr.DateTime(
                    include_time=False, type="string", label="Published since", elem_id="since"
                )
                until = gr.DateTime(
                    include_time=False, type="string", label="Published until", elem_id="until"
                )
                sources = gr.Textbox(label="Sources (comma-separated patterns)")
        with gr.Tab("Articles"):
            table = gr.Dataframe(
                value=service.articles(),
                headers=["id", "title", "source", "published"],
                interactive=False,
                elem_id="articles",
            )
            files = gr.File(file_count="multiple", file_types=list(UPLOAD_TYPES), label="Upload")
            add = gr.Button("Add to index", elem_id="add")
            with gr.Row():
                article = gr.Textbox(label="Article id or source", scale=4)
                drop = gr.Button("Remove", scale=1)
            note = gr.Markdown(elem_id="status")
            gr.Markdown("### Live news")
            feeds = gr.Dataframe(
                value=service.feeds(),
                headers=["feed", "last refresh", "articles added", "last error"],
                interactive=False,
                elem_id="feeds",
            )
            with gr.Row():
                link = gr.Textbox(label="Feed or page URL", scale=4, elem_id="link")
                follow = gr.Button("Follow feed", scale=1, elem_id="follow")
                page = gr.Button("Add page", scale=1, elem_id="add-page")
                refresh = gr.Button("Refresh feeds now", scale=1, elem_id="refresh")

        turns = gr.State([])
        saved = gr.BrowserState(
            {"user": "", "turns": []}, storage_key="newsrag-chat", secret=service.browser_secret
        )
        settings = [answerer, passages, since, until, sources]
        outputs = [chat, question, panel, status, turns, saved, ask, stop]
        private = {"api_visibility": "private"}
        # one event for Enter and Ask: a question sent while an answer is generated waits
        # in the box and is asked when it ends ("always_last"), never dropped
        gr.on(
            [question.submit, ask.click], respond, [question, turns, *settings], outputs,
            trigger_mode="always_last", **private,
        )  # fmt: skip
        gr.on(
            [question.submit, ask.click], queued_note, [question, turns], [status],
            queue=False, trigger_mode="multiple", **private,
        )  # fmt: skip
        regen.click(regenerate, [turns, *settings], outputs, **private)
        stop.click(stop_answer, None, [status], queue=False, **private)
        cleared = [chat, panel, status, turns, saved]
        fresh.click(new_chat, [turns], cleared, queue=False, **private)
        chat.clear(new_chat, [turns], cleared, queue=False, **private)
        # the page says when its saved chat is back (tests and scripts wait for it)
        app.load(restore, [saved], [chat, panel, turns], **private).then(
            None, js="() => { document.body.dataset.chatReady = '1'; }"
        )
        chat.like(on_like, [turns], None, **private)
        add.click(upload, [files], [note, table], api_name="add_articles")
        drop.click(remove, [article], [note, table], **private)
        live_out = [note, table, feeds]
        follow.click(live(service.follow_feed), [link], live_out, **private)
        page.click(live(service.add_page), [link], live_out, **private)
        refresh.click(live(service.refresh_feeds), None, live_out, **private)
        gr.api(ask_api, api_name="ask")
    return app

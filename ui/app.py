"""The Gradio app: chat with streamed, cited answers, a sources panel, settings, articles."""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home at start

import gradio as gr  # noqa: E402

from rag.answer import Answer, Delta  # noqa: E402
from rag.errors import RagError  # noqa: E402
from rag.filters import SearchFilter  # noqa: E402
from ui.render import answer_html, sources_html, timings_text, turn_sources  # noqa: E402
from ui.service import UPLOAD_TYPES, ChatService  # noqa: E402

CSS = """
#sources { max-height: 70vh; overflow-y: auto; }
.source { border-left: 3px solid #d0d7de; padding: 4px 10px; margin-bottom: 12px; }
.source:target, .source.cited { border-left-color: #0969da; background: #f6f8fa; }
.dark .source.cited { background: transparent; }
.source-head { font-size: 0.85em; color: #57606a; font-weight: 600; }
.source mark { background: #fff3b0; color: #1f2328; padding: 0 2px; }  /* dark text: any theme */
.sources.abstained { opacity: 0.85; }
.cite-marker { text-decoration: none; font-weight: 600; }
.source-copies { font-size: 0.85em; color: #57606a; }
"""


# A click on a [n] marker shows that answer's sources and its passage n, in the page: no
# navigation (the page's <base href> would turn "#cite-..." into a reload that loses the chat).
CITE_JS = """<script>
document.addEventListener("click", (event) => {
  const marker = event.target.closest("a.cite-marker");
  if (!marker) return;
  event.preventDefault();
  const id = marker.getAttribute("href").slice(1);
  const target = document.getElementById(id);
  if (!target) return;
  const block = target.closest(".turn-sources");
  document.querySelectorAll(".turn-sources").forEach((b) => { b.hidden = b !== block; });
  document.querySelectorAll(".source.cited").forEach((s) => s.classList.remove("cited"));
  target.classList.add("cited");
  target.scrollIntoView({block: "nearest"});
}, true);
</script>"""


def _filter(since: str, until: str, sources: str) -> SearchFilter:
    patterns = tuple(p.strip() for p in (sources or "").split(",") if p.strip())
    return SearchFilter((since or "").strip() or None, (until or "").strip() or None, patterns)


def build_app(service: ChatService) -> gr.Blocks:
    """The whole page; ``service`` holds the pipeline shared by all sessions."""
    names = service.answerer_names()

    def respond(message, history, answers, panels, answerer_name, passages, since, until, sources):
        history = list(history or [])
        if not (message or "").strip():  # a hint where the timings go: no overlay, no error
            hint = "Type a question about the articles first."
            yield history, "", gr.update(), hint, answers, panels
            return
        prior = [m for m in history if m.get("role") in ("user", "assistant")]
        history += [{"role": "user", "content": message}, {"role": "assistant", "content": "…"}]
        turn = len(history) - 1
        yield history, "", gr.update(), "", answers, panels
        try:
            answerer = service.answerer(answerer_name)
            text = ""
            for event in answerer.stream(
                message, _plain(prior), _filter(since, until, sources), int(passages)
            ):
                if isinstance(event, Delta):
                    text += event.text
                    content = answer_html(text, turn=turn)
                    history[-1] = {"role": "assistant", "content": content}
                    yield history, "", gr.update(), "", answers, panels
                elif isinstance(event, Answer):
                    content = answer_html(event.text, event.abstained, turn)
                    history[-1] = {"role": "assistant", "content": content}
                    # per-session record of each answer, for thumbs up/down
                    answers = {**answers, turn: (message, event.to_dict())}
                    panels = {**panels, turn: sources_html(event, turn)}
                    timing = timings_text(event, answerer.name)
                    yield history, "", turn_sources(panels, turn), timing, answers, panels
        except RagError as exc:
            history[-1] = {"role": "assistant", "content": f"⚠️ {exc}"}
            yield history, "", gr.update(), "", answers, panels

    def on_like(data: gr.LikeData, answers):
        index = data.index[0] if isinstance(data.index, list | tuple) else data.index
        if index in answers:
            question, answer = answers[index]
            service.record_feedback(question, answer, bool(data.liked))

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
                with gr.Column(scale=3):
                    chat = gr.Chatbot(
                        elem_id="chat",
                        height=520,
                        feedback_options=("Like", "Dislike"),
                        show_label=False,
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
                    timings = gr.Markdown(elem_id="timings")
                with gr.Column(scale=2):
                    gr.Markdown("### Sources")
                    panel = gr.HTML(sources_html(None), elem_id="sources")
            with gr.Accordion("Settings", open=False, elem_id="settings"), gr.Row():
                answerer = gr.Dropdown(names, value=names[0], label="Answerer", elem_id="answerer")
                passages = gr.Slider(1, 10, value=5, step=1, label="Passages")
                since = gr.Textbox(label="Published since (YYYY-MM-DD)")
                until = gr.Textbox(label="Published until (YYYY-MM-DD)")
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
            status = gr.Markdown(elem_id="status")
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

        answers, panels = gr.State({}), gr.State({})
        inputs = [question, chat, answers, panels, answerer, passages, since, until, sources]
        outputs = [chat, question, panel, timings, answers, panels]
        ask.click(respond, inputs, outputs, api_visibility="private")
        question.submit(respond, inputs, outputs, api_visibility="private")
        chat.like(on_like, [answers], None, api_visibility="private")
        add.click(upload, [files], [status, table], api_name="add_articles")
        drop.click(remove, [article], [status, table], api_visibility="private")
        live_out = [status, table, feeds]
        follow.click(live(service.follow_feed), [link], live_out, api_visibility="private")
        page.click(live(service.add_page), [link], live_out, api_visibility="private")
        refresh.click(live(service.refresh_feeds), None, live_out, api_visibility="private")
        gr.api(ask_api, api_name="ask")
    return app


def _plain(history: list[dict]) -> list[dict]:
    return [{"role": m["role"], "content": str(m.get("content", ""))} for m in history]

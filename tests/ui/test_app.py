import json

import pytest
from gradio_client import Client
from gradio_client.exceptions import AuthenticationError

from rag.errors import InputError
from tests.conftest import CANONICAL, PESKOV_QUOTE
from ui.render import answer_html, sources_html
from ui.service import safe_name


def test_api_endpoint_returns_the_same_json_as_rag_ask(app_url):
    client = Client(app_url, verbose=False)
    assert "/ask" in client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    result = client.predict(question=CANONICAL, answerer="extractive", passages=5, api_name="/ask")
    assert set(result) == {"answer", "citations", "abstained", "query", "timings"}
    assert "time frames" in result["answer"] and not result["abstained"]
    assert any(PESKOV_QUOTE in c["text"] for c in result["citations"])
    assert {c["source"] for c in result["citations"]} == {"peace-deal-skepticism.txt"}


def test_rendering_escapes_markup_and_links_markers(service):
    html = answer_html("A <script>alert(1)</script> claim [1].")
    assert "<script>" not in html and "&#60;script&#62;" in html
    assert '<a class="cite-marker" href="#cite-1">[1]</a>' in html
    answer = service.answerer("extractive").answer(CANONICAL)
    panel = sources_html(answer)
    for citation in answer.citations:
        assert f'id="cite-{citation.n}"' in panel
    assert "</mark>" in panel and "Closest passages" not in panel
    abstained = service.answerer("extractive").answer("What is the capital of France?")
    assert "Closest passages" in sources_html(abstained)
    assert "No answer in the articles" in answer_html(abstained.text, abstained=True)


def test_upload_limits_names_and_removal(service, tmp_path):
    good = tmp_path / "harbour.txt"
    good.write_text("Harbour reopens\n\nThe harbour at Dover reopened on Monday after storms.\n")
    sneaky = tmp_path / "..%2F..%2Fetc%2Fpasswd.txt"
    sneaky.write_text("Sneaky\n\nA file with a hostile name about lighthouses.\n")
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ")
    before = len(service.pipeline.articles)
    status = service.add_files([str(good), str(sneaky), str(exe)])
    assert "Added 2 article(s)" in status and "tool.exe: not an accepted type" in status
    sources = {a.source for a in service.pipeline.articles}
    assert "harbour.txt" in sources
    assert all("/" not in s and not s.startswith(".") for s in sources)
    assert len(service.pipeline.articles) == before + 2
    status = service.remove("harbour.txt")
    assert "Removed 1" in status and len(service.pipeline.articles) == before + 1
    with pytest.raises(InputError):
        service.add_files([str(exe)])
    assert safe_name("../../x/.bashrc") == "bashrc"


def test_feedback_is_appended_as_json_lines(service):
    answer = service.answerer("extractive").answer(CANONICAL)
    service.record_feedback(CANONICAL, answer, liked=True)
    service.record_feedback(CANONICAL, answer.to_dict(), liked=False)
    rows = [json.loads(line) for line in service.feedback_file.read_text().splitlines()]
    assert [r["liked"] for r in rows[-2:]] == [True, False]
    assert rows[-1]["question"] == CANONICAL and rows[-1]["citations"]


def test_authentication_option(service):
    from tests.ui.conftest import serving
    from ui.cli import parse_auth

    with serving(service, parse_auth("reader:s3cret")) as url:
        with pytest.raises(AuthenticationError):
            Client(url, verbose=False)
        client = Client(url, auth=("reader", "s3cret"), verbose=False)
        result = client.predict(
            question=CANONICAL, answerer="extractive", passages=5, api_name="/ask"
        )
        assert "time frames" in result["answer"]


def test_session_routes_gradio_leaves_open_need_the_login(service):
    """Gradio 6.31 checks no login on heartbeat, cancel and reset; `rag serve` does."""
    import httpx

    from tests.ui.conftest import serving
    from ui.cli import parse_auth

    routes = [
        ("GET", "gradio_api/heartbeat/abc123"),
        ("POST", "gradio_api/cancel"),
        ("POST", "gradio_api/reset"),
    ]
    with serving(service, parse_auth("reader:s3cret")) as url:
        with httpx.Client(timeout=10) as anonymous:
            for method, route in routes:
                response = anonymous.request(method, f"{url}{route}", json={})
                assert response.status_code == 401, route
        with httpx.Client(timeout=10) as reader:
            login = reader.post(f"{url}login", data={"username": "reader", "password": "s3cret"})
            assert login.status_code == 200
            for method, route in routes[1:]:
                response = reader.request(method, f"{url}{route}", json={})
                assert response.status_code != 401, route


def test_serve_listens_on_localhost_by_default(monkeypatch):
    from rag.cli import build_parser, config_from

    monkeypatch.delenv("RAG_AUTH", raising=False)
    args = build_parser().parse_args(["serve"])
    serve = config_from(args, host=args.host, port=args.port, auth=args.auth).serve
    assert (serve.host, serve.port, serve.auth) == ("127.0.0.1", 7860, "")


def test_logins_are_slowed_and_locked_out_after_failures(service):
    import httpx

    from rag.api.auth import LoginGuard
    from tests.ui.conftest import serving

    guard = LoginGuard({"reader": "s3cret"}, delay=0.05, max_failures=3, lockout=600)
    with serving(service, guard.check) as url:
        login = f"{url}login"
        with httpx.Client(timeout=30) as http:
            ok = http.post(login, data={"username": "reader", "password": "s3cret"})
            assert ok.status_code == 200
            for _ in range(3):
                wrong = http.post(login, data={"username": "reader", "password": "guess"})
                assert wrong.status_code >= 400
            # locked out: now even the right password is refused, for everyone
            refused = http.post(login, data={"username": "reader", "password": "s3cret"})
            assert refused.status_code >= 400
    assert not guard.verify("reader", "s3cret")
    guard.clock = lambda: float("inf")  # the lockout over
    assert guard.verify("reader", "s3cret") and not guard.verify("READER", "s3cret")


def test_api_inputs_are_bounded_and_answerers_are_those_offered(app_url):
    from gradio_client.exceptions import AppError

    client = Client(app_url, verbose=False)
    for passages in (100_000, 0):
        with pytest.raises(AppError, match="passages must be 1 to 50"):
            client.predict(
                question=CANONICAL, answerer="extractive", passages=passages, api_name="/ask"
            )
    with pytest.raises(AppError, match="Unknown answerer 'openai'"):
        client.predict(question=CANONICAL, answerer="openai", passages=5, api_name="/ask")


def test_uploads_over_the_size_limit_are_refused_by_the_server(app_url, service):
    import httpx

    limit = service.config.serve.max_upload_bytes
    files = {"files": ("big.txt", b"x" * (limit + 1), "text/plain")}
    upload = httpx.post(f"{app_url.rstrip('/')}/gradio_api/upload", files=files, timeout=60)
    assert upload.status_code == 413, upload.text[:300]


def test_one_upload_request_carries_at_most_the_file_limit(app_url, service):
    """Gradio itself takes 1,000 files in one request; the server stops at the limit."""
    import httpx

    limit = service.config.serve.max_upload_files
    url = f"{app_url.rstrip('/')}/gradio_api/upload"

    def post(count: int) -> httpx.Response:
        files = [("files", (f"f{i}.txt", b"Title\n\nBody.\n", "text/plain")) for i in range(count)]
        return httpx.post(url, files=files, timeout=60)

    assert post(limit).status_code == 200
    refused = post(limit + 1)
    assert refused.status_code == 413 and f"at most {limit} files" in refused.text
    assert refused.headers["content-security-policy"]


def test_uploads_of_one_name_keep_both_and_a_replace_says_so(service, tmp_path):
    first, second, later = (tmp_path / d for d in ("a", "b", "c"))
    for folder, text in (
        (first, "The dam opened"),
        (second, "The pier closed"),
        (later, "Pier reopened"),
    ):
        folder.mkdir()
        (folder / "report.txt").write_text(f"Report\n\n{text} on Monday.\n")
    status = service.add_files([str(first / "report.txt"), str(second / "report.txt")])
    assert "Added 2 article(s)" in status and "added as report-2.txt" in status
    sources = {a.source for a in service.pipeline.articles}
    assert {"report.txt", "report-2.txt"} <= sources
    status = service.add_files([str(later / "report.txt")])
    assert "Replaced (a file of the same name):\n- report.txt" in status
    texts = [a.text for a in service.pipeline.articles if a.source == "report.txt"]
    assert texts == ["Report\n\nPier reopened on Monday.\n"]
    service.remove("report.txt")
    service.remove("report-2.txt")


def test_each_users_uploads_are_their_own(service, tmp_path):
    """Logged in as two users through the real server: both upload report.txt, neither
    replaces nor removes the other's."""
    from gradio_client import handle_file

    from tests.ui.conftest import serving
    from ui.cli import parse_auth

    files = {}
    for user, text in (("alice", "The ferry sailed"), ("bob", "The tram stopped")):
        (tmp_path / user).mkdir()
        files[user] = tmp_path / user / "report.txt"
        files[user].write_text(f"Report\n\n{text} on Monday.\n")
    with serving(service, parse_auth("alice:pw-a,bob:pw-b")) as url:
        clients = {u: Client(url, auth=(u, f"pw-{u[0]}"), verbose=False) for u in files}
        for user, client in clients.items():
            status, _ = client.predict(files=[handle_file(files[user])], api_name="/add_articles")
            assert "Added 1 article(s)" in status and "Replaced" not in status
    texts = {a.source: a.text for a in service.pipeline.articles}
    assert "ferry" in texts["alice/report.txt"] and "tram" in texts["bob/report.txt"]
    with pytest.raises(InputError, match="no upload named"):
        service.remove("../bob/report.txt", user="alice")
    assert "Removed 1" in service.remove("report.txt", user="bob")
    assert "alice/report.txt" in {a.source for a in service.pipeline.articles}
    service.remove("report.txt", user="alice")


def test_ctrl_c_stops_rag_serve_while_an_api_client_is_connected(sample_index_dir, tmp_path):
    """A connected gradio_client holds a heartbeat stream that never ends on its own;
    `rag serve` used to wait for it after Ctrl+C (over 60 s; it now ends such streams)."""
    import os
    import shutil
    import signal
    import subprocess
    import sys

    from tests.ui.conftest import free_port, wait_until_answering

    folder = tmp_path / "index"
    shutil.copytree(sample_index_dir, folder)
    port = free_port()
    command = [sys.executable, "-m", "rag.cli", "serve", "--index-dir", str(folder)]
    env = {**os.environ, "RAG_AUTH": "", "RAG_ANSWERER": "extractive"}
    server = subprocess.Popen([*command, "--port", str(port)], env=env, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_answering(server, url, 200)
        client = Client(url, verbose=False)  # connected: its heartbeat stream stays open
        result = client.predict(
            question=CANONICAL, answerer="extractive", passages=5, api_name="/ask"
        )
        assert "time frames" in result["answer"]
        server.send_signal(signal.SIGINT)
        server.wait(timeout=20)  # was: still running after 60 s
        err = server.stderr.read().decode()
        assert "Traceback" not in err and "rag: interrupted" in err
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()

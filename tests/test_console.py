import io

from rag.answer import Delta, Draft, Retrieved, Withdrawn
from rag.console import StreamPrinter

EVENTS = [
    Retrieved("q", []),
    Draft("Peskov"),
    Draft("Peskov said no"),
    Delta("Peskov said no [1]."),
    Draft("The moon"),
    Withdrawn("The moon votes.", "no retrieved passage supports it"),
    Draft("He left"),
]


def printed(live: bool) -> tuple[str, StreamPrinter]:
    out = io.StringIO()
    printer = StreamPrinter(out, live=live)
    for event in EVENTS:
        printer(event)
    printer.finish()
    return out.getvalue(), printer


def test_piped_output_gets_verified_sentences_only():
    screen, printer = printed(live=False)
    assert screen == "Peskov said no [1]."
    assert printer.withdrawn == 1


def test_a_terminal_sees_the_draft_then_the_verified_sentence_in_its_place():
    screen, _ = printed(live=True)
    assert "\x1b[2mPeskov said no\x1b[0m" in screen  # the draft, dimmed
    assert "\x1b[2;9m The moon votes.\x1b[0m" in screen  # withdrawn: struck through
    # each draft is erased (back to the verified text's end, screen cleared) before the next
    assert screen.count("\x1b[J") == 5
    assert screen.endswith("\x1b[20G\x1b[J")  # the last draft erased after the answer

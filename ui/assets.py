"""The page's own style and script: readable highlights in both themes, and citation and
Copy clicks handled in the page (no navigation, so the chat is never lost)."""

CSS = """
/* Gradio styles its blocks overflow: visible; the panel scrolls inside its column instead */
#sources { max-height: 70vh; overflow-y: auto !important; overscroll-behavior: contain; }
.source { border-left: 3px solid #d0d7de; padding: 4px 10px; margin-bottom: 12px; }
.source.cited { border-left-color: #0969da; }
/* secondary text: #57606a on white is 6.4:1, #b1bac4 on Gradio's dark panels over 7:1 */
#sources .source-head, #sources .source-copies, #sources .checking h4, #chat .draft,
#chat .withdrawn { color: #57606a; }
.dark #sources .source-head, .dark #sources .source-copies, .dark #sources .checking h4,
.dark #chat .draft, .dark #chat .withdrawn { color: #b1bac4; }
.source-head { font-size: 0.85em; font-weight: 600; }
/* dark text on pale yellow in any theme: about 15:1 */
.source mark { background: #fff3b0; color: #1f2328; padding: 0 2px; border-radius: 2px; }
.source mark.cited { background: #ffd33d; outline: 2px solid #0969da; }
.sources.abstained { opacity: 0.9; }
.cite-marker { text-decoration: none; font-weight: 700; color: #0550ae; }
.dark .cite-marker { color: #8cc8ff; }
.copy-answer { font-size: 0.8em; margin-left: 6px; color: inherit; opacity: 0.85; }
.source-link { color: #0550ae; }
.dark .source-link { color: #8cc8ff; }
.source-copies { font-size: 0.85em; }
.draft { font-style: italic; }
#timings { min-height: 1.5em; }
@media (max-width: 640px) { #sources { max-height: 50vh; } }
"""

# A click on a [n] marker shows that answer's sources and its passage n, in the page: no
# navigation (the page's <base href> would turn "#cite-..." into a reload that loses the
# chat). A click on Copy puts the answer's plain text and references on the clipboard.
CITE_JS = """<script>
function newsragCopy(text) {
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
  const area = document.createElement("textarea");
  area.value = text; document.body.appendChild(area); area.select();
  document.execCommand("copy"); area.remove();
  return Promise.resolve();
}
document.addEventListener("click", (event) => {
  const copy = event.target.closest("a.copy-answer");
  if (copy) {
    event.preventDefault();
    const turn = copy.getAttribute("href").slice("#copy-".length);
    const plain = document.querySelector(`#turn-${turn} .plain-text`);
    if (!plain) return;
    newsragCopy(plain.textContent).then(() => {
      copy.textContent = "Copied"; setTimeout(() => { copy.textContent = "Copy"; }, 1500);
    });
    return;
  }
  const marker = event.target.closest("a.cite-marker");
  if (!marker) return;
  event.preventDefault();
  const target = document.getElementById(marker.getAttribute("href").slice(1));
  if (!target) return;
  const block = target.closest(".turn-sources");
  document.querySelectorAll(".turn-sources").forEach((b) => { b.hidden = b !== block; });
  document.querySelectorAll("#sources .cited").forEach((s) => s.classList.remove("cited"));
  target.classList.add("cited");
  const card = target.closest(".source");
  if (card) card.classList.add("cited");
  (card || target).scrollIntoView({block: "nearest"});
}, true);
</script>"""

// The dashboards' generated text, shaded in the browser by how unlikely each character was
// (anywidget front end of helpers.frontend.ShadedText). The same picture as
// helpers.plots.colored_text_html: the shade follows -log10 p (p = 1 white, p = 0.1 mid orange,
// p <= 0.01 full orange-red), a key above the text explains the scale, hovering a character shows
// its probability. The kernel sends the text and one probability per character; what was drawn is
// written to the element's data-state attribute (JSON) for the browser tests.

function shade(q) {
  return 0.85 * Math.min(1, Math.max(0, -Math.log10(Math.max(q, 1e-12)) / 2));
}

function span(parent, content, q, title, color) {
  const s = document.createElement("span");
  s.title = title;
  s.style.background = `rgba(${color}, ${shade(q).toFixed(2)})`;
  if (content === "\n") {
    s.append("⏎", document.createElement("br"));
  } else {
    s.textContent = content;
  }
  parent.appendChild(s);
}

function render({ model, el }) {
  el.classList.add("lesson-shaded-text");
  const key = document.createElement("div");
  key.className = "lesson-shaded-key";
  const body = document.createElement("div");
  body.className = "lesson-shaded-body";
  el.replaceChildren(key, body);
  const draw = () => {
    const { text, probs } = model.get("content"), color = model.get("rgb");
    key.replaceChildren("shade = how unlikely each character was: ");
    for (const q of [1.0, 0.3, 0.1, 0.03, 0.01]) {
      span(key, `\u00a0p = ${q}\u00a0`, q, `p = ${q}`, color);
      key.append(" ");
    }
    const fragment = document.createDocumentFragment();
    [...text].forEach((ch, i) => span(fragment, ch, probs[i], `p = ${probs[i].toFixed(3)}`, color));
    body.replaceChildren(fragment);
    el.dataset.state = JSON.stringify({ text, probs });
  };
  draw();
  model.on("change:content", draw); // the text and its probabilities come in one message
  return () => model.off("change:content", draw);
}

export default { render };

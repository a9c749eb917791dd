// The dashboards' generated text, shaded in the browser by how unlikely each character was
// (anywidget front end of helpers.frontend.ShadedText). The same picture as
// helpers.plots.colored_text_html: the shade follows -log10 p (p = 1 white, p = 0.1 mid orange,
// p <= 0.01 full orange-red), a key above the text explains the scale, hovering a character shows
// its probability. The kernel sends the text and one probability per character; what was drawn is
// written to the element's data-state attribute (JSON) for the browser tests.
//
// Answers ahead: the kernel also sends, as messages, the text and status line for the followed knobs'
// neighbouring settings (key: the knobs' indices, "3,0,9,0,1"). When a followed knob moves to one of
// them, the page shows it at once (the status line is set in the page only: nothing is sent back);
// the kernel's own answer follows and, being the same, changes nothing. The answers are dropped as
// soon as the kernel's next answer (a new "generation") arrives: they were computed from the last one.

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
  const show = ({ text, probs, starts }) => {
    const state = JSON.stringify(starts ? { text, probs, starts } : { text, probs });
    if (el.dataset.state === state) return; // already shown (an answer ahead, then the kernel's)
    const color = model.get("rgb");
    key.replaceChildren(`shade = how unlikely each ${model.get("unit")} was: `);
    for (const q of [1.0, 0.3, 0.1, 0.03, 0.01]) {
      span(key, `\u00a0p = ${q}\u00a0`, q, `p = ${q}`, color);
      key.append(" ");
    }
    if (starts) key.append("· a thin line marks where each token starts");
    const fragment = document.createDocumentFragment();
    [...text].forEach((ch, i) => span(fragment, ch, probs[i], `p = ${probs[i].toFixed(3)}`, color));
    for (const i of starts || []) { // tokens (lesson 7): a thin line where each one starts
      if (i > 0 && i < fragment.children.length) fragment.children[i].classList.add("lesson-token-start");
    }
    body.replaceChildren(fragment);
    el.dataset.state = state;
  };
  const draw = () => show(model.get("content"));
  draw();
  model.on("change:content", draw); // the text and its probabilities come in one message

  // Answers ahead, for the followed knobs' settings: key -> { status, content }.
  const ahead = new Map();
  const controls = [];
  let status = null;
  const drop = () => ahead.clear();
  const received = (msg) => {
    if (msg.ahead === undefined || msg.generation !== model.get("generation")) return; // made from an older answer
    ahead.set(msg.ahead, msg);
  };
  const moved = () => {
    if (controls.some((c) => c === undefined)) return;
    const answer = ahead.get(controls.map((c) => c.get("index")).join(","));
    if (answer === undefined) return; // the kernel's answer will come
    if (status !== null) status.set("value", answer.status); // in the page only (no save_changes)
    show(answer.content);
  };
  model.on("change:generation", drop);
  model.on("msg:custom", received);
  const unfollow = [];
  (model.get("sources") || []).forEach((ref, i) => {
    controls.push(undefined);
    model.widget_manager.get_model(ref.replace(/^IPY_MODEL_/, "")).then((control) => {
      controls[i] = control;
      control.on("change:index", moved);
      unfollow.push(() => control.off("change:index", moved));
    });
  });
  const statusRef = model.get("status_source");
  if (statusRef) model.widget_manager.get_model(statusRef.replace(/^IPY_MODEL_/, "")).then((m) => { status = m; });
  return () => {
    model.off("change:content", draw);
    model.off("change:generation", drop);
    model.off("msg:custom", received);
    for (const off of unfollow) off();
  };
}

export default { render };

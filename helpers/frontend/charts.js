// The dashboards' bar charts, drawn in the browser (anywidget front end of helpers.frontend).
//
// The kernel sends the next character's logits once per prompt (a few hundred bytes); the
// temperature and truncation knobs reach this chart in the browser (it listens to the controls'
// models, named in its "sources"), so a move redraws the bars with no message to the kernel. The arithmetic is the Python helpers' own:
// softmax(logits / T) with T = 0 greedy (all mass on the largest logit, ties share it), the
// ranking of argsort(-logits, stable), Truncation.mask's top-k, top-p, min-p in that order, and
// entropy in bits. What was drawn is written to the element's data-state attribute (JSON), which
// the browser tests compare with Python's answer; data-plot gives the plot area (CSS px).

const SVG = "http://www.w3.org/2000/svg";
const W = 750, H = 300; // as the matplotlib still: 7.5 x 3.0 inches at 100 dpi
const BOX = { left: 0.08 * W, right: 0.98 * W, top: (1 - 0.88) * H, bottom: (1 - 0.2) * H };
const Y_MAX = 1.2; // room for the legend above the tallest possible bar

function node(parent, tag, attrs = {}, text = null) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== null) e.textContent = text;
  parent.appendChild(e);
  return e;
}

// --- the Python helpers' arithmetic -----------------------------------------------------------

function argsortDesc(z) { // numpy.argsort(-z, kind="stable"): Array.prototype.sort is stable
  return z.map((_, i) => i).sort((a, b) => (z[b] > z[a] ? 1 : z[b] < z[a] ? -1 : 0));
}

function pairwiseSum(a) { // numpy's sum of a float64 array (pairwise, 8 partial sums): the same digits
  const n = a.length;
  if (n < 8) { let s = 0; for (const v of a) s += v; return s; }
  if (n <= 128) {
    const r = a.slice(0, 8);
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] += a[i + j];
    let s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; i++) s += a[i];
    return s;
  }
  let half = Math.floor(n / 2);
  half -= half % 8;
  return pairwiseSum(a.slice(0, half)) + pairwiseSum(a.slice(half));
}

function softmax(z, t) { // helpers.softmax.softmax_with_temperature (max subtracted first)
  let top = -Infinity;
  for (const v of z) if (v > top) top = v;
  const w = z.map((v) => (t === 0 ? (v === top ? 1 : 0) : Math.exp((v - top) / t)));
  const s = pairwiseSum(w);
  return w.map((v) => v / s);
}

function entropyBits(p) { // helpers.softmax.entropy(p, unit="bits"): 0 log 0 = 0
  return Math.max(-pairwiseSum(p.map((q) => (q > 0 ? q * Math.log(q) : 0))), 0) / Math.LN2;
}

function truncationMask(z, t, k) { // helpers.sampling.Truncation.mask
  let keep = z.map((v) => Number.isFinite(v));
  const active = k.top_k !== null || (k.top_p !== null && k.top_p < 1) || !!k.min_p;
  if (!active) return keep;
  const tt = k.temperature_last ? 1 : t;
  const order = argsortDesc(z);
  if (k.top_k !== null && k.top_k < z.length) {
    const top = new Set(order.slice(0, k.top_k));
    keep = keep.map((x, i) => x && top.has(i));
  }
  if (k.top_p !== null && k.top_p < 1) {
    const probs = softmax(z.map((v, i) => (keep[i] ? v : -Infinity)), tt);
    let c = 0;
    const nucleus = new Array(z.length);
    for (const i of order) { c += probs[i]; nucleus[i] = c - probs[i] < k.top_p; }
    keep = keep.map((x, i) => x && nucleus[i]);
  }
  if (k.min_p) {
    const zk = z.map((v, i) => (keep[i] ? v : -Infinity));
    const threshold = Math.max(...zk) + tt * Math.log(k.min_p);
    keep = keep.map((x, i) => x && zk[i] >= threshold);
  }
  return keep;
}

function describe(k, labels) { // helpers.sampling.Truncation.describe
  const parts = [];
  if (k.top_k !== null) parts.push(`top-k ${labels.top_k}`);
  if (k.top_p !== null) parts.push(`top-p ${labels.top_p}`);
  if (k.min_p !== null) parts.push(`min-p ${labels.min_p}`);
  if (!parts.length) return "no truncation";
  return parts.join(", ") + (k.temperature_last ? ", temperature last" : ", temperature first");
}

// --- what each chart shows (the same dictionaries as helpers.dashboard_logic) --------------

function temperatureState(m) {
  const z = m.get("logits"), labels = m.get("labels"), i = m.get("t_index");
  const t = m.get("temperatures")[i], tLabel = m.get("t_labels")[i];
  const order = argsortDesc(z).slice(0, Math.min(m.get("top_k"), z.length));
  const bins = (p) => {
    const top = order.map((j) => p[j]);
    const rest = pairwiseSum(p) - pairwiseSum(top);
    return [...top, Math.max(0, rest)];
  };
  const pt = softmax(z, t);
  const entropy = entropyBits(pt);
  return {
    t, labels: [...order.map((j) => labels[j]), "other"], probs: bins(pt), reference: bins(softmax(z, 1)),
    entropy_bits: entropy,
    title: `Next ${m.get("unit")} ${m.get("context")}: T = ${tLabel}, entropy ${entropy.toFixed(2)} bits`,
  };
}

function truncationState(m) {
  const z = m.get("logits"), labels = m.get("labels");
  const pick = (name) => m.get(name + "_stops")[m.get(name + "_index")];
  const label = (name) => m.get(name + "_labels")[m.get(name + "_index")];
  const t = m.get("temperatures")[m.get("t_index")];
  const knobs = { top_k: pick("top_k") || null, top_p: pick("top_p") < 1 ? pick("top_p") : null,
                  min_p: pick("min_p") || null, temperature_last: m.get("order_index") === 1 };
  const keep = truncationMask(z, t, knobs);
  const final = softmax(z.map((v, i) => (keep[i] ? v : -Infinity)), t);
  const untruncated = softmax(z, t), own = softmax(z, 1);
  const order = argsortDesc(z).slice(0, Math.min(m.get("top"), z.length));
  const count = keep.filter((x) => x).length, mass = pairwiseSum(own.filter((_, i) => keep[i]));
  const text = describe(knobs, { top_k: label("top_k"), top_p: label("top_p"), min_p: label("min_p") });
  return {
    t, labels: order.map((j) => labels[j]), final: order.map((j) => final[j]),
    untruncated: order.map((j) => untruncated[j]), kept: order.map((j) => keep[j]),
    kept_count: count, vocab_size: z.length, kept_mass: mass, entropy_bits: entropyBits(final),
    title: `Next ${m.get("unit")} ${m.get("context")}: T = ${m.get("t_labels")[m.get("t_index")]}, ${text}`,
  };
}

// --- drawing ------------------------------------------------------------------------------

function axes(svg, n, ylabel, xlabel, colors, pt) {
  const span = n - 1 + 0.8, lo = -0.4 - 0.05 * span, hi = n - 0.6 + 0.05 * span; // matplotlib's margins
  const x = (v) => BOX.left + ((v - lo) / (hi - lo)) * (BOX.right - BOX.left);
  const y = (p) => BOX.bottom - (p / Y_MAX) * (BOX.bottom - BOX.top);
  const grid = node(svg, "g", { class: "grid" });
  for (let k = 0; k <= 5; k++) {
    const v = k / 5;
    node(grid, "line", { x1: BOX.left, x2: BOX.right, y1: y(v), y2: y(v) });
    node(svg, "text", { x: BOX.left - 6, y: y(v), class: "tick", "text-anchor": "end",
                        "dominant-baseline": "middle", "font-size": `${pt - 1}pt` }, v.toFixed(1));
  }
  node(svg, "line", { x1: BOX.left, x2: BOX.left, y1: BOX.top, y2: BOX.bottom, class: "spine" });
  node(svg, "line", { x1: BOX.left, x2: BOX.right, y1: BOX.bottom, y2: BOX.bottom, class: "spine" });
  node(svg, "text", { x: 16, y: (BOX.top + BOX.bottom) / 2, class: "label", "text-anchor": "middle",
                      transform: `rotate(-90 16 ${(BOX.top + BOX.bottom) / 2})`, "font-size": `${pt}pt` }, ylabel);
  node(svg, "text", { x: (BOX.left + BOX.right) / 2, y: BOX.bottom + 46, class: "label", "text-anchor": "middle",
                      "font-size": `${pt}pt` }, xlabel);
  return { x, y, unit: (x(1) - x(0)), lo, hi };
}

function legend(svg, entries, pt) {
  let right = BOX.right - 4;
  for (const [text, attrs] of [...entries].reverse()) {
    const label = node(svg, "text", { x: right, y: BOX.top + 14, class: "legend", "text-anchor": "end",
                                      "dominant-baseline": "middle", "font-size": `${pt - 1}pt` }, text);
    const width = 0.47 * text.length * (pt - 1) * (4 / 3); // an estimate: el may not be in the page yet
    node(svg, "rect", { x: right - width - 30, y: BOX.top + 7, width: 22, height: 14, ...attrs });
    right -= width + 46;
  }
}

function plotBox(el, ax) { // where the bars are, for the browser tests' reading of the picture (CSS px)
  el.dataset.plot = JSON.stringify({ ...BOX, y_max: Y_MAX, width: W, height: H, x_lo: ax.lo, x_hi: ax.hi });
}

function frame(el, model) {
  el.replaceChildren();
  const svg = node(el, "svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H, class: "lesson-chart-svg" });
  svg.style.fontFamily = "DejaVu Sans, Arial, sans-serif";
  const colors = model.get("colors"), pt = model.get("font_pt");
  const title = node(svg, "text", { x: (BOX.left + BOX.right) / 2, y: BOX.top - 12, class: "title", "text-anchor": "middle" });
  return { svg, colors, pt, title };
}

function drawTemperature(el, model) {
  const { svg, colors, pt, title } = frame(el, model);
  title.setAttribute("font-size", `${pt + 1}pt`);
  const n = Math.min(model.get("top_k"), model.get("logits").length) + 1;
  const ax = axes(svg, n, "probability", `next ${model.get("unit")} (top by probability, then all others)`, colors, pt);
  const make = (width, fill, opacity) => Array.from({ length: n }, (_, i) => node(svg, "rect", {
    x: ax.x(i - width / 2), width: width * ax.unit, y: ax.y(0), height: 0, fill, "fill-opacity": opacity }));
  const reference = make(0.8, colors.model, 0.45), bars = make(0.5, colors.tempered, 1);
  plotBox(el, ax);
  const ticks = Array.from({ length: n }, (_, i) => node(svg, "text", { x: ax.x(i), y: BOX.bottom + 18, class: "tick",
    "text-anchor": "middle", "font-size": `${pt - 1}pt` }));
  legend(svg, [["T = 1 (model)", { fill: colors.model, "fill-opacity": 0.45 }], ["chosen T", { fill: colors.tempered }]], pt);
  return () => {
    const s = temperatureState(model);
    s.labels.forEach((l, i) => { ticks[i].textContent = l; });
    s.reference.forEach((p, i) => { reference[i].setAttribute("y", ax.y(p)); reference[i].setAttribute("height", ax.y(0) - ax.y(p)); });
    s.probs.forEach((p, i) => { bars[i].setAttribute("y", ax.y(p)); bars[i].setAttribute("height", ax.y(0) - ax.y(p)); });
    title.textContent = s.title;
    return s;
  };
}

function drawTruncation(el, model) {
  const { svg, colors, pt, title } = frame(el, model);
  title.setAttribute("font-size", `${pt - 1}pt`); // a long title, as the still's
  const n = Math.min(model.get("top"), model.get("logits").length);
  const ax = axes(svg, n, "probability", `next ${model.get("unit")} (the ${n} most likely, in the model's order)`, colors, pt);
  plotBox(el, ax);
  const defs = node(svg, "defs");
  const id = `hatch-${Math.random().toString(36).slice(2)}`;
  const pattern = node(defs, "pattern", { id, patternUnits: "userSpaceOnUse", width: 6, height: 6, patternTransform: "rotate(45)" });
  node(pattern, "rect", { width: 6, height: 6, fill: colors.cut });
  node(pattern, "line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: colors.cut_edge, "stroke-width": 1.5 });
  const cut = Array.from({ length: n }, (_, i) => node(svg, "rect", { x: ax.x(i - 0.35), width: 0.7 * ax.unit,
    y: ax.y(0), height: 0, fill: `url(#${id})`, stroke: colors.cut_edge, "stroke-width": 0.6 }));
  const kept = Array.from({ length: n }, (_, i) => node(svg, "rect", { x: ax.x(i - 0.35), width: 0.7 * ax.unit,
    y: ax.y(0), height: 0, fill: colors.tempered }));
  const ticks = Array.from({ length: n }, (_, i) => node(svg, "text", { x: ax.x(i), y: BOX.bottom + 18, class: "tick",
    "text-anchor": "middle", "font-size": `${pt - 1}pt` }));
  legend(svg, [["cut (its probability without truncation)", { fill: `url(#${id})`, stroke: colors.cut_edge }],
               ["kept (renormalised)", { fill: colors.tempered }]], pt);
  return () => {
    const s = truncationState(model);
    s.labels.forEach((l, i) => { ticks[i].textContent = l; });
    s.kept.forEach((k, i) => {
      const shown = k ? s.final[i] : s.untruncated[i];
      const [on, off] = k ? [kept[i], cut[i]] : [cut[i], kept[i]];
      on.setAttribute("y", ax.y(shown)); on.setAttribute("height", ax.y(0) - ax.y(shown)); on.style.display = "";
      off.style.display = "none";
    });
    title.textContent = s.title;
    return s;
  };
}

function render({ model, el }) {
  el.classList.add("lesson-chart");
  let redraw = null;
  const build = () => { redraw = (model.get("kind") === "truncation" ? drawTruncation : drawTemperature)(el, model); };
  const update = () => { el.dataset.state = JSON.stringify(redraw()); };
  const rebuild = () => { build(); update(); };
  rebuild();
  const fixed = ["logits", "labels", "context", "top_k", "top", "colors", "font_pt", "kind"];
  const moving = ["t_index", "top_k_index", "top_p_index", "min_p_index", "order_index"];
  for (const name of fixed) model.on(`change:${name}`, rebuild);
  for (const name of moving) model.on(`change:${name}`, update);
  // Follow the knobs in the page: each followed control's index is copied into this model locally
  // (model.set without save_changes: nothing goes to the kernel), which redraws the bars at once.
  const unfollow = [];
  for (const [trait, ref] of Object.entries(model.get("sources") || {})) {
    model.widget_manager.get_model(ref.replace(/^IPY_MODEL_/, "")).then((control) => {
      const follow = () => model.set(trait, control.get("index"));
      control.on("change:index", follow);
      unfollow.push(() => control.off("change:index", follow));
      follow();
    });
  }
  return () => {
    for (const name of fixed) model.off(`change:${name}`, rebuild);
    for (const name of moving) model.off(`change:${name}`, update);
    for (const off of unfollow) off();
  };
}

export default { render };
// For the unit tests (tests/test_dashboard.py runs them with Node.js where it is installed).
export { pairwiseSum, argsortDesc, softmax, entropyBits, truncationMask, temperatureState, truncationState };

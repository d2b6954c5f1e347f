// kgym's trace viewer, plain JavaScript (no build step, no library, nothing fetched from
// elsewhere). Views: the run list with jobs (#/), one run live (#/run/ID), two runs side by
// side (#/compare/A/B).
"use strict";

const COMMON = new Set(["run_id", "node", "hypothesis", "event", "ts", "duration_s",
  "input_tokens", "output_tokens", "cost_usd"]);
const GOOD = new Set(["resolved", "true", "finished", "approve", "no_crash"]);
const BAD = new Set(["false", "failed", "stopped", "cancelled", "interrupted", "same_crash",
  "other_crash", "build_error", "no_patch", "rejected", "reject", "boot_error", "apply_error",
  "infra_error", "crashed", "boot_failure", "no_output", "lost_connection", "timeout"]);
const KINDS = ["node", "llm", "compile", "build", "boot", "run"];
const KIND_NAMES = { node: "agent span", llm: "LLM", compile: "compile check", build: "build",
  boot: "VM boot", run: "reproducer run" };
const LIST_REFRESH_MS = 3000;
const DETAIL_DEBOUNCE_MS = 400;
const SVG = "http://www.w3.org/2000/svg";

const view = document.getElementById("view");
let cleanup = () => {};

// --- small helpers -----------------------------------------------------------------

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  return fill(el, attrs, children);
}

function s(tag, attrs = {}, ...children) {
  return fill(document.createElementNS(SVG, tag), attrs, children);
}

function fill(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

function badge(value) {
  const text = String(value);
  const cls = GOOD.has(text) ? "good" : BAD.has(text) ? "bad" : text === "running" ? "running"
    : "warn";
  return h("span", { class: `badge ${cls}` }, text);
}

const when = (ts) => (ts ? new Date(ts * 1000).toLocaleString() : "—");
const secs = (v) => (v === null || v === undefined ? "" : v < 10 ? `${v.toFixed(2)} s`
  : v < 60 ? `${v.toFixed(1)} s` : `${Math.floor(v / 60)} m ${Math.round(v % 60)} s`);
const money = (v) => `$${(v || 0).toFixed(4)}`;
const short = (v, n = 200) => {
  const t = typeof v === "string" ? v : typeof v === "number" && !Number.isInteger(v)
    ? String(+v.toFixed(3)) : JSON.stringify(v);
  return t.length > n ? t.slice(0, n) + "…" : t;
};
const runLink = (id) => h("a", { href: `#/run/${encodeURIComponent(id)}`, class: "mono" }, id);

// --- the token (asked once, kept in this browser) -------------------------------------

const TOKEN_KEY = "kgym-token";

function token() { return localStorage.getItem(TOKEN_KEY) || ""; }

function askToken(message) {
  const bar = document.getElementById("token-bar");
  bar.hidden = false;
  document.getElementById("token-why").textContent = message || "";
  document.getElementById("token-input").focus();
}

function setupToken() {
  const form = document.getElementById("token-form");
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const value = document.getElementById("token-input").value.trim();
    if (!value) return;
    localStorage.setItem(TOKEN_KEY, value);
    document.getElementById("token-bar").hidden = true;
  });
  if (!token()) askToken("Starting, cancelling and reviewing need the token kgym serve printed.");
}

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (options.method && options.method !== "GET") {
    if (!token()) {
      askToken("This needs the service token.");
      throw new Error("enter the service token (kgym serve printed it), then try again");
    }
    headers.Authorization = `Bearer ${token()}`;
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
  }
  const response = await fetch(path, { ...options, headers });
  const body = await response.json().catch(() => ({ error: response.statusText }));
  if (response.status === 401) {
    localStorage.removeItem(TOKEN_KEY);
    askToken("The token was refused; enter the one kgym serve printed.");
  }
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

// --- unified diffs -----------------------------------------------------------------

function diffView(text) {
  const table = h("table", { class: "diff" });
  let oldNo = 0;
  let newNo = 0;
  for (const line of text.replace(/\n$/, "").split("\n")) {
    let m;
    if (line.startsWith("--- ")) continue;
    if (line.startsWith("+++ ")) {
      table.append(h("tr", { class: "file" }, h("td", { colspan: 3 },
        line.slice(4).replace(/^b\//, ""))));
    } else if ((m = line.match(/^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@(.*)$/))) {
      oldNo = Number(m[1]);
      newNo = Number(m[2]);
      table.append(h("tr", { class: "hunk" }, h("td", {}, "…"), h("td", {}, "…"),
        h("td", {}, line)));
    } else if (line.startsWith("+")) {
      table.append(h("tr", { class: "add" }, h("td", {}), h("td", {}, newNo++),
        h("td", {}, line)));
    } else if (line.startsWith("-")) {
      table.append(h("tr", { class: "del" }, h("td", {}, oldNo++), h("td", {}),
        h("td", {}, line)));
    } else if (!line.startsWith("\\")) {
      table.append(h("tr", {}, h("td", {}, oldNo++), h("td", {}, newNo++), h("td", {}, line)));
    }
  }
  return table;
}

// --- the graph, from LangGraph's compiled graph ---------------------------------------

const NODE_W = 104;
const NODE_H = 34;
const COL_W = 138;
const ROW_H = 58;

function graphView(shape) {
  const byLayer = new Map();
  for (const n of shape.nodes) {
    if (!byLayer.has(n.layer)) byLayer.set(n.layer, []);
    byLayer.get(n.layer).push(n.id);
  }
  const tallest = Math.max(...[...byLayer.values()].map((l) => l.length));
  const pos = new Map();
  for (const [layer, ids] of byLayer) {
    ids.forEach((id, i) => pos.set(id, {
      x: 12 + layer * COL_W,
      y: 34 + (i + (tallest - ids.length) / 2) * ROW_H,
    }));
  }
  const width = 24 + (byLayer.size - 1) * COL_W + NODE_W;
  const height = 34 + tallest * ROW_H + 6;
  const svg = s("svg", { id: "graph", viewBox: `0 0 ${width} ${height}`, width: "100%",
    style: `max-width: ${width}px`,
    role: "img", "aria-label": "the agent's graph" });
  svg.append(s("defs", {}, s("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5,
    markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
  s("path", { d: "M0,0 L10,5 L0,10 z", class: "arrowhead" }))));
  for (const e of shape.edges) {
    const a = pos.get(e.source);
    const b = pos.get(e.target);
    let d;
    if (e.back) {  // a loop back: an arc over the nodes
      const high = Math.min(a.y, b.y) - 26;
      d = `M${a.x + NODE_W / 2},${a.y} C${a.x + NODE_W / 2},${high} ` +
        `${b.x + NODE_W / 2},${high} ${b.x + NODE_W / 2},${b.y}`;
    } else {
      const x1 = a.x + NODE_W;
      const y1 = a.y + NODE_H / 2;
      const x2 = b.x;
      const y2 = b.y + NODE_H / 2;
      const mid = (x1 + x2) / 2;
      d = `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`;
    }
    svg.append(s("path", { d, class: `edge${e.conditional ? " conditional" : ""}`,
      "marker-end": "url(#arrow)", "data-source": e.source, "data-target": e.target }));
  }
  for (const n of shape.nodes) {
    const p = pos.get(n.id);
    const terminal = n.id.startsWith("__");
    const label = terminal ? n.id.replaceAll("_", "") : n.id;
    svg.append(s("g", { class: `gnode${terminal ? " terminal" : ""}`, "data-node": n.id,
      transform: `translate(${p.x},${p.y})` },
    s("rect", { width: NODE_W, height: NODE_H, rx: terminal ? 17 : 6 }),
    s("text", { x: NODE_W / 2, y: NODE_H / 2 + 4, "text-anchor": "middle" }, label),
    s("text", { x: NODE_W / 2, y: NODE_H + 12, "text-anchor": "middle", class: "count" }, "")));
  }
  return svg;
}

function markGraph(svg, seen, active) {
  for (const g of svg.querySelectorAll(".gnode")) {
    const id = g.dataset.node;
    g.classList.toggle("seen", seen.has(id));
    g.classList.toggle("active", active.has(id));
    g.querySelector(".count").textContent = seen.get(id) ? `${seen.get(id)} event(s)` : "";
  }
}

// --- the Gantt timeline --------------------------------------------------------------

const LABEL_W = 84;
const BAR_H = 13;
const GAP = 3;

function packRows(bars) {
  // Overlapping bars of one kind go on separate sub-rows.
  const rows = [];
  for (const b of [...bars].sort((x, y) => x.start - y.start)) {
    let row = rows.find((r) => r[r.length - 1].end <= b.start + 1e-6);
    if (!row) rows.push((row = []));
    row.push(b);
  }
  return rows;
}

function ganttView(timeline, width) {
  const span = Math.max(timeline.t1, 1);
  const plotW = width - LABEL_W - 30;
  const x = (t) => LABEL_W + (t / span) * plotW;
  const parts = [];
  let y = 22;
  for (const lane of timeline.lanes) {
    const top = y;
    parts.push(s("text", { x: 4, y: y + 12, class: "lane-name" }, lane.lane === "run"
      ? "run (no hypothesis)" : `hypothesis ${lane.lane}`));
    y += 17;
    for (const kind of KINDS) {
      const bars = lane.bars.filter((b) => b.kind === kind);
      if (!bars.length) continue;
      for (const row of packRows(bars)) {
        parts.push(s("text", { x: LABEL_W - 6, y: y + 10, "text-anchor": "end",
          class: "kind-name" }, KIND_NAMES[kind]));
        for (const b of row) {
          const bx = x(b.start);
          const bw = Math.max(x(b.end) - bx, 2);
          const failed = b.error || b.ok === false;
          const state = b.open ? " (running)" : b.unended ? " (no end recorded)" : "";
          const title = `${b.label}: ${secs(b.end - b.start)}${state}` +
            `${b.outcome ? ` — ${b.outcome}` : ""}${b.error ? ` — ${b.error}` : ""}`;
          parts.push(s("g", { class: `bar kind-${kind}${b.open ? " open" : ""}` +
            `${b.unended ? " unended" : ""}` +
            `${failed ? " failed" : ""}`, "data-kind": kind, "data-lane": lane.lane },
          s("rect", { x: bx, y, width: bw, height: BAR_H, rx: 2 }),
          bw > 60 ? s("text", { x: bx + 3, y: y + 10 }, short(b.label, Math.floor(bw / 6.5)))
            : "",
          s("title", {}, title)));
        }
        y += BAR_H + GAP;
      }
    }
    y += 6;
    parts.unshift(s("rect", { x: 0, y: top, width, height: y - top - 3, class: "lane-bg" }));
  }
  const ticks = [];
  const step = niceStep(span / 8);
  for (let t = 0; t <= span + 1e-9; t += step) {
    ticks.push(s("line", { x1: x(t), x2: x(t), y1: 16, y2: y, class: "tick" }),
      s("text", { x: x(t), y: 12, "text-anchor": "middle", class: "tick-label" }, secs(t)));
  }
  return s("svg", { id: "gantt", width, height: y + 4, viewBox: `0 0 ${width} ${y + 4}` },
    ...ticks, ...parts);
}

function niceStep(raw) {
  const p = 10 ** Math.floor(Math.log10(Math.max(raw, 1e-3)));
  return [1, 2, 5, 10].map((m) => m * p).find((v) => v >= raw) || raw;
}

function legend() {
  return h("div", { class: "legend" }, KINDS.map((k) =>
    h("span", {}, h("i", { class: `swatch kind-${k}` }), KIND_NAMES[k])),
  h("span", {}, h("i", { class: "swatch open" }), "still running"),
  h("span", {}, h("i", { class: "swatch unended" }), "no end recorded"));
}

// --- a hypothesis: patch, verdict, crash reports --------------------------------------

const FRAMES_SHOWN = 8;

function frameItem(f) {
  return h("li", { class: "mono" }, f.function, f.offset ? h("span", { class: "dim" },
    `+${f.offset}`) : "", f.file ? h("span", { class: "dim" },
    ` ${f.file}${f.line ? `:${f.line}` : ""}`) : "");
}

function reportView(run, repeated = false) {
  const r = repeated ? null : run.report;
  const head = h("div", { class: "run-head" }, `run ${run.index ?? ""} `, badge(run.outcome || "?"),
    " ", run.title ? h("b", { class: "crash-title" }, run.title) : h("span", { class: "dim" },
      "no crash"),
    run.console ? [" · ", h("a", { href: run.console, target: "_blank", class: "console" },
      "console log")] : "");
  if (!r) return h("div", { class: "run" }, head, repeated ? h("span", { class: "dim" },
    " (the same report as above)") : run.message ? h("div", { class: "dim" }, run.message)
    : "");
  const frames = r.frames || [];
  return h("div", { class: "run crash" }, head,
    h("ol", { class: "frames" }, frames.slice(0, FRAMES_SHOWN).map(frameItem)),
    frames.length > FRAMES_SHOWN ? h("details", {}, h("summary", {},
      `${frames.length - FRAMES_SHOWN} more frames`), h("ol", { class: "frames",
      start: FRAMES_SHOWN + 1 }, frames.slice(FRAMES_SHOWN).map(frameItem))) : "",
    r.text ? h("details", {}, h("summary", {}, "report text"),
      h("pre", { class: "report" }, r.text)) : "");
}

function hypothesisCard(hyp, onReview) {
  const head = h("h3", {}, h("span", { class: "mono" }, hyp.id),
    hyp.outcome ? badge(hyp.outcome) : h("span", { class: "badge running" }, "in progress"));
  const body = [
    h("div", { class: "about" }, h("b", {}, hyp.root_cause || ""), " ",
      hyp.location ? h("span", { class: "mono dim" }, hyp.location) : ""),
    hyp.fix_idea ? h("div", { class: "dim idea" }, hyp.fix_idea) : "",
  ];
  if (hyp.review) body.push(reviewView(hyp, onReview));
  if (hyp.patch) body.push(h("div", { class: "patch-block" }, diffView(hyp.patch)));
  if (hyp.compile_errors && hyp.compile_errors.length) {
    body.push(h("pre", { class: "errors" }, hyp.compile_errors.slice(0, 10).join("\n")));
  }
  if (hyp.outcome || hyp.runs.length) {
    body.push(h("div", { class: "verdict" }, h("div", {}, h("b", {}, "verdict "),
      hyp.outcome ? badge(hyp.outcome) : "…", " ",
      h("span", { class: "feedback" }, hyp.compile_errors && hyp.compile_errors.length
        ? (hyp.feedback || "").split("\n")[0] : hyp.feedback || "")), runsView(hyp.runs)));
  }
  return h("section", { class: "card hyp", "data-hypothesis": hyp.id }, head, body);
}

function runsView(runs) {
  // A crash report that repeats an earlier run's title is shown by its head line only.
  const seen = new Set();
  return runs.map((run) => {
    const repeated = Boolean(run.report && seen.has(run.title));
    if (run.title) seen.add(run.title);
    return reportView(run, repeated);
  });
}

function reviewView(hyp, onReview) {
  const r = hyp.review;
  if (r.answer) {
    return h("div", { class: "review done" }, "reviewed: ", badge(r.answer.action));
  }
  const area = h("textarea", { rows: 8, class: "mono", spellcheck: "false" }, r.patch || "");
  const error = h("div", { class: "error" });
  const send = (action) => async () => {
    const answer = action === "edit" ? { action, patch: area.value } : { action };
    try { await onReview(hyp.id, answer); } catch (e) { error.textContent = e.message; }
  };
  return h("div", { class: "review pending" },
    h("b", {}, "Waiting for your review of this patch"),
    h("details", {}, h("summary", {}, "edit the patch"), area),
    h("div", { class: "buttons" },
      h("button", { class: "approve", onclick: send("approve") }, "Approve"),
      h("button", { class: "edit", onclick: send("edit") }, "Approve edited"),
      h("button", { class: "reject", onclick: send("reject") }, "Reject")), error);
}

function usageTable(rows) {
  if (!rows.length) return h("p", { class: "dim" }, "No tokens spent yet.");
  const total = rows.reduce((t, r) => ({ input_tokens: t.input_tokens + r.input_tokens,
    output_tokens: t.output_tokens + r.output_tokens, cost_usd: t.cost_usd + r.cost_usd,
    llm_s: t.llm_s + r.llm_s }), { input_tokens: 0, output_tokens: 0, cost_usd: 0, llm_s: 0 });
  const line = (r, name, cls) => h("tr", { class: cls }, h("td", { class: "mono" }, name),
    h("td", { class: "num" }, r.input_tokens.toLocaleString()),
    h("td", { class: "num" }, r.output_tokens.toLocaleString()),
    h("td", { class: "num" }, money(r.cost_usd)), h("td", { class: "num" }, secs(r.llm_s)));
  return h("table", { id: "usage" },
    h("tr", {}, h("th", {}, "node"), ["in", "out", "cost", "model time"].map((t) =>
      h("th", { class: "num" }, t))),
    rows.map((r) => line(r, r.node)), line(total, "total", "total"));
}

function summaryView(run) {
  const item = (label, value) => h("div", {}, h("span", {}, label), value);
  return h("div", { class: "summary" },
    item("bug", run.bug || "?"), item("status", badge(run.status)),
    item("resolved", run.resolved === null ? "—" : badge(String(run.resolved))),
    item("started", when(run.started)),
    item("duration", run.duration_s !== null ? secs(run.duration_s) : "—"),
    item("tokens", run.tokens.toLocaleString()), item("cost", money(run.cost_usd)),
    item("model", run.model || "—"), item("events", run.events),
    run.reason ? item("reason", run.reason) : "");
}

function eventTable(events) {
  const t0 = events.length ? events[0].ts : 0;
  return h("table", { class: "events" }, events.slice(-400).map((e) => h("tr", {},
    h("td", { class: "num dim" }, `+${(e.ts - t0).toFixed(1)}s`),
    h("td", { class: "mono" }, e.node), h("td", { class: "mono" }, e.hypothesis || ""),
    h("td", {}, h("b", {}, e.event), e.duration_s ? h("span", { class: "dim" },
      ` ${secs(e.duration_s)}`) : ""),
    h("td", { class: "fields" }, Object.entries(e).filter(([k]) => !COMMON.has(k))
      .map(([k, v]) => [h("b", {}, k), "=", short(v, 120), "  "])))));
}

// --- drawing only what changed ------------------------------------------------------
// A section whose data is the same as when it was drawn keeps its nodes, so an opened
// <details>, a half-edited review or a selection survives the next event.

const drawnFrom = new WeakMap();  // element -> the JSON of the data it was drawn from

function redraw(el, data, make) {
  const text = JSON.stringify(data);
  if (drawnFrom.get(el) === text) return;
  drawnFrom.set(el, text);
  el.replaceChildren(...[make()].flat());
}

// Hypothesis cards, one per item and keyed by its id: only the cards whose data changed
// are drawn again.
function redrawCards(el, items, make, empty) {
  if (!items.length) { redraw(el, [], empty); return; }
  drawnFrom.delete(el);
  const old = new Map([...el.children].map((c) => [c.dataset.hypothesis, c]));
  const cards = items.map((x) => {
    const text = JSON.stringify(x);
    const kept = old.get(x.id);
    if (kept && drawnFrom.get(kept) === text) return kept;
    const card = make(x);
    drawnFrom.set(card, text);
    return card;
  });
  const same = cards.length === el.children.length && cards.every((c, i) => c === el.children[i]);
  if (!same) el.replaceChildren(...cards);
}

// --- one run, live -----------------------------------------------------------------

async function showRun(runId) {
  const url = `/api/runs/${encodeURIComponent(runId)}`;
  const shape = await api("/api/graph");
  const graph = graphView(shape);
  const summary = h("div", {});
  const error = h("div", { class: "error" });
  const reviews = h("div", { id: "reviews" });
  const usage = h("div", {});
  const gantt = h("div", { class: "gantt-box" });
  const bugRuns = h("div", {});
  const hyps = h("div", { class: "hyps", id: "hypotheses" });
  const log = h("div", {});
  const now = h("span", { id: "now", class: "mono" }, "");
  view.replaceChildren(
    h("h2", {}, "Run ", h("span", { class: "mono" }, runId)), summary, error, reviews,
    h("div", { class: "split" },
      h("section", { class: "card" }, h("h3", {}, "Graph ", h("span", { class: "dim" },
        "(LangGraph get_graph) now: "), now), h("div", { class: "graph-box" }, graph)),
      h("section", { class: "card" }, h("h3", {}, "Tokens and cost per node"), usage)),
    h("section", { class: "card" }, h("h3", {}, "Timeline per hypothesis"), legend(), gantt),
    h("h2", {}, "Hypotheses"), hyps,
    h("h2", {}, "Reproducing the bug"), bugRuns,
    h("details", { class: "log" }, h("summary", {}, "all events"), log));

  const seen = new Map();
  const open = new Map();  // span key -> node
  const nodeIds = new Set(shape.nodes.map((n) => n.id));
  const inGraph = (node) => (shape.aliases || {})[node] || node;  // trace node -> graph node
  let detail = null;

  function live(e) {
    seen.set(inGraph(e.node), (seen.get(inGraph(e.node)) || 0) + 1);
    const name = String(e.event);
    const key = `${e.node}|${e.hypothesis}|${name.replace(/\.(start|end)$/, "")}`;
    if (name.endsWith(".start")) open.set(key, inGraph(e.node));
    else if (name.endsWith(".end")) open.delete(key);
    const active = new Set([...open.values()].filter((n) => nodeIds.has(n)));
    markGraph(graph, seen, active);
    now.textContent = [...active].join(", ") || (detail && detail.run.status === "finished"
      ? "finished" : `${e.node}: ${e.event}`);
  }

  async function answer(hypothesis, body) {
    await api(`${url}/reviews/${encodeURIComponent(hypothesis)}`, { method: "POST",
      body: JSON.stringify(body) });
    await load();
  }

  function drawGantt() {
    if (!detail) return;
    const t = detail.timeline;
    if (detail.run.status === "running" && t.t0) {  // open spans grow until they end
      const now = Date.now() / 1000 - t.t0;
      t.t1 = Math.max(t.t1, now);
      for (const lane of t.lanes) for (const b of lane.bars) if (b.open) b.end = Math.max(b.end, now);
    }
    gantt.replaceChildren(t.lanes.length ? ganttView(t, Math.max(gantt.clientWidth || 900, 600))
      : h("p", { class: "dim" }, "No events yet."));
  }

  async function load() {
    try {
      detail = await api(url);
    } catch (e) { error.textContent = e.message; return; }
    error.textContent = "";
    const d = detail;
    redraw(summary, d.run, () => summaryView(d.run));
    redraw(usage, d.usage, () => usageTable(d.usage));
    drawGantt();
    redrawCards(hyps, d.hypotheses, (x) => hypothesisCard(x, answer),
      () => h("p", { class: "dim" }, "No hypotheses yet."));
    redraw(bugRuns, d.bug_runs, () => (d.bug_runs.length ? runsView(d.bug_runs)
      : h("p", { class: "dim" }, "No run of the unpatched kernel here.")));
    const pending = d.reviews.filter((r) => !r.answer);
    redraw(reviews, pending, () => (pending.length ? h("div", { class: "review-banner" },
      `${pending.length} patch(es) wait for your review: `, pending.map((r) =>
        h("a", { href: `#hyp-${r.hypothesis}`, onclick: (ev) => { ev.preventDefault();
          document.querySelector(`[data-hypothesis="${r.hypothesis}"]`)?.scrollIntoView(); } },
        r.hypothesis, " "))) : []));
    redraw(log, d.events.length, () => eventTable(d.events));  // events are only appended
    if (d.run.status !== "running") {
      for (const k of [...open.keys()]) open.delete(k);
      markGraph(graph, seen, new Set());
      now.textContent = d.run.status;
    }
    view.dataset.status = d.run.status;
  }

  await load();
  for (const e of detail ? detail.events : []) live(e);
  const source = new EventSource(`${url}/events/stream?after=${detail ? detail.events.length
    : 0}`);
  let pending = null;
  source.onmessage = (m) => {
    live(JSON.parse(m.data));
    clearTimeout(pending);
    pending = setTimeout(load, DETAIL_DEBOUNCE_MS);
  };
  source.addEventListener("end", () => { source.close(); load(); });
  source.onerror = () => { if (source.readyState === EventSource.CLOSED) load(); };
  const timer = setInterval(() => {
    if (detail && detail.reviews.some((r) => !r.answer)) load();
    else if (detail && detail.run.status === "running") drawGantt();
  }, 2000);
  return () => { source.close(); clearTimeout(pending); clearInterval(timer); };
}

// --- two runs side by side ------------------------------------------------------------

async function showCompare(a, b) {
  const [ra, rb] = await Promise.all([a, b].map((id) =>
    api(`/api/runs/${encodeURIComponent(id)}`)));
  const column = (d) => h("section", { class: "card compare-col", "data-run": d.run.run_id },
    h("h3", {}, runLink(d.run.run_id)), summaryView(d.run),
    h("table", {}, h("tr", {}, ["hypothesis", "root cause", "outcome", "patch lines"].map((t) =>
      h("th", {}, t))),
    d.hypotheses.map((x) => h("tr", {}, h("td", { class: "mono" }, x.id),
      h("td", {}, x.root_cause || ""), h("td", {}, x.outcome ? badge(x.outcome) : "…"),
      h("td", { class: "num" }, x.patch ? x.patch.split("\n").length : 0)))),
    h("h4", {}, "Tokens and cost per node"), usageTable(d.usage),
    h("h4", {}, "Timeline"), ganttView(d.timeline, 640));
  view.replaceChildren(h("h2", {}, "Two runs side by side"),
    h("div", { class: "compare" }, column(ra), column(rb)));
}

// --- the run list and jobs ---------------------------------------------------------

async function showList() {
  const error = h("div", { class: "error" });
  const form = h("form", { class: "job", onsubmit: startJob },
    h("label", {}, "bug (SUITE/ID or id)", h("input", { name: "bug", required: true,
      placeholder: "kbench-6.1/mpol-parse-str" })),
    h("label", {}, "hypotheses", h("input", { name: "hypotheses", type: "number", min: 1,
      max: 16, value: 3 })),
    h("label", {}, "iterations", h("input", { name: "max_iterations", type: "number", min: 1,
      max: 20, value: 2 })),
    h("label", { class: "check" }, h("input", { name: "human", type: "checkbox" }),
      "review each patch here"),
    h("button", { type: "submit" }, "Start kgym fix"));
  const jobs = h("div");
  const runs = h("div", {}, h("p", { class: "dim" }, "loading…"));
  const chosen = new Set();
  const compare = h("button", { id: "compare", disabled: true, onclick: () => {
    const [a, b] = [...chosen];
    location.hash = `#/compare/${encodeURIComponent(a)}/${encodeURIComponent(b)}`;
  } }, "Compare the two chosen runs");
  view.replaceChildren(h("h2", {}, "Start a repair job"), form, error,
    h("h2", {}, "Jobs"), jobs, h("h2", {}, "Runs ", compare), runs);

  async function startJob(ev) {
    ev.preventDefault();
    const data = new FormData(form);
    const body = { bug: data.get("bug").trim(), human: data.get("human") === "on" };
    for (const k of ["hypotheses", "max_iterations"]) {
      if (data.get(k)) body[k] = Number(data.get(k));
    }
    try {
      const job = await api("/api/jobs", { method: "POST", body: JSON.stringify(body) });
      location.hash = `#/run/${encodeURIComponent(job.run_id)}`;
    } catch (e) { error.textContent = e.message; }
  }

  function choose(id, on) {
    if (on) chosen.add(id); else chosen.delete(id);
    compare.disabled = chosen.size !== 2;
  }

  async function refresh() {
    try {
      const [r, j] = await Promise.all([api("/api/runs"), api("/api/jobs")]);
      runs.replaceChildren(runTable(r.runs, chosen, choose));
      jobs.replaceChildren(j.jobs.length ? jobTable(j.jobs, refresh)
        : h("p", { class: "dim" }, "No jobs started by this service yet."));
    } catch (e) { error.textContent = e.message; }
  }
  await refresh();
  const timer = setInterval(refresh, LIST_REFRESH_MS);
  return () => clearInterval(timer);
}

function runTable(runs, chosen, choose) {
  if (!runs.length) return h("p", { class: "dim" }, "No runs yet.");
  return h("table", { id: "runs" },
    h("tr", {}, h("th", {}, ""), ["run", "bug", "started", "last event", "status", "resolved"]
      .map((t) => h("th", {}, t)), h("th", { class: "num" }, "tokens"),
    h("th", { class: "num" }, "cost")),
    runs.map((r) => h("tr", {},
      h("td", {}, h("input", { type: "checkbox", checked: chosen.has(r.run_id),
        "data-run": r.run_id, onchange: (ev) => choose(r.run_id, ev.target.checked) })),
      h("td", { class: "mono" }, runLink(r.run_id)),
      h("td", {}, r.bug || "?"), h("td", {}, when(r.started)),
      h("td", { class: "mono" }, r.last_event ? `${r.last_event.node} ${r.last_event.event}` : ""),
      h("td", {}, badge(r.status)),
      h("td", {}, r.resolved === null ? "" : badge(String(r.resolved))),
      h("td", { class: "num" }, r.tokens.toLocaleString()),
      h("td", { class: "num" }, money(r.cost_usd)))));
}

function jobTable(jobs, refresh) {
  return h("table", { id: "jobs" },
    h("tr", {}, ["job", "bug", "state", "exit", "started", "run", "result", ""].map((t) =>
      h("th", {}, t))),
    jobs.map((j) => h("tr", {},
      h("td", { class: "mono" }, j.job_id), h("td", {}, j.bug), h("td", {}, badge(j.state)),
      h("td", {}, j.exit_code ?? ""), h("td", {}, when(j.started)),
      h("td", {}, runLink(j.run_id)),
      h("td", {}, j.result ? (j.result.error ? h("span", { class: "bad" }, short(j.result.error))
        : `resolved=${j.result.resolved}`) : ""),
      h("td", {}, j.state === "running" ? h("button", { onclick: async () => {
        await api(`/api/jobs/${j.job_id}`, { method: "DELETE" }).catch((e) => alert(e.message));
        refresh();
      } }, "Cancel") : ""))));
}

// --- routing -----------------------------------------------------------------------

let generation = 0;

async function route() {
  cleanup();
  cleanup = () => {};
  const mine = ++generation;
  const run = location.hash.match(/^#\/run\/(.+)$/);
  const cmp = location.hash.match(/^#\/compare\/([^/]+)\/([^/]+)$/);
  let stop;
  try {
    stop = await (run ? showRun(decodeURIComponent(run[1]))
      : cmp ? showCompare(decodeURIComponent(cmp[1]), decodeURIComponent(cmp[2]))
        : showList());
  } catch (e) {
    view.replaceChildren(h("div", { class: "error" }, e.message));
  }
  stop = stop || (() => {});
  if (mine === generation) cleanup = stop;
  else stop();  // the user moved on while this view was loading
}

setupToken();
window.addEventListener("hashchange", route);
route();

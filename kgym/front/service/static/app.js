// kgym's trace viewer: the run list with jobs (#/), and one run's live timeline (#/run/ID).
"use strict";

const COMMON = new Set(["run_id", "node", "hypothesis", "event", "ts", "duration_s",
  "input_tokens", "output_tokens", "cost_usd"]);
const SHOWN_APART = new Set(["feedback", "patch", "root_cause", "location"]);
const GOOD = new Set(["resolved", "true", "finished"]);
const BAD = new Set(["false", "failed", "stopped", "cancelled", "same_crash", "other_crash",
  "build_error", "no_patch", "rejected", "boot_error", "apply_error", "infra_error"]);
const LIST_REFRESH_MS = 3000;

const view = document.getElementById("view");
let cleanup = () => {};

// --- small helpers -----------------------------------------------------------------

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c !== null && c !== undefined && c !== false) {
      el.append(c instanceof Node ? c : String(c));
    }
  }
  return el;
}

function badge(value) {
  const text = String(value);
  const cls = GOOD.has(text) ? "good" : BAD.has(text) ? "bad" : text === "running" ? "running" : "warn";
  return h("span", { class: `badge ${cls}` }, text);
}

const when = (ts) => (ts ? new Date(ts * 1000).toLocaleString() : "—");
const secs = (s) => (s === null || s === undefined ? "" : s < 60 ? `${s.toFixed(2)} s` :
  `${Math.floor(s / 60)} m ${Math.round(s % 60)} s`);
const tokens = (e) => (e.input_tokens || 0) + (e.output_tokens || 0);
const short = (v, n = 200) => {
  const t = typeof v === "string" ? v : typeof v === "number" && !Number.isInteger(v)
    ? String(+v.toFixed(3)) : JSON.stringify(v);
  return t.length > n ? t.slice(0, n) + "…" : t; };

async function api(path, options) {
  const response = await fetch(path, options);
  const body = await response.json().catch(() => ({ error: response.statusText }));
  if (!response.ok) throw new Error(body.error || response.statusText);
  return body;
}

function patchBlock(text, label = "patch") {
  const pre = h("pre", { class: "patch" });
  for (const line of text.split("\n")) {
    const cls = line.startsWith("@@") ? "hunk" : line.startsWith("+") && !line.startsWith("+++")
      ? "add" : line.startsWith("-") && !line.startsWith("---") ? "del" : null;
    pre.append(cls ? h("span", { class: cls }, line) : line, "\n");
  }
  return h("details", {}, h("summary", {}, `${label} (${text.split("\n").length} lines)`), pre);
}

// --- the run list and jobs ---------------------------------------------------------

async function showList() {
  const error = h("div", { class: "error" });
  const form = h("form", { class: "job", onsubmit: startJob },
    h("label", {}, "bug (SUITE/ID, id or directory)", h("input", { name: "bug", required: true,
      placeholder: "kbench-6.1/mpol-parse-str" })),
    h("label", {}, "hypotheses", h("input", { name: "hypotheses", type: "number", min: 1, max: 16,
      value: 2 })),
    h("label", {}, "iterations", h("input", { name: "max_iterations", type: "number", min: 1,
      max: 20, value: 2 })),
    h("button", { type: "submit" }, "Start kgym fix"));
  const jobs = h("div");
  const runs = h("div", {}, h("p", { class: "dim" }, "loading…"));
  view.replaceChildren(h("h2", {}, "Start a repair job"), form, error,
    h("h2", {}, "Jobs"), jobs, h("h2", {}, "Runs"), runs);

  async function startJob(ev) {
    ev.preventDefault();
    const data = new FormData(form);
    const body = { bug: data.get("bug").trim() };
    for (const k of ["hypotheses", "max_iterations"]) if (data.get(k)) body[k] = Number(data.get(k));
    try {
      const job = await api("/api/jobs", { method: "POST", body: JSON.stringify(body),
        headers: { "Content-Type": "application/json" } });
      location.hash = `#/run/${encodeURIComponent(job.run_id)}`;
    } catch (e) { error.textContent = e.message; }
  }

  async function refresh() {
    try {
      const [r, j] = await Promise.all([api("/api/runs"), api("/api/jobs")]);
      runs.replaceChildren(runTable(r.runs));
      jobs.replaceChildren(j.jobs.length ? jobTable(j.jobs, refresh)
        : h("p", { class: "dim" }, "No jobs started by this service yet."));
    } catch (e) { error.textContent = e.message; }
  }
  await refresh();
  const timer = setInterval(refresh, LIST_REFRESH_MS);
  return () => clearInterval(timer);
}

function runTable(runs) {
  if (!runs.length) return h("p", { class: "dim" }, "No runs yet.");
  return h("table", {},
    h("tr", {}, ["run", "bug", "started", "last event", "status", "resolved"].map((t) => h("th", {}, t)),
      h("th", { class: "num" }, "tokens"), h("th", { class: "num" }, "cost")),
    runs.map((r) => h("tr", {},
      h("td", { class: "mono" }, h("a", { href: `#/run/${encodeURIComponent(r.run_id)}` }, r.run_id)),
      h("td", {}, r.bug || "?"),
      h("td", {}, when(r.started)),
      h("td", { class: "mono" }, r.last_event ? `${r.last_event.node} ${r.last_event.event}` : ""),
      h("td", {}, badge(r.status)),
      h("td", {}, r.resolved === null ? "" : badge(String(r.resolved))),
      h("td", { class: "num" }, r.tokens.toLocaleString()),
      h("td", { class: "num" }, `$${r.cost_usd.toFixed(4)}`))));
}

function jobTable(jobs, refresh) {
  return h("table", {},
    h("tr", {}, ["job", "bug", "state", "exit", "started", "run", "result", ""].map((t) => h("th", {}, t))),
    jobs.map((j) => h("tr", {},
      h("td", { class: "mono" }, j.job_id), h("td", {}, j.bug), h("td", {}, badge(j.state)),
      h("td", {}, j.exit_code ?? ""), h("td", {}, when(j.started)),
      h("td", { class: "mono" }, h("a", { href: `#/run/${encodeURIComponent(j.run_id)}` }, j.run_id)),
      h("td", {}, j.result ? (j.result.error ? h("span", { class: "bad" }, short(j.result.error))
        : `resolved=${j.result.resolved}`) : ""),
      h("td", {}, j.state === "running" ? h("button", { onclick: async () => {
        await api(`/api/jobs/${j.job_id}`, { method: "DELETE" }).catch((e) => alert(e.message));
        refresh();
      } }, "Cancel") : ""))));
}

// --- one run, live -----------------------------------------------------------------

async function showRun(runId) {
  const summary = h("div", { class: "summary" }, h("span", { class: "dim" }, "loading…"));
  const error = h("div", { class: "error" });
  const runLane = lane("Run", "reproduce, localize, plan, finish");
  const hyps = h("div", { class: "hyps" });
  view.replaceChildren(h("h2", {}, "Run ", h("span", { class: "mono" }, runId)), summary, error,
    h("h2", {}, "Timeline"), runLane.el, h("h2", {}, "Hypotheses"), hyps);

  const state = { t0: null, open: new Map(), lanes: new Map(), patches: new Map(), events: [] };
  const url = `/api/runs/${encodeURIComponent(runId)}`;

  async function loadDetail() {
    try {
      const d = await api(url);
      renderSummary(summary, d.run, state.events);
      for (const hyp of d.hypotheses) hypLane(hyp.id).about(hyp);
    } catch (e) { error.textContent = e.message; }
  }

  function hypLane(id) {
    if (!state.lanes.has(id)) {
      const l = lane(id, "");
      state.lanes.set(id, l);
      hyps.append(l.el);
    }
    return state.lanes.get(id);
  }

  function add(event) {
    state.events.push(event);
    state.t0 = state.t0 ?? event.ts;
    const target = event.hypothesis ? hypLane(event.hypothesis) : runLane;
    if (event.event === "hypothesis") target.about(event);
    const name = String(event.event);
    const key = `${event.node}|${event.hypothesis}|${name.replace(/\.(start|end)$/, "")}`;
    if (name.endsWith(".end") && state.open.has(key)) {
      const row = state.open.get(key);
      state.open.delete(key);
      fillRow(row, event, name.slice(0, -4));
      row.classList.remove("open");
    } else {
      const row = h("div", { class: "row" });
      fillRow(row, event, name.endsWith(".start") ? name.slice(0, -6) : name);
      if (name.endsWith(".start")) { row.classList.add("open"); state.open.set(key, row); }
      target.rows.append(row);
    }
    if (typeof event.patch === "string" && event.patch) target.rows.append(patchBlock(event.patch));
    if (event.event === "verdict") target.verdict(event.outcome);
  }

  function fillRow(row, e, name) {
    const tool = e.event === "tool";
    const fields = Object.entries(e).filter(([k]) => !COMMON.has(k) && !SHOWN_APART.has(k) &&
      k !== "outcome" && !(tool && k === "tool"));
    const isOpen = e.event.endsWith(".start");
    row.dataset.ts = row.dataset.ts || e.ts;  // a span's row keeps its start time
    if (tool) { row.classList.add("tool"); name = `tool ${e.tool}`; }
    const numbers = [isOpen ? "running…" : secs(e.duration_s), tokens(e) ? `${tokens(e)} tok` : ""]
      .filter(Boolean).join(" · ");
    row.replaceChildren(
      h("span", { class: "t" }, `+${(row.dataset.ts - state.t0).toFixed(1)}s`),
      h("span", { class: "node" }, e.node),
      h("span", { class: "what" }, h("b", {}, name),
        numbers ? h("span", { class: "nums" }, numbers) : "",
        e.outcome ? [" ", badge(e.outcome)] : "",
        fields.length ? h("span", { class: "fields" }, fields.map(([k, v]) => [h("b", {}, k), "=",
          k === "error" ? h("span", { class: "bad" }, short(v, 400)) : short(v, tool ? 90 : 160),
          "  "])) : "",
        e.feedback ? h("span", { class: "feedback" }, e.feedback) : ""));
  }

  await loadDetail();
  const source = new EventSource(`${url}/events/stream`);
  let pending = null;
  source.onmessage = (m) => {
    add(JSON.parse(m.data));
    clearTimeout(pending);  // one summary refresh after a burst of events
    pending = setTimeout(loadDetail, 500);
  };
  source.addEventListener("end", () => { source.close(); loadDetail(); });
  source.onerror = () => { if (source.readyState === EventSource.CLOSED) error.textContent =
    "the event stream closed"; };
  return () => { source.close(); clearTimeout(pending); };
}

function lane(title, subtitle) {
  const head = h("h3", {}, h("span", { class: "mono" }, title), h("span", { class: "dim" }, subtitle));
  const about = h("div", { class: "about", hidden: true });
  const rows = h("div");
  const patch = h("div");
  const el = h("section", { class: "lane" }, head, about, rows, patch);
  let verdictBadge = null;
  return {
    el, rows,
    about(hyp) {
      about.hidden = false;
      about.replaceChildren(h("b", {}, hyp.root_cause || ""), " ",
        hyp.location ? h("span", { class: "mono dim" }, hyp.location) : "");
      if (hyp.outcome) this.verdict(hyp.outcome);
      if (hyp.patch) patch.replaceChildren(patchBlock(hyp.patch, "final patch"));
    },
    verdict(outcome) {
      const b = badge(outcome);
      if (verdictBadge) verdictBadge.replaceWith(b); else head.append(b);
      verdictBadge = b;
    },
  };
}

function renderSummary(el, run, events) {
  const item = (label, value) => h("div", {}, h("span", {}, label), value);
  const last = events[events.length - 1];
  el.replaceChildren(
    item("bug", run.bug || "?"),
    item("status", badge(run.status)),
    item("resolved", run.resolved === null ? "—" : badge(String(run.resolved))),
    item("started", when(run.started)),
    item("duration", run.duration_s !== null ? secs(run.duration_s)
      : last && run.started ? secs(last.ts - run.started) : "—"),
    item("tokens", run.tokens.toLocaleString()),
    item("cost", `$${run.cost_usd.toFixed(4)}`),
    item("model", run.model || "—"),
    item("events", run.events),
    run.reason ? item("reason", run.reason) : "");
}

// --- routing -----------------------------------------------------------------------

let generation = 0;

async function route() {
  cleanup();
  cleanup = () => {};
  const mine = ++generation;
  const match = location.hash.match(/^#\/run\/(.+)$/);
  const stop = (await (match ? showRun(decodeURIComponent(match[1])) : showList())) || (() => {});
  if (mine === generation) cleanup = stop;
  else stop();  // the user moved on while this view was loading
}

window.addEventListener("hashchange", route);
route();

/// The web page `cairn serve` serves at `/` (the runs, updating live) and `/runs/{runId}` (one run: its status,
/// timeline and progress updating live over the event stream, its open waits each with a form that answers it,
/// a cancel button); `/#audit=SKU` is the audit view of a SKU, when the server has the inventory's paths. One self-contained document: no CDN, no external font, no build step — it works offline, and
/// it speaks only the API of `openapi.yaml`. With a token, open it once as `/?token=…`; it keeps the token for the tab.
enum WebPage {
    static let html = #"""
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cairn</title>
<style>
  body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1f2328; background: #f6f8fa; }
  header { background: #24292f; color: #fff; padding: 10px 20px; display: flex; gap: 16px; align-items: baseline; }
  header a { color: #fff; text-decoration: none; font-weight: 600; }
  main { padding: 16px 20px; max-width: 1100px; }
  table { border-collapse: collapse; width: 100%; background: #fff; }
  th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid #d0d7de; vertical-align: top; }
  code, pre, textarea { font: 12px/1.4 ui-monospace, monospace; }
  pre { background: #fff; border: 1px solid #d0d7de; padding: 8px; overflow-x: auto; margin: 0; }
  #drawing { background: #fff; border: 1px solid #d0d7de; overflow-x: auto; }
  .status { font-weight: 600; }
  .completed { color: #1a7f37; } .failed, .cancelled, .timed_out { color: #cf222e; } .waiting { color: #9a6700; }
  .running, .pending { color: #0969da; } .interrupted { color: #8250df; }
  section { margin: 18px 0; }
  h2 { font-size: 15px; margin: 0 0 6px; }
  form.wait { background: #fff8c5; border: 1px solid #d4a72c; padding: 10px; margin: 6px 0; }
  textarea { width: 100%; box-sizing: border-box; height: 64px; }
  button { font: inherit; padding: 4px 12px; cursor: pointer; }
  #error { color: #cf222e; white-space: pre-wrap; }
  form.audit { margin: 0 0 12px; }
</style>
</head>
<body>
<header><a href="/">Cairn</a><span id="where"></span></header>
<main>
  <div id="error" role="alert"></div>
  <div id="page">loading…</div>
</main>
<script>
"use strict";
const params = new URLSearchParams(location.search);
if (params.get("token")) sessionStorage.setItem("cairn-token", params.get("token"));
const token = sessionStorage.getItem("cairn-token");
const authorization = token ? { Authorization: "Bearer " + token } : {};

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: { ...authorization, "Content-Type": "application/json" } });
  const body = await response.json();
  if (!response.ok) throw new Error(body.detail || response.statusText);
  return body;
}

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value); else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child ?? "")));
  return node;
}

function showError(error) { document.getElementById("error").textContent = error ? String(error.message || error) : ""; }

function statusWord(run) {
  const word = run.interrupted && !["waiting", "pending"].includes(run.status) ? "interrupted" : run.status;
  return element("span", { class: "status " + word, "data-status": word }, word);
}

// The runs, newest first, looked at again every two seconds; above them, a form that opens a SKU's audit when the
// server has the inventory's paths.
async function listPage() {
  document.getElementById("where").textContent = "runs";
  const page = document.getElementById("page");
  const audit = await auditForm();
  async function refresh() {
    try {
      const runs = await api("/v1/runs?limit=50");
      const rows = runs.map(run => element("tr", {},
        element("td", {}, element("a", { href: "/runs/" + run.runId }, element("code", {}, run.runId))),
        element("td", {}, run.workflow), element("td", {}, statusWord(run)), element("td", {}, run.createdAt)));
      page.replaceChildren(audit, element("table", { id: "runs" },
        element("tr", {}, element("th", {}, "run"), element("th", {}, "workflow"), element("th", {}, "status"), element("th", {}, "started")),
        ...rows));
      showError(null);
    } catch (error) { showError(error); }
  }
  await refresh();
  setInterval(refresh, 2000);
}

const auditPath = "/v1/inventory/audit/{sku}";

async function auditForm() {
  const contract = await fetch("/openapi.yaml").then(response => response.text()).catch(() => "");
  if (!contract.includes(auditPath + ":")) return "";
  const sku = element("input", { name: "sku", placeholder: "SKU", "aria-label": "SKU", required: "" });
  return element("form", { class: "audit", onsubmit: event => {
    event.preventDefault();
    location.hash = "audit=" + encodeURIComponent(sku.value);
  } }, sku, " ", element("button", { type: "submit" }, "audit"));
}

// Every decision taken for a SKU, with the votes and the approval behind it, and its stock.
async function auditPage(sku) {
  document.getElementById("where").textContent = "audit " + sku;
  const page = document.getElementById("page");
  try {
    const name = encodeURIComponent(sku);
    const [decisions, ledger] = await Promise.all([api(auditPath.replace("{sku}", name)), api("/v1/inventory/ledger?sku=" + name)]);
    const votes = d => [["online", d.voteOnline], ["offline", d.voteOffline], ["trend", d.voteTrend]]
      .filter(([, vote]) => vote).map(([source, vote]) => source + " " + vote).join(", ");
    const how = d => [d.resumed ? "resumed" : "", d.forked ? "forked" : "",
      d.approvedBy ? (d.decision === "rejected" ? "rejected by " : "approved by ") + d.approvedBy : "",
      d.askedByRun ? "asked by " + d.askedByWorkflow + " " + d.askedByRun.slice(0, 8) : ""].filter(Boolean).join("; ");
    const rows = decisions.map(d => element("tr", {}, element("td", {}, d.at), element("td", {}, d.decision), element("td", {}, d.quantity),
      element("td", {}, d.round), element("td", {}, votes(d)), element("td", {}, how(d)),
      element("td", {}, element("a", { href: "/runs/" + d.runId }, element("code", {}, d.runId.slice(0, 8))), " " + d.step)));
    const stock = ledger.stock.length ? ledger.stock[0].quantity : 0;
    page.replaceChildren(element("section", {}, element("h2", {}, sku), element("div", { id: "stock" }, "stock: " + stock)),
      decisions.length ? element("table", { id: "decisions" },
        element("tr", {}, ...["at", "decision", "quantity", "round", "votes", "how", "run, step"].map(h => element("th", {}, h))), ...rows)
        : element("p", { id: "decisions" }, "no decisions for this SKU"));
    showError(null);
  } catch (error) { showError(error); }
}

// One run: drawn again from /detail whenever its event stream says something happened; its path is drawn when
// the page opens and again when the run ends, not at every event.
async function runPage(id) {
  document.getElementById("where").textContent = "run " + id;
  const page = document.getElementById("page");
  let path = null, pathDrawnEnded = false;
  async function refresh() {
    try {
      const doc = await api("/v1/runs/" + id + "/detail");
      if (!path || (doc.run.finishedAt && !pathDrawnEnded)) {
        path = await drawing(id);
        pathDrawnEnded = Boolean(doc.run.finishedAt);
      }
      const run = doc.run;
      const parts = [
        element("section", {}, element("h2", {}, run.workflow + " "), element("div", { id: "status" }, statusWord(run)),
          element("pre", { id: "input" }, "input  " + JSON.stringify(run.input)),
          run.result !== undefined ? element("pre", { id: "result" }, "result " + JSON.stringify(run.result)) : "",
          run.error ? element("pre", { id: "run-error" }, "error  " + run.error.message) : ""),
      ];
      if ((doc.waitingFor || []).length) {
        parts.push(element("section", { id: "waits" }, element("h2", {}, "waiting for"),
          ...doc.waitingFor.map(name => waitForm(id, name))));
      }
      if (!run.finishedAt) parts.push(element("section", {}, element("button", { id: "cancel", onclick: () => cancel(id) }, "cancel the run")));
      parts.push(element("section", {}, element("h2", {}, "path"), path));
      parts.push(element("section", {}, element("h2", {}, "progress"),
        element("pre", { id: "progress" }, doc.progress.map(line => line.step + ": " + (line.payload.message || JSON.stringify(line.payload))).join("\n") || "—")));
      parts.push(element("section", {}, element("h2", {}, "timeline"),
        element("pre", { id: "timeline" }, doc.timeline.map(entry => entry.at + "  " + entry.kind + "  " + [entry.step, entry.outcome, entry.reason].filter(Boolean).join("  ")).join("\n"))));
      page.replaceChildren(...parts);
      showError(null);
      return run;
    } catch (error) { showError(error); }
  }
  await refresh();
  follow(id, refresh);
}

// The path the run took, drawn by the server as SVG (its labels escaped there).
async function drawing(id) {
  const holder = element("div", { id: "drawing" });
  const response = await fetch("/v1/runs/" + id + "/drawing?format=svg", { headers: authorization });
  if (response.ok) holder.innerHTML = await response.text();
  return holder;
}

function waitForm(id, name) {
  const payload = element("textarea", { name: "payload", "aria-label": "payload of " + name }, "{}");
  return element("form", { class: "wait", "data-event": name, onsubmit: async event => {
    event.preventDefault();
    try {
      await api("/v1/runs/" + id + "/inbox", { method: "POST", body: JSON.stringify({ name, payload: JSON.parse(payload.value) }) });
      showError(null);
    } catch (error) { showError(error); }
  } }, element("label", {}, "answer ", element("code", {}, name), " with JSON:"), payload, element("button", { type: "submit" }, "send"));
}

async function cancel(id) {
  try { await api("/v1/runs/" + id + "/cancel", { method: "POST" }); } catch (error) { showError(error); }
}

// The run's event stream (Server-Sent Events over fetch, so that a token can go with it): every event redraws the
// page; when the stream ends — the run ended, or the server went — it is drawn once more.
async function follow(id, refresh) {
  let after = 0;
  while (true) {
    try {
      const response = await fetch("/v1/runs/" + id + "/events?after=" + after, { headers: { ...authorization, Accept: "text/event-stream" } });
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffered = "";
      while (true) {
        const { value, done } = await reader.read();
        if (done) break;
        buffered += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffered.indexOf("\n\n")) >= 0) {
          const message = buffered.slice(0, cut);
          buffered = buffered.slice(cut + 2);
          const id = /^id: (\d+)$/m.exec(message);
          if (id) after = Number(id[1]);
          await refresh();
          if (/^event: end$/m.test(message)) return;
        }
      }
    } catch (error) { showError(error); }
    const run = await refresh();
    if (!run || run.finishedAt) return;
    await new Promise(resolve => setTimeout(resolve, 1000));
  }
}

function route() {
  const match = /^\/runs\/([0-9a-f-]{36})$/.exec(location.pathname);
  const audit = /^#audit=(.+)$/.exec(location.hash);
  if (match) runPage(match[1]); else if (audit) auditPage(decodeURIComponent(audit[1])); else listPage();
}
window.addEventListener("hashchange", () => location.reload());
route();
</script>
</body>
</html>
"""#
}

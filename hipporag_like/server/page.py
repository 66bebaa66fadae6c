"""The one page served at GET /: ask, see the ranked passages, see why one came back.

Self-contained (no external script, style or font). Text from the index is put in the page
with textContent only; the SVG comes from the server's `explain_svg`, which escapes its text.
"""

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>hipporag-like: why this passage</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1040px; padding: 16px; color: #222; }
h1 { font-size: 20px; margin: 4px 0 12px; }
form { display: flex; gap: 8px; flex-wrap: wrap; }
#q { flex: 1 1 420px; padding: 6px 8px; font-size: 15px; }
input, select, button { font-size: 14px; padding: 5px 8px; }
#status { color: #a33; margin: 8px 0; min-height: 1.2em; }
ol { padding-left: 22px; }
li { margin: 6px 0; padding: 6px 8px; border: 1px solid #ddd; border-radius: 6px; cursor: pointer; }
li.chosen { border-color: #1a73e8; background: #f3f8ff; }
li .t { font-weight: bold; }
li .s { color: #666; font-size: 12px; margin-left: 6px; }
li .x { color: #444; font-size: 13px; }
#why { overflow-x: auto; margin-top: 12px; }
</style></head>
<body>
<h1>hipporag-like &mdash; ask, and see why</h1>
<form id="ask">
  <input id="q" name="q" placeholder="Ask a question about the indexed passages" autocomplete="off">
  <select id="mode"><option value="">hybrid (default)</option><option>ppr-fact</option><option>ppr-entity</option>
    <option>dense</option><option>bm25</option></select>
  <input id="k" type="number" min="1" max="20" value="5" style="width:4em" title="passages">
  <input id="token" type="password" placeholder="API key (if set)" style="width:10em">
  <button id="go" type="submit">Ask</button>
</form>
<div id="status"></div>
<ol id="passages"></ol>
<div id="why"></div>
<script>
"use strict";
let last = null;
const $ = (id) => document.getElementById(id);
function body() {
  const b = { query: $("q").value, k: parseInt($("k").value || "5", 10) };
  if ($("mode").value) b.mode = $("mode").value;
  return b;
}
function headers() {
  const h = { "content-type": "application/json" };
  if ($("token").value) h["authorization"] = "Bearer " + $("token").value;
  return h;
}
async function failed(r) {
  try { const e = await r.json(); return e.error.code + ": " + e.error.message; } catch (_) { return "HTTP " + r.status; }
}
async function explain(i) {
  document.querySelectorAll("#passages li").forEach((li, j) => li.classList.toggle("chosen", i === j));
  const r = await fetch("/explain?passage=" + i, { method: "POST", headers: headers(), body: JSON.stringify(last) });
  if (!r.ok) { $("status").textContent = await failed(r); return; }
  $("why").innerHTML = await r.text();
}
$("ask").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("status").textContent = ""; $("passages").textContent = ""; $("why").textContent = "";
  last = body();
  const r = await fetch("/query", { method: "POST", headers: headers(), body: JSON.stringify(last) });
  if (!r.ok) { $("status").textContent = await failed(r); return; }
  const data = await r.json();
  if (!data.passages.length) { $("status").textContent = "no passages"; return; }
  data.passages.forEach((p, i) => {
    const li = document.createElement("li");
    li.className = "passage";
    const t = document.createElement("span"); t.className = "t"; t.textContent = p.title || p.id;
    const s = document.createElement("span"); s.className = "s";
    s.textContent = "score " + p.score.toPrecision(3) + " \\u00b7 seeds: " + (p.why.seed_phrases.map((x) => x.phrase).slice(0, 4).join(", ") || "-")
      + (p.why.named_by && p.why.named_by.length ? " \\u00b7 named by: " + p.why.named_by.slice(0, 2).join(", ") : "");
    const x = document.createElement("div"); x.className = "x"; x.textContent = p.text.length > 240 ? p.text.slice(0, 240) + "\\u2026" : p.text;
    li.append(t, s, x);
    li.addEventListener("click", () => explain(i));
    $("passages").append(li);
  });
  await explain(0);
});
</script>
</body></html>
"""

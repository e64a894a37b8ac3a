/**
 * The dashboard and play pages: self-contained HTML with inline CSS and plain browser
 * JavaScript (no build step, no CDN), served by ./dashboard-server.ts and ./play-server.ts.
 * The chart code is also used by the static page (web/), which imports `CHART_JS`.
 *
 * Client code is kept in strings on purpose: serving `fn.toString()` of compiled TS would
 * carry whatever helpers the compiler injected (tsx adds `__name` calls).
 */

export const PAGE_CSS = `
:root { --fg: #1d232b; --muted: #68717d; --line: #e3e6ea; --bg: #f6f7f9; --card: #fff; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header { padding: 12px 20px; background: var(--card); border-bottom: 1px solid var(--line); display: flex; gap: 20px; align-items: baseline; flex-wrap: wrap; }
header h1 { font-size: 17px; margin: 0; }
.muted { color: var(--muted); }
.status { font-variant-numeric: tabular-nums; }
main { padding: 16px 20px; display: grid; gap: 16px; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; }
.card.wide { grid-column: 1 / -1; }
.card h2 { font-size: 13px; font-weight: 600; margin: 0 0 6px; color: var(--muted); }
canvas.chart { width: 100%; height: 240px; display: block; }
.card.wide canvas.chart { height: 320px; }
pre { margin: 0; font: 12px/1.45 ui-monospace, SFMono-Regular, Menlo, monospace; white-space: pre-wrap; max-height: 420px; overflow: auto; }
.dot { display: inline-block; width: 9px; height: 9px; border-radius: 50%; background: #aaa; margin-right: 6px; }
.dot.live { background: #2f9e44; } .dot.down { background: #e03131; }
.big { font-size: 26px; font-weight: 600; font-variant-numeric: tabular-nums; }
.frame { max-width: 100%; image-rendering: auto; border: 1px solid var(--line); background: #fff; display: block; }
kbd { border: 1px solid #bbb; border-bottom-width: 2px; border-radius: 3px; padding: 0 4px; font-size: 12px; }
`;

/**
 * `deepqChart(canvas, series, opts)`: lines, dots and ± bands against a shared x axis,
 * with nice ticks and a legend. Each series: { name, color, x: number[], y: number[],
 * lo?: number[], hi?: number[], dots?: boolean }. Sets canvas.dataset.points.
 */
export const CHART_JS = `
function deepqNiceStep(span, n) {
  var raw = span / n, p = Math.pow(10, Math.floor(Math.log10(raw))), m = raw / p;
  return (m < 1.5 ? 1 : m < 3 ? 2 : m < 7 ? 5 : 10) * p;
}
function deepqFmt(v, step) {
  var a = Math.abs(v);
  if (a < step * 1e-6) return "0";
  if (step >= 1000 && a >= 1e4) {
    var div = a >= 1e6 ? 1e6 : 1e3, unit = div === 1e6 ? "M" : "k";
    return (v / div).toFixed(Math.max(0, -Math.floor(Math.log10(step / div) + 1e-9))) + unit;
  }
  if (step < 1e-3 || a >= 1e7) return v.toExponential(1);
  return v.toFixed(Math.max(0, -Math.floor(Math.log10(step) + 1e-9)));
}
function deepqChart(canvas, series, opts) {
  opts = opts || {};
  var dpr = window.devicePixelRatio || 1;
  var W = canvas.clientWidth || 400, H = canvas.clientHeight || 240;
  if (canvas.width !== Math.round(W * dpr) || canvas.height !== Math.round(H * dpr)) {
    canvas.width = Math.round(W * dpr); canvas.height = Math.round(H * dpr);
  }
  var g = canvas.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, W, H);
  var x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity, total = 0;
  series.forEach(function (s) {
    for (var i = 0; i < s.x.length; i++) {
      var x = s.x[i], y = s.y[i];
      if (x == null || y == null || !isFinite(x) || !isFinite(y)) continue;
      total++;
      if (x < x0) x0 = x; if (x > x1) x1 = x;
      var lo = s.lo ? s.lo[i] : y, hi = s.hi ? s.hi[i] : y;
      if (y < y0) y0 = y; if (y > y1) y1 = y;
      if (isFinite(lo) && lo < y0) y0 = lo; if (isFinite(hi) && hi > y1) y1 = hi;
    }
  });
  canvas.dataset.points = String(total);
  var L = 54, R = 10, T = 22, B = 26, pw = W - L - R, ph = H - T - B;
  g.font = "11px system-ui, sans-serif";
  if (total === 0) {
    g.fillStyle = "#999"; g.textAlign = "center";
    g.fillText(opts.empty || "waiting for data…", W / 2, H / 2);
    return;
  }
  if (x0 === x1) { var dx = Math.abs(x0) * 0.1 || 1; x0 -= dx; x1 += dx; }
  if (y0 === y1) { var d = Math.abs(y0) * 0.1 || 1; y0 -= d; y1 += d; }
  var pad = (y1 - y0) * 0.05; y0 -= pad; y1 += pad;
  if (opts.yMin != null && y0 < opts.yMin) y0 = opts.yMin;
  var sx = function (v) { return L + (v - x0) / (x1 - x0) * pw; };
  var sy = function (v) { return T + (1 - (v - y0) / (y1 - y0)) * ph; };
  g.strokeStyle = "#eceef1"; g.fillStyle = "#68717d"; g.lineWidth = 1;
  var ys = deepqNiceStep(y1 - y0, 5);
  g.textAlign = "right"; g.textBaseline = "middle";
  for (var v = Math.ceil(y0 / ys) * ys; v <= y1; v += ys) {
    var py = Math.round(sy(v)) + 0.5;
    g.beginPath(); g.moveTo(L, py); g.lineTo(L + pw, py); g.stroke();
    g.fillText(deepqFmt(v, ys), L - 6, py);
  }
  var xs = deepqNiceStep(x1 - x0, Math.max(2, Math.floor(pw / 90)));
  g.textAlign = "center"; g.textBaseline = "top";
  for (var u = Math.ceil(x0 / xs) * xs; u <= x1; u += xs) {
    var px = Math.round(sx(u)) + 0.5;
    g.beginPath(); g.moveTo(px, T); g.lineTo(px, T + ph); g.stroke();
    g.fillText(deepqFmt(u, xs), px, T + ph + 5);
  }
  g.strokeStyle = "#c9ced4"; g.strokeRect(L + 0.5, T + 0.5, pw, ph);
  g.save(); g.beginPath(); g.rect(L, T, pw, ph); g.clip();
  series.forEach(function (s) {
    var n = s.x.length, i;
    if (s.lo && s.hi && n > 0) {
      g.beginPath();
      for (i = 0; i < n; i++) g.lineTo(sx(s.x[i]), sy(s.hi[i]));
      for (i = n - 1; i >= 0; i--) g.lineTo(sx(s.x[i]), sy(s.lo[i]));
      g.closePath(); g.globalAlpha = 0.16; g.fillStyle = s.color; g.fill(); g.globalAlpha = 1;
    }
    if (s.dots) {
      g.fillStyle = s.color; g.globalAlpha = n > 2000 ? 0.25 : 0.45;
      for (i = 0; i < n; i++) if (s.y[i] != null && isFinite(s.y[i])) g.fillRect(sx(s.x[i]) - 1, sy(s.y[i]) - 1, 2, 2);
      g.globalAlpha = 1;
    } else {
      g.strokeStyle = s.color; g.lineWidth = s.width || 1.6; g.beginPath();
      var pen = false;
      for (i = 0; i < n; i++) {
        if (s.y[i] == null || !isFinite(s.y[i])) { pen = false; continue; }
        if (pen) g.lineTo(sx(s.x[i]), sy(s.y[i])); else g.moveTo(sx(s.x[i]), sy(s.y[i]));
        pen = true;
      }
      g.stroke();
      if (n === 1 || n < 40) { g.fillStyle = s.color; for (i = 0; i < n; i++) if (s.y[i] != null) g.fillRect(sx(s.x[i]) - 1.5, sy(s.y[i]) - 1.5, 3, 3); }
    }
  });
  g.restore();
  var lx = L + 4; g.textAlign = "left"; g.textBaseline = "middle";
  series.forEach(function (s) {
    if (!s.name) return;
    g.fillStyle = s.color; g.fillRect(lx, 7, 10, 3);
    g.fillStyle = "#1d232b"; g.fillText(s.name, lx + 14, 9);
    lx += 22 + g.measureText(s.name).width;
  });
  if (opts.xLabel) { g.fillStyle = "#68717d"; g.textAlign = "right"; g.textBaseline = "middle"; g.fillText("x: " + opts.xLabel, W - R, 9); }
}
`;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const DASHBOARD_JS = `
var W = 100; // episodes in the moving average (as SB3's ep_rew_mean)
var ep, pr, sum, win, charts, dirty = false;
function clearData() {
  ep = { step: [], ret: [], avg: [] }; sum = 0; win = [];
  pr = { step: [], mean: [], lo: [], hi: [], loss: [], eps: [], q: [], sps: [], episodes: [], evmin: [], evmax: [] };
}
clearData();
function addEpisodes(rows) {
  rows.forEach(function (r) {
    if (r.step == null || r.return == null) return;
    ep.step.push(r.step); ep.ret.push(r.return);
    win.push(r.return); sum += r.return;
    if (win.length > W) sum -= win.shift();
    ep.avg.push(sum / win.length);
  });
}
function addProgress(rows) {
  rows.forEach(function (r) {
    if (r.step == null) return;
    var m = r.eval_mean, s = r.eval_std || 0;
    pr.step.push(r.step); pr.mean.push(m); pr.lo.push(m == null ? null : m - s); pr.hi.push(m == null ? null : m + s);
    pr.loss.push(r.loss); pr.eps.push(r.epsilon); pr.q.push(r.mean_q); pr.sps.push(r.steps_per_s);
    pr.episodes.push(r.episodes); pr.evmin.push(r.eval_min); pr.evmax.push(r.eval_max);
  });
}
function el(id) { return document.getElementById(id); }
function last(a) { return a.length ? a[a.length - 1] : null; }
function f(v, d) { return v == null ? "–" : (+v).toFixed(d); }
function draw() {
  dirty = false;
  var evalSeries = { name: "eval mean ± std", color: "#e8590c", x: pr.step, y: pr.mean, lo: pr.lo, hi: pr.hi, width: 2 };
  deepqChart(el("c-return"), [
    { name: "episode return", color: "#74c0fc", x: ep.step, y: ep.ret, dots: true },
    { name: "average of last " + W, color: "#1864ab", x: ep.step, y: ep.avg, width: 2 },
    evalSeries,
  ], { xLabel: "environment steps" });
  deepqChart(el("c-loss"), [{ name: "loss", color: "#5f3dc4", x: pr.step, y: pr.loss }], { xLabel: "steps" });
  deepqChart(el("c-eps"), [{ name: "ε", color: "#2b8a3e", x: pr.step, y: pr.eps }], { xLabel: "steps", yMin: 0 });
  deepqChart(el("c-q"), [{ name: "mean Q", color: "#c2255c", x: pr.step, y: pr.q }], { xLabel: "steps" });
  deepqChart(el("c-sps"), [{ name: "steps/s", color: "#495057", x: pr.step, y: pr.sps }], { xLabel: "steps", yMin: 0 });
  var best = null;
  for (var i = 0; i < pr.mean.length; i++) if (pr.mean[i] != null && (best === null || pr.mean[i] > pr.mean[best])) best = i;
  el("s-step").textContent = ep.step.length || pr.step.length ? String(Math.max(last(ep.step) || 0, last(pr.step) || 0)) : "–";
  el("s-episodes").textContent = String(ep.step.length);
  el("s-avg").textContent = f(last(ep.avg), 1);
  el("s-eval").textContent = pr.mean.length ? f(last(pr.mean), 1) + " ± " + f(last(pr.hi) - last(pr.mean), 1) : "–";
  el("s-best").textContent = best === null ? "–" : f(pr.mean[best], 1) + " @ " + pr.step[best];
  el("s-sps").textContent = f(last(pr.sps), 0);
  document.body.dataset.episodes = String(ep.step.length);
  document.body.dataset.evals = String(pr.step.length);
}
function schedule() { if (!dirty) { dirty = true; requestAnimationFrame(draw); } }
function live(on, text) { el("live").className = "dot " + (on ? "live" : "down"); el("live-text").textContent = text; }
var es = new EventSource("events");
es.addEventListener("open", function () { live(true, "live"); });
es.addEventListener("error", function () { live(false, "disconnected, retrying…"); });
es.addEventListener("history", function (e) {
  var d = JSON.parse(e.data); clearData(); addEpisodes(d.episodes); addProgress(d.progress); schedule();
});
es.addEventListener("episodes", function (e) { addEpisodes(JSON.parse(e.data)); schedule(); });
es.addEventListener("progress", function (e) { addProgress(JSON.parse(e.data)); schedule(); });
es.addEventListener("reset", function (e) {
  var d = JSON.parse(e.data);
  if (d.file === "episodes") { ep = { step: [], ret: [], avg: [] }; sum = 0; win = []; }
  else { var keep = ep; clearData(); ep = keep; }
  schedule();
});
es.addEventListener("video", function (e) {
  var v = JSON.parse(e.data);
  if (!v.name) return;
  el("video").src = "/videos/" + encodeURIComponent(v.name);
  el("video-name").textContent = v.name.replace(".gif", "").replace("-", " ");
  el("video-card").hidden = false;
});
es.addEventListener("config", function (e) {
  var c = JSON.parse(e.data);
  el("config").textContent = c === null ? "(no config.json yet)" : JSON.stringify(c, null, 2);
  if (c && c.env) el("env").textContent = c.env;
});
window.addEventListener("resize", schedule);
schedule();
`;

export function dashboardHtml(runDir: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>deepq watch · ${escapeHtml(runDir)}</title><style>${PAGE_CSS}</style></head>
<body>
<header>
  <h1>deepq · <span id="env">run</span></h1><span class="muted">${escapeHtml(runDir)}</span>
  <span><span id="live" class="dot"></span><span id="live-text" class="muted">connecting…</span></span>
  <span class="status">step <b id="s-step">–</b> · episodes <b id="s-episodes">–</b> · avg return <b id="s-avg">–</b>
   · eval <b id="s-eval">–</b> · best <b id="s-best">–</b> · <b id="s-sps">–</b> steps/s</span>
</header>
<main>
  <section class="card wide"><h2>Return per episode and evaluation</h2><canvas class="chart" id="c-return"></canvas></section>
  <section class="card"><h2>Loss</h2><canvas class="chart" id="c-loss"></canvas></section>
  <section class="card"><h2>Exploration rate ε</h2><canvas class="chart" id="c-eps"></canvas></section>
  <section class="card"><h2>Mean Q</h2><canvas class="chart" id="c-q"></canvas></section>
  <section class="card"><h2>Throughput</h2><canvas class="chart" id="c-sps"></canvas></section>
  <section class="card wide" id="video-card" hidden><h2>Newest recorded episode: <span id="video-name"></span></h2><img id="video" class="frame" alt="recorded episode"></section>
  <section class="card wide"><h2>Config</h2><pre id="config">(waiting)</pre></section>
</main>
<script>${CHART_JS}${DASHBOARD_JS}</script>
</body></html>
`;
}

const PLAY_JS = `
var el = function (id) { return document.getElementById(id); };
var frames = 0, session = null, returns = [], keys = {}, mapped = [];
var es = new EventSource("frames");
es.addEventListener("hello", function (e) {
  var d = JSON.parse(e.data); session = d.session;
  el("fps").textContent = d.fps; el("env").textContent = d.env;
  if (d.human) { el("help").textContent = d.help; mapped = d.keys; }
});
es.addEventListener("frame", function (e) {
  var d = JSON.parse(e.data);
  el("frame").src = "data:image/png;base64," + d.png;
  el("ret").textContent = d.ret.toFixed(1); el("t").textContent = d.t; el("ep").textContent = d.episode + 1;
  frames++; document.body.dataset.frames = String(frames); document.body.dataset.ret = String(d.ret);
});
es.addEventListener("episode", function (e) {
  var d = JSON.parse(e.data); returns.push(d.ret);
  el("returns").textContent = returns.map(function (r, i) { return "episode " + (i + 1) + ": " + r.toFixed(1) + " (" + d.lengths[i] + " steps)"; }).slice(-12).reverse().join("\\n");
  document.body.dataset.episodes = String(returns.length);
});
es.addEventListener("waiting", function (e) { el("t").textContent = JSON.parse(e.data).text; });
es.addEventListener("error", function () { el("t").textContent = "disconnected"; });
function send() {
  if (!session) return;
  fetch("input?session=" + encodeURIComponent(session), { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ keys: Object.keys(keys) }) });
}
function onKey(down) {
  return function (e) {
    if (!HUMAN) return;
    var k = e.key;
    if (mapped.indexOf(k) < 0) return;
    e.preventDefault();
    var had = !!keys[k];
    if (down) keys[k] = true; else delete keys[k];
    if (had !== down) send();
  };
}
window.addEventListener("keydown", onKey(true));
window.addEventListener("keyup", onKey(false));
window.addEventListener("blur", function () { keys = {}; send(); });
`;

export function playHtml(title: string, human: boolean): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>deepq play · ${escapeHtml(title)}</title><style>${PAGE_CSS}</style></head>
<body>
<header>
  <h1>deepq play · <span id="env">${escapeHtml(title)}</span></h1>
  <span class="muted">${human ? "you drive" : "greedy agent"} · <span id="fps">–</span> fps</span>
</header>
<main style="grid-template-columns: minmax(320px, 620px) minmax(240px, 1fr)">
  <section class="card"><img id="frame" class="frame" alt="env frame"></section>
  <section class="card">
    <h2>Return</h2><div class="big" id="ret">–</div>
    <div class="muted">episode <span id="ep">–</span> · step <span id="t">connecting…</span></div>
    <p id="help" class="muted"></p>
    <h2>Finished episodes</h2><pre id="returns"></pre>
  </section>
</main>
<script>var HUMAN = ${human ? "true" : "false"};${PLAY_JS}</script>
</body></html>
`;
}

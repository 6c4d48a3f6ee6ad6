// The invsync dashboard (SPEC §13): plain DOM, no framework, no build step.
// Every piece of store or feed text reaches the page through textContent (el() below) — never
// innerHTML — and there are no inline scripts or handlers, so a strict CSP holds.

const SVG_NS = 'http://www.w3.org/2000/svg';
const POLL_MS = 1000;
const ROW_PX = 34; // keep equal to `.diff tbody tr.row` height in style.css: the virtual scroll counts on it

// ---------------------------------------------------------------- DOM helpers

/** An element: attrs are attributes ('class', 'data-*', …); children are nodes or text (null skipped). */
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  for (const c of children) append(node, c);
  return node;
}

function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  setAttrs(node, attrs);
  for (const c of children) append(node, c);
  return node;
}

function setAttrs(node, attrs) {
  if (!attrs) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    node.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(node, child) {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) { for (const c of child) append(node, c); return; }
  node.append(child instanceof Node ? child : document.createTextNode(String(child)));
}

const $ = (sel, root = document) => root.querySelector(sel);

// ---------------------------------------------------------------- formatting

const fmtInt = new Intl.NumberFormat('en');
const num = (n) => (n === null || n === undefined ? '–' : fmtInt.format(n));

function fmtTime(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toLocaleString();
}

function fmtDuration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m} min ${Math.round(s % 60)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

function ago(iso) {
  const ms = Date.now() - Date.parse(iso);
  return Number.isFinite(ms) ? `${fmtDuration(Math.max(0, ms))} ago` : '';
}

/** The lock holder as status (`hostname`, `startedAt`) or a 409 (`host`, `since`) reports it. */
export function holderText(h) {
  if (!h) return 'free';
  const host = h.host ?? h.hostname ?? '?';
  const since = h.since ?? h.startedAt;
  return `held by \`invsync ${h.command ?? '?'}\` (pid ${h.pid ?? '?'} on ${host})${since ? ` since ${fmtTime(since)}` : ''}`;
}

function badge(status) {
  return el('span', { class: `badge s-${String(status).replace(/[^a-z-]/gi, '')}` }, status);
}

// ---------------------------------------------------------------- API

class ApiError extends Error {
  constructor(status, body) {
    super(body && typeof body.error === 'string' ? body.error : `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function api(path, options = {}) {
  const init = { method: options.method ?? 'GET', credentials: 'same-origin', headers: { accept: 'application/json' } };
  if (options.body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = { error: text }; }
  if (res.status === 401 && !options.loginAttempt) showLogin();
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

// ---------------------------------------------------------------- notices

function notify(kind, ...content) {
  const box = $('#notice');
  box.className = `notice ${kind}`;
  box.replaceChildren(el('div', { class: 'notice-text' }, ...content), el('button', { type: 'button', class: 'link', 'data-action': 'dismiss', 'aria-label': 'Dismiss' }, '×'));
  box.hidden = false;
}

function clearNotice() { $('#notice').hidden = true; }

/** A failed request, said plainly: a 409 names the lock holder or the reason the plan is stale. */
function showError(err, what) {
  if (err instanceof ApiError && err.status === 401) return;
  if (err instanceof ApiError && err.status === 409) {
    const b = err.body ?? {};
    if (b.error === 'locked') {
      notify('lock', el('strong', null, 'Another run is in progress. '), `${what} was not started: the lock is ${holderText(b.holder)}. `, 'Try again when it has finished.');
    } else {
      notify('error', el('strong', null, `${what} refused: `), b.reason ?? b.message ?? b.error ?? 'conflict');
    }
    return;
  }
  const detail = err instanceof ApiError ? (err.body?.message ?? err.body?.error ?? err.message) : (err?.message ?? String(err));
  notify('error', el('strong', null, `${what} failed: `), detail);
}

// ---------------------------------------------------------------- login

function showLogin() {
  stopPolling();
  $('#view').hidden = true;
  $('#nav').hidden = true;
  $('#login').hidden = false;
  $('#token').focus();
}

function showApp() {
  $('#login').hidden = true;
  $('#nav').hidden = false;
  $('#view').hidden = false;
}

async function login(event) {
  event.preventDefault();
  const token = $('#token').value.trim();
  const error = $('#login-error');
  error.hidden = true;
  try {
    await api('/api/login', { method: 'POST', body: { token }, loginAttempt: true });
    $('#token').value = '';
    showApp();
    route();
  } catch (err) {
    error.textContent = err instanceof ApiError && (err.status === 401 || err.status === 403) ? 'That token is not right.' : `Login failed: ${err.message}`;
    error.hidden = false;
  }
}

async function logout() {
  try { await api('/api/logout', { method: 'POST', body: {} }); } catch { /* the cookie is gone either way */ }
  showLogin();
}

// ---------------------------------------------------------------- routing

let pollTimer = null;
let renderSeq = 0; // a view that finishes loading after the user moved on must not draw over the new one

function stopPolling() {
  if (pollTimer !== null) clearTimeout(pollTimer);
  pollTimer = null;
}

function route() {
  stopPolling();
  const hash = location.hash.replace(/^#\/?/, '');
  const [view, ...rest] = hash.split('/');
  const arg = rest.length ? decodeURIComponent(rest.join('/')) : '';
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.view === (view || 'status'));
  const seq = ++renderSeq;
  const target = $('#view');
  const done = (p) => p.catch((err) => { if (seq === renderSeq) showError(err, 'Loading'); });
  if (view === 'runs') return done(renderRuns(target, seq));
  if (view === 'run' && arg) return done(renderRun(target, seq, arg));
  if (view === 'explain') return done(renderExplain(target, seq, arg));
  return done(renderStatus(target, seq));
}

const current = (seq) => seq === renderSeq;

// ---------------------------------------------------------------- status view

async function renderStatus(target, seq) {
  const [status, stats] = await Promise.all([api('/api/status'), api('/api/stats/runs?limit=30').catch(() => null)]);
  if (!current(seq)) return;
  const plans = status.stores
    ? status.stores.map((s) => ({ store: s.name, plan: s.pendingPlan }))
    : [{ store: null, plan: status.pendingPlan }];
  const schedule = status.schedule ?? null;

  const cards = el('div', { class: 'cards' },
    el('div', { class: `card ${status.lock ? 'warn' : ''}`, id: 'lock-card' },
      el('h2', null, 'Lock'),
      el('p', { class: 'lock-text' }, status.lock ? holderText(status.lock) : 'free — no run in progress')),
    el('div', { class: 'card', id: 'plan-card' },
      el('h2', null, 'Pending plan'),
      plans.map(({ store, plan }) => plan
        ? el('p', null, store ? `${store}: ` : '', `plan ${plan.id} (${plan.status}, built ${ago(plan.createdAt)}): `,
          `${num((plan.items?.planned ?? 0) + (plan.items?.sent ?? 0))} to send, ${num(plan.items?.applied ?? 0)} applied, ${num(plan.items?.failed ?? 0)} failed `,
          el('button', { type: 'button', class: 'small', 'data-action': 'review-plan', 'data-run': plan.runId }, 'Review'))
        : el('p', null, store ? `${store}: ` : '', 'none'))),
    el('div', { class: 'card', id: 'schedule-card' },
      el('h2', null, 'Schedule'),
      !schedule || !schedule.expression
        ? el('p', null, 'no schedule (set serve.schedule)')
        : [
          el('p', null, el('code', null, schedule.expression), schedule.enabled ? ' — running' : ' — paused'),
          el('p', { class: 'next-run' }, 'next run: ', schedule.enabled && schedule.nextRunAt ? fmtTime(schedule.nextRunAt) : '–'),
          el('button', { type: 'button', class: 'small', 'data-action': 'schedule', 'data-enable': schedule.enabled ? 'false' : 'true' }, schedule.enabled ? 'Pause' : 'Resume'),
        ]),
    el('div', { class: 'card' },
      el('h2', null, 'Last sync'),
      el('p', null, status.lastSuccess ? `${fmtTime(status.lastSuccess)} (${ago(status.lastSuccess)})` : 'never'),
      status.storeIndex ? el('p', { class: 'muted' }, `store index: ${num(status.storeIndex.itemCount)} items, refreshed ${ago(status.storeIndex.refreshedAt)}`) : null),
  );

  const actions = el('div', { class: 'actions' },
    el('button', { type: 'button', class: 'primary', 'data-action': 'dry-run', id: 'dry-run' }, 'Dry run (fetch + match, writes nothing)'),
    el('span', { class: 'muted' }, 'Review its diff, then apply exactly that plan.'));

  target.replaceChildren(
    el('h1', null, 'Status'),
    actions,
    cards,
    el('h2', null, 'Recent runs'),
    stats && stats.length ? runsChart(stats) : el('p', { class: 'muted' }, 'No runs yet.'),
    runsTable(status.lastRuns ?? []),
  );
}

// ---------------------------------------------------------------- runs list

async function renderRuns(target, seq) {
  const runs = await api('/api/runs?limit=100');
  if (!current(seq)) return;
  target.replaceChildren(el('h1', null, 'Runs'), runs.length ? runsTable(runs) : el('p', null, 'No runs yet.'));
}

function runsTable(runs) {
  const rows = runs.map((r) => {
    const id = r.runId ?? r.id;
    return el('tr', null,
      el('td', null, el('a', { href: `#/run/${encodeURIComponent(id)}` }, fmtTime(r.startedAt))),
      el('td', null, r.command, r.dryRun ? ' (dry run)' : ''),
      el('td', null, badge(r.status)),
      el('td', { class: 'num' }, r.exitCode ?? '–'),
      el('td', { class: 'num hide-narrow' }, r.finishedAt ? fmtDuration(Date.parse(r.finishedAt) - Date.parse(r.startedAt)) : '…'));
  });
  return el('div', { class: 'scroll-x' }, el('table', { class: 'runs' },
    el('thead', null, el('tr', null, el('th', null, 'Started'), el('th', null, 'Command'), el('th', null, 'Status'), el('th', { class: 'num' }, 'Exit'), el('th', { class: 'num hide-narrow' }, 'Took'))),
    el('tbody', null, rows)));
}

// ---------------------------------------------------------------- one run

async function renderRun(target, seq, runId) {
  const summary = await api(`/api/runs/${encodeURIComponent(runId)}`);
  if (!current(seq)) return;
  // Only a run the server reports as running is polled: an interrupted one (kill -9) has no finishedAt and is over.
  if (summary.status === 'running') {
    target.replaceChildren(progressView(summary, runId));
    pollTimer = setTimeout(() => { if (current(seq)) renderRun(target, seq, runId).catch((err) => showError(err, 'Loading the run')); }, POLL_MS);
    return;
  }
  target.replaceChildren(...runView(summary));
}

/** A run in progress: what the server reports so far, refreshed every second until it finishes. */
function progressView(summary, runId) {
  const started = summary.startedAt ? Date.parse(summary.startedAt) : NaN;
  // The server's progress is RunProgressCounts: supplier items read and push batches, no step name.
  const p = summary.progress ?? null;
  const counts = summary.counts ?? null;
  const bits = [];
  if (p && typeof p === 'object') {
    if (Number.isFinite(p.sourceItems) && p.sourceItems > 0) bits.push(el('p', { class: 'read' }, `${num(p.sourceItems)} supplier items read`));
    if (Number.isFinite(p.batchesTotal) && p.batchesTotal > 0) {
      bits.push(el('p', { class: 'batches' }, `${num(p.batchesDone ?? 0)} of ${num(p.batchesTotal)} store batches sent`));
      bits.push(el('progress', { max: p.batchesTotal, value: p.batchesDone ?? 0 }));
    }
  }
  if (counts) bits.push(el('p', null, `applied ${num(counts.applied)}, failed ${num(counts.failed)}, pending ${num(counts.pending)}`));
  return el('div', { class: 'progress-view', id: 'progress' },
    el('h1', null, `Run ${runId}`),
    el('p', null, badge('running'), ` invsync ${summary.command ?? ''}${summary.dryRun ? ' --dry-run' : ''}`,
      Number.isFinite(started) ? ` — running for ${fmtDuration(Date.now() - started)}` : ''),
    el('progress', { class: 'spin' }),
    bits,
    el('p', { class: 'muted' }, 'This page updates by itself; the run goes on if you close it.'));
}

function runView(s) {
  const counts = s.counts ?? {};
  const canApply = s.planId !== null && s.planId !== undefined && (s.dryRun || s.command === 'match') && s.status === 'ok' && (counts.changed ?? s.changes?.length ?? 0) > 0;
  const parts = [
    el('h1', null, `Run ${s.runId}`),
    el('p', { class: 'run-head', 'data-run': s.runId }, badge(s.status), ` invsync ${s.command}${s.dryRun ? ' --dry-run' : ''} · exit ${s.exitCode ?? '–'} · ${fmtTime(s.startedAt)} · took ${fmtDuration(s.durationMs)}`),
  ];
  if (s.status === 'interrupted') {
    parts.push(el('p', { class: 'message warn' }, 'This run was interrupted (killed or crashed) before it finished; the next push or full resumes its journal.'));
  } else if (s.safety?.tripped) {
    // The gate's own message says what it measured, the limit, and what to do (`--force`).
    const why = s.safety.message ?? s.message ?? 'nothing was written.';
    parts.push(el('div', { class: 'gate', id: 'gate' }, el('strong', null, `Safety gate tripped: ${s.safety.tripped}. `), why));
  } else if (s.message) {
    parts.push(el('p', { class: `message ${s.status === 'ok' ? '' : 'warn'}` }, s.message));
  }
  parts.push(el('dl', { class: 'counts' }, ...['sourceItems', 'storeItems', 'matched', 'missing', 'unchanged', 'changed', 'applied', 'failed', 'pending']
    .filter((k) => counts[k] !== undefined)
    .map((k) => el('div', null, el('dt', null, k), el('dd', null, num(counts[k]))))));
  if (canApply) {
    parts.push(el('div', { class: 'actions apply' },
      el('button', { type: 'button', class: 'primary', 'data-action': 'apply', 'data-plan': s.planId, id: 'apply' }, `Apply exactly this plan (${num(counts.changed ?? s.changes.length)} changes)`),
      el('span', { class: 'muted' }, `plan ${s.planId}: refused if the store or the feeds changed since this run`)));
  }
  if (s.errors?.length) {
    parts.push(el('details', { class: 'errors' }, el('summary', null, `${num(s.errorsTotal ?? s.errors.length)} error(s)`),
      el('ul', null, s.errors.slice(0, 200).map((e) => el('li', null, el('code', null, e.sku ?? ''), ` ${e.source ?? ''}: ${e.message ?? ''}`)))));
  }
  if (s.changes?.length) {
    parts.push(el('h2', null, 'Changes'));
    if (s.changesTotal && s.changesTotal > s.changes.length) {
      parts.push(el('p', { class: 'muted' }, `Showing the first ${num(s.changes.length)} of ${num(s.changesTotal)} changes (the CLI's \`invsync show ${s.runId} --format csv\` lists them all).`));
    }
    parts.push(diffTable(s.changes));
  } else {
    parts.push(el('p', { class: 'muted' }, 'No changes.'));
  }
  return parts;
}

// ---------------------------------------------------------------- the diff table

const COLUMNS = [
  { key: 'sku', label: 'SKU' },
  { key: 'name', label: 'Product', cls: 'hide-narrow' },
  { key: 'from', label: 'From', cls: 'num' },
  { key: 'to', label: 'To', cls: 'num' },
  { key: 'delta', label: 'Δ', cls: 'num' },
  { key: 'status', label: 'Status' },
  { key: 'error', label: 'Note', cls: 'hide-narrow' },
];

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

function sortValue(c, key) {
  if (key === 'delta') return c.from === null || c.from === undefined ? null : c.to - c.from;
  if (key === 'error') return c.error ?? c.reason ?? '';
  return c[key];
}

/** Pure: the indexes of `changes` that pass the filter, in the asked order (stable). */
export function viewOf(changes, { text, status, sort, dir }) {
  const needle = text.trim().toLowerCase();
  const idx = [];
  for (let i = 0; i < changes.length; i++) {
    const c = changes[i];
    if (status && c.status !== status) continue;
    if (needle && !`${c.sku}\u0000${c.name ?? ''}\u0000${c.error ?? ''}\u0000${c.store ?? ''}`.toLowerCase().includes(needle)) continue;
    idx.push(i);
  }
  if (sort) {
    const sign = dir === 'desc' ? -1 : 1;
    idx.sort((a, b) => {
      const x = sortValue(changes[a], sort);
      const y = sortValue(changes[b], sort);
      const xNone = x === null || x === undefined;
      const yNone = y === null || y === undefined;
      // Unknown values (an untracked level) go last in both directions: they are not "smallest".
      if (xNone || yNone) return xNone && yNone ? a - b : xNone ? 1 : -1;
      const r = typeof x === 'number' && typeof y === 'number' ? x - y : collator.compare(String(x), String(y));
      return r === 0 ? a - b : r * sign;
    });
  }
  return idx;
}

/**
 * Thousands of rows stay fast: only the rows in view (plus a margin) are in the DOM, between two
 * spacer rows that keep the scrollbar honest; sorting and filtering work on an index array. One
 * listener per table part (delegation), none per row.
 */
export function diffTable(changes) {
  const state = { text: '', status: '', sort: '', dir: 'asc', view: [] };
  const statuses = [...new Set(changes.map((c) => c.status))].sort();
  const filter = el('input', { type: 'search', class: 'diff-filter', placeholder: 'Filter by SKU, product or note', 'aria-label': 'Filter changes' });
  const statusSel = el('select', { class: 'diff-status', 'aria-label': 'Status' }, el('option', { value: '' }, 'all statuses'), statuses.map((s) => el('option', { value: s }, s)));
  const shown = el('span', { class: 'diff-count muted' });
  const headRow = el('tr', null, COLUMNS.map((c) => el('th', { class: c.cls ?? null, scope: 'col' },
    el('button', { type: 'button', class: 'sort', 'data-sort': c.key }, c.label, el('span', { class: 'arrow', 'aria-hidden': 'true' })))));
  const thead = el('thead', null, headRow);
  const tbody = el('tbody');
  const scroller = el('div', { class: 'diff-scroll', tabindex: '0' }, el('table', { class: 'diff' }, thead, tbody));
  const wrap = el('div', { class: 'diff-wrap' }, el('div', { class: 'diff-controls' }, filter, statusSel, shown), scroller);

  let frame = 0;
  const draw = () => {
    frame = 0;
    const total = state.view.length;
    const height = scroller.clientHeight || 600;
    const first = Math.max(0, Math.floor(scroller.scrollTop / ROW_PX) - 10);
    const last = Math.min(total, first + Math.ceil(height / ROW_PX) + 20);
    const rows = [spacer(first * ROW_PX)];
    for (let k = first; k < last; k++) rows.push(diffRow(changes[state.view[k]]));
    rows.push(spacer((total - last) * ROW_PX));
    tbody.replaceChildren(...rows);
  };
  const schedule = () => { if (!frame) frame = requestAnimationFrame(draw); };
  const refresh = () => {
    state.view = viewOf(changes, state);
    shown.textContent = `${num(state.view.length)} of ${num(changes.length)} changes`;
    for (const b of headRow.querySelectorAll('button.sort')) {
      const on = b.dataset.sort === state.sort;
      b.closest('th').setAttribute('aria-sort', on ? (state.dir === 'asc' ? 'ascending' : 'descending') : 'none');
      b.querySelector('.arrow').textContent = on ? (state.dir === 'asc' ? ' ▲' : ' ▼') : '';
    }
    scroller.scrollTop = 0;
    draw();
  };

  let typing = 0;
  filter.addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(() => { state.text = filter.value; refresh(); }, 120); });
  statusSel.addEventListener('change', () => { state.status = statusSel.value; refresh(); });
  thead.addEventListener('click', (e) => {
    const b = e.target.closest('button.sort');
    if (!b) return;
    if (state.sort === b.dataset.sort) state.dir = state.dir === 'asc' ? 'desc' : 'asc';
    else { state.sort = b.dataset.sort; state.dir = 'asc'; }
    refresh();
  });
  scroller.addEventListener('scroll', schedule, { passive: true });
  // The first draw needs the table in the document to know its height.
  requestAnimationFrame(refresh);
  state.view = viewOf(changes, state);
  shown.textContent = `${num(changes.length)} of ${num(changes.length)} changes`;
  return wrap;
}

function spacer(px) {
  const td = el('td', { colspan: COLUMNS.length });
  td.style.height = `${px}px`; // CSSOM, not a style attribute: allowed under a strict CSP
  return el('tr', { class: 'spacer', 'aria-hidden': 'true' }, td);
}

function diffRow(c) {
  const delta = c.from === null || c.from === undefined ? null : c.to - c.from;
  const id = c.variationId !== null && c.variationId !== undefined ? `${c.productId}/${c.variationId}` : String(c.productId);
  return el('tr', { class: 'row' },
    el('td', { class: 'sku' }, el('a', { href: `#/explain/${encodeURIComponent(c.sku)}`, title: `explain ${c.sku} (store item ${id})` }, c.sku)),
    el('td', { class: 'hide-narrow' }, c.store ? `[${c.store}] ` : '', c.name ?? ''),
    el('td', { class: 'num' }, c.from ?? 'untracked'),
    el('td', { class: 'num' }, c.to),
    el('td', { class: `num ${delta === null ? '' : delta > 0 ? 'up' : delta < 0 ? 'down' : ''}` }, delta === null ? '' : delta > 0 ? `+${delta}` : delta),
    el('td', null, badge(c.status)),
    el('td', { class: 'hide-narrow note' }, c.error ?? c.reason ?? ''));
}

// ---------------------------------------------------------------- explain

async function renderExplain(target, seq, sku) {
  const form = el('form', { class: 'explain-form', id: 'explain-form' },
    el('label', { for: 'explain-sku' }, 'SKU'),
    el('input', { id: 'explain-sku', name: 'sku', required: true, value: sku, autocomplete: 'off', spellcheck: 'false' }),
    el('button', { type: 'submit' }, 'Explain'));
  const out = el('div', { id: 'explanation' });
  target.replaceChildren(el('h1', null, 'Explain a SKU'), el('p', { class: 'muted' }, 'Why the store will show what it will show: every source row, each rule in order, the store item(s).'), form, out);
  if (!sku) return;
  const [ex, history] = await Promise.all([
    api(`/api/explain/${encodeURIComponent(sku)}`),
    api(`/api/skus/${encodeURIComponent(sku)}/history?limit=30`).catch(() => null),
  ]);
  if (!current(seq)) return;
  out.replaceChildren(...explanationView(ex, history));
}

function explanationView(ex, history) {
  const parts = [
    el('div', { class: 'target' },
      el('span', { class: 'muted' }, `${ex.sku} → `),
      el('strong', { class: 'target-qty' }, ex.target === null ? 'no target' : String(ex.target))),
  ];
  if (ex.notWritten) parts.push(el('p', { class: 'gate not-written' }, el('strong', null, 'Not written: '), ex.notWritten));
  parts.push(el('h2', null, 'Source rows'));
  parts.push(ex.sources.length ? table(['Source', 'SKU', 'Row', 'Qty', 'Text'], ex.sources.map((r) => [
    r.source, r.sku, r.row ?? r.page ?? '', r.qty ?? (r.rejected ? `rejected: ${r.rejected}` : '–'), r.text ?? '',
  ]), 'sources') : el('p', { class: 'muted' }, 'No source lists this SKU.'));
  parts.push(el('h2', null, 'Rules, in order'));
  parts.push(ex.rules.length ? el('ol', { class: 'rules' }, ex.rules.map((r) => el('li', null,
    el('code', null, r.rule), r.source ? ` (${r.source})` : '', ': ', r.from === null ? '–' : String(r.from), ' → ', el('strong', null, String(r.to)),
    r.note ? el('span', { class: 'muted' }, ` ${r.note}`) : null))) : el('p', { class: 'muted' }, 'No rule applied.'));
  parts.push(el('h2', null, 'Store items'));
  parts.push(ex.storeItems.length ? table(['Store', 'Product', 'Variation', 'Qty now'], ex.storeItems.map((i) => [
    i.store, i.productId, i.variationId ?? '–', i.qty ?? 'untracked',
  ]), 'store-items') : el('p', { class: 'muted' }, 'No store item has this SKU.'));
  parts.push(el('h2', null, 'Stock level over recent runs'));
  parts.push(history && history.length ? skuChart(history) : el('p', { class: 'muted' }, 'No recent run changed this SKU.'));
  return parts;
}

function table(headers, rows, cls) {
  return el('div', { class: 'scroll-x' }, el('table', { class: cls },
    el('thead', null, el('tr', null, headers.map((h) => el('th', null, h)))),
    el('tbody', null, rows.map((r) => el('tr', null, r.map((v) => el('td', null, v)))))));
}

// ---------------------------------------------------------------- charts (inline SVG)

/**
 * Recent runs, oldest left: bars of changes applied (and failures stacked on top), a line of the
 * duration on its own scale. Each run's column has a <title>, which browsers show as a tooltip.
 */
function runsChart(statsNewestFirst) {
  const runs = statsNewestFirst.slice().reverse();
  const W = 640; const H = 220; const L = 58; const R = 70; const T = 16; const B = 30;
  const plotW = W - L - R; const plotH = H - T - B;
  let maxCount = 1; let maxDur = 1;
  for (const r of runs) {
    maxCount = Math.max(maxCount, (r.applied ?? 0) + (r.failed ?? 0), r.dryRun ? r.changed ?? 0 : 0);
    maxDur = Math.max(maxDur, r.durationMs ?? 0);
  }
  const step = plotW / runs.length;
  const bw = Math.max(2, Math.min(28, step * 0.6));
  const y = (v) => T + plotH - (v / maxCount) * plotH;
  const yd = (v) => T + plotH - (v / maxDur) * plotH;
  const g = [];
  const line = [];
  runs.forEach((r, i) => {
    const x = L + step * i + (step - bw) / 2;
    const applied = r.applied ?? 0; const failed = r.failed ?? 0;
    const planned = r.dryRun ? r.changed ?? 0 : 0;
    const tip = `${fmtTime(r.startedAt)} · ${r.command}${r.dryRun ? ' (dry run)' : ''} · ${r.status}\n` +
      `${r.dryRun ? `planned ${num(r.changed)}` : `applied ${num(r.applied)}, failed ${num(r.failed)}`} · took ${fmtDuration(r.durationMs)}`;
    const col = svg('g', { class: 'run' }, svg('title', null, tip));
    if (planned > 0) col.append(svg('rect', { class: 'bar planned', x, y: y(planned), width: bw, height: T + plotH - y(planned) }));
    if (applied > 0) col.append(svg('rect', { class: 'bar applied', x, y: y(applied), width: bw, height: T + plotH - y(applied) }));
    if (failed > 0) col.append(svg('rect', { class: 'bar failed', x, y: y(applied + failed), width: bw, height: y(applied) - y(applied + failed) }));
    if (r.status !== 'ok' && r.status !== 'running') col.append(svg('circle', { class: `dot s-${r.status}`, cx: x + bw / 2, cy: T + plotH + 8, r: 3.5 }));
    // A transparent full-height hit area: thin or empty bars still show their tooltip.
    col.append(svg('rect', { class: 'hit', x: L + step * i, y: T, width: step, height: plotH }));
    g.push(col);
    if (r.durationMs !== null && r.durationMs !== undefined) line.push(`${(x + bw / 2).toFixed(1)},${yd(r.durationMs).toFixed(1)}`);
  });
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart runs-chart', role: 'img', 'aria-label': `Recent ${runs.length} runs: changes applied, failures and duration` },
    svg('line', { class: 'axis', x1: L, y1: T + plotH, x2: W - R, y2: T + plotH }),
    svg('text', { class: 'tick', x: L - 6, y: T + 4, 'text-anchor': 'end' }, num(maxCount)),
    svg('text', { class: 'tick', x: L - 6, y: T + plotH, 'text-anchor': 'end' }, '0'),
    svg('text', { class: 'tick dur', x: W - R + 6, y: T + 4 }, fmtDuration(maxDur)),
    svg('text', { class: 'tick dur', x: W - R + 6, y: T + plotH }, '0 s'),
    g,
    line.length > 1 ? svg('polyline', { class: 'duration', points: line.join(' ') }) : null,
    line.map((p) => { const [cx, cy] = p.split(','); return svg('circle', { class: 'duration-dot', cx, cy, r: 2.5 }); }));
  const legend = el('p', { class: 'legend' },
    el('span', { class: 'key applied' }), 'applied ', el('span', { class: 'key failed' }), 'failed ',
    el('span', { class: 'key planned' }), 'planned (dry run) ', el('span', { class: 'key duration' }), 'duration');
  return el('figure', { class: 'chart-box', id: 'runs-chart' }, chart, legend);
}

/** One SKU across the recent plans: the store's level before each run and the level it set (or would set). */
function skuChart(levels) {
  const W = 640; const H = 200; const L = 50; const R = 16; const T = 16; const B = 30;
  const plotW = W - L - R; const plotH = H - T - B;
  let max = 1;
  for (const p of levels) max = Math.max(max, p.from ?? 0, p.to);
  const step = levels.length > 1 ? plotW / (levels.length - 1) : 0;
  const x = (i) => L + (levels.length > 1 ? step * i : plotW / 2);
  const y = (v) => T + plotH - (v / max) * plotH;
  const before = []; const after = [];
  const marks = levels.map((p, i) => {
    if (p.from !== null && p.from !== undefined) before.push(`${x(i).toFixed(1)},${y(p.from).toFixed(1)}`);
    after.push(`${x(i).toFixed(1)},${y(p.to).toFixed(1)}`);
    const done = p.status === 'applied';
    return svg('g', { class: 'point' },
      svg('title', null, `${fmtTime(p.at)}${p.dryRun ? ' (dry run)' : ''} · plan ${p.planId}${p.store && p.store !== 'store' ? ` · ${p.store}` : ''}\n${p.from ?? 'untracked'} → ${p.to} (${p.status})`),
      p.from !== null && p.from !== undefined ? svg('circle', { class: 'before', cx: x(i), cy: y(p.from), r: 3 }) : null,
      svg('circle', { class: done ? 'after applied' : 'after', cx: x(i), cy: y(p.to), r: 4.5 }));
  });
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart sku-chart', role: 'img', 'aria-label': `Stock level of this SKU over ${levels.length} recent plans` },
    svg('line', { class: 'axis', x1: L, y1: T + plotH, x2: W - R, y2: T + plotH }),
    svg('text', { class: 'tick', x: L - 6, y: T + 4, 'text-anchor': 'end' }, num(max)),
    svg('text', { class: 'tick', x: L - 6, y: T + plotH, 'text-anchor': 'end' }, '0'),
    svg('text', { class: 'tick', x: L, y: H - 6 }, fmtTime(levels[0].at)),
    levels.length > 1 ? svg('text', { class: 'tick', x: W - R, y: H - 6, 'text-anchor': 'end' }, fmtTime(levels[levels.length - 1].at)) : null,
    before.length > 1 ? svg('polyline', { class: 'before-line', points: before.join(' ') }) : null,
    after.length > 1 ? svg('polyline', { class: 'after-line', points: after.join(' ') }) : null,
    marks);
  const legend = el('p', { class: 'legend' },
    el('span', { class: 'key before' }), 'store level before the run ', el('span', { class: 'key after' }), 'level set (filled: applied)');
  return el('figure', { class: 'chart-box', id: 'sku-chart' }, chart, legend);
}

// ---------------------------------------------------------------- actions (one delegated listener)

async function startDryRun(button) {
  button.disabled = true;
  try {
    const { runId } = await api('/api/runs', { method: 'POST', body: { command: 'full', dryRun: true } });
    clearNotice();
    location.hash = `#/run/${encodeURIComponent(runId)}`;
  } catch (err) {
    showError(err, 'The dry run');
  } finally {
    button.disabled = false;
  }
}

async function applyPlan(button) {
  const planId = button.dataset.plan;
  button.disabled = true;
  try {
    const { runId } = await api(`/api/plans/${encodeURIComponent(planId)}/apply`, { method: 'POST', body: {} });
    clearNotice();
    location.hash = `#/run/${encodeURIComponent(runId)}`;
  } catch (err) {
    showError(err, `Applying plan ${planId}`);
    button.disabled = false;
  }
}

async function setSchedule(button) {
  button.disabled = true;
  try {
    await api('/api/schedule', { method: 'POST', body: { enabled: button.dataset.enable === 'true' } });
    route();
  } catch (err) {
    showError(err, 'Changing the schedule');
    button.disabled = false;
  }
}

/** The run that recorded plan `planId`: the newest runs that record plans are searched for it. */
/** A pending plan's diff is the run that built it (status names it): open that run. */
function reviewPlan(runId) {
  location.hash = `#/run/${encodeURIComponent(runId)}`;
}

function onClick(event) {
  const button = event.target.closest('[data-action]');
  if (!button) return;
  const action = button.dataset.action;
  if (action === 'dry-run') startDryRun(button);
  else if (action === 'apply') applyPlan(button);
  else if (action === 'schedule') setSchedule(button);
  else if (action === 'review-plan') reviewPlan(button.dataset.run);
  else if (action === 'logout') logout();
  else if (action === 'dismiss') clearNotice();
}

function onSubmit(event) {
  if (event.target.id === 'login-form') { login(event); return; }
  if (event.target.id === 'explain-form') {
    event.preventDefault();
    const sku = new FormData(event.target).get('sku').toString().trim();
    if (sku) location.hash = `#/explain/${encodeURIComponent(sku)}`;
  }
}

async function start() {
  document.addEventListener('click', onClick);
  document.addEventListener('submit', onSubmit);
  window.addEventListener('hashchange', () => { clearNotice(); route(); });
  try {
    await api('/api/status');
    showApp();
    route();
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) { showApp(); showError(err, 'Loading'); }
  }
}

if (typeof document !== 'undefined') start();

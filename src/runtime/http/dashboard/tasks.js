// The task browser: a tab per state listing one page at a time (GET /tasks?state=…, paged by
// the server's opaque cursor), and a detail panel that loads one task by id (GET /tasks/:id),
// payload and all, and can cancel it while it waits (DELETE /tasks/:id, with the token).
// Pages are loaded on demand, not on the once-a-second poll: a page that moved under the
// reader's eyes would be unreadable, and every poll would fetch a page of rows for nothing.
import { ApiError, cancelTask, getTask, listTasks } from './api.js';
import { el, setText, syncChildren } from './dom.js';
import { count } from './format.js';

const PAGE_SIZE = 25;
const CONFIRM_MS = 4000;
/** One tab per state: its label, the heading of its time column, and which time that is. */
const TABS = [
  { state: 'waiting', label: 'Waiting', when: 'Ready since', at: (t) => t.runAt ?? t.createdAt },
  { state: 'delayed', label: 'Delayed', when: 'Due', at: (t) => t.runAt },
  { state: 'active', label: 'Active', when: 'Lease ends', at: (t) => t.expiresAt },
  { state: 'completed', label: 'Completed', when: 'Finished', at: (t) => t.finishedAt },
  { state: 'dead', label: 'Dead', when: 'Died', at: (t) => t.finishedAt },
];
const CANCELLABLE = new Set(['waiting', 'delayed']);
const STATE_TONE = { waiting: 'muted', delayed: 'muted', active: 'warn', completed: 'ok', dead: 'bad', cancelled: 'muted' };

const $ = (id) => document.getElementById(id);
const clock = (ms) => (Number.isFinite(ms) ? new Date(ms).toLocaleString() : '—');

/**
 * Builds the browser into `root` and loads the first tab.
 * @param {HTMLElement} root an empty card
 * @param {{ notice(text: string, tone: string): void, failed(what: string, err: Error): void }} ui
 */
export function initTasks(root, ui) {
  root.append(...layout());
  const view = { tab: TABS[0], lane: '', type: '', cursors: [null], page: 0, next: null, seq: 0, openId: null, detailSeq: 0 };

  async function load() {
    const seq = ++view.seq;
    const query = { state: view.tab.state, limit: String(PAGE_SIZE) };
    if (view.lane) query.lane = view.lane;
    if (view.type) query.type = view.type;
    const cursor = view.cursors[view.page];
    if (cursor) query.cursor = cursor;
    setText($('tasks-status'), 'loading…');
    try {
      const body = await listTasks(query);
      if (seq !== view.seq) return; // a newer request is on its way; this answer is stale
      view.next = body.nextCursor;
      renderRows(body.tasks, view.tab);
      setText($('tasks-status'), '');
    } catch (err) {
      if (seq !== view.seq) return;
      view.next = null;
      renderRows([], view.tab);
      // A 401 is the overview's to explain (it asks for the token); the list reloads once one is accepted.
      setText($('tasks-status'), err instanceof ApiError && err.status === 401 ? 'needs a token' : `could not load: ${err.message}`);
    }
    $('tasks-prev').disabled = view.page === 0;
    $('tasks-next').disabled = !view.next;
    setText($('tasks-page'), `page ${count(view.page + 1)}`);
  }

  function restart() {
    view.cursors = [null];
    view.page = 0;
    load();
  }

  $('tasks-tabs').addEventListener('click', (event) => {
    const button = event.target.closest('button[data-state]');
    if (!button) return;
    view.tab = TABS.find((t) => t.state === button.dataset.state);
    for (const tab of $('tasks-tabs').children) tab.setAttribute('aria-selected', String(tab === button));
    restart();
  });
  $('tasks-filter').addEventListener('submit', (event) => {
    event.preventDefault();
    view.lane = $('tasks-lane').value;
    view.type = $('tasks-type').value.trim();
    restart();
  });
  $('tasks-lane').addEventListener('change', () => $('tasks-filter').requestSubmit());
  $('tasks-refresh').addEventListener('click', () => load());
  $('tasks-next').addEventListener('click', () => {
    if (!view.next) return;
    view.cursors[view.page + 1] = view.next;
    view.page += 1;
    load();
  });
  $('tasks-prev').addEventListener('click', () => {
    if (view.page === 0) return;
    view.page -= 1;
    load();
  });
  $('tasks-rows').addEventListener('click', (event) => {
    const row = event.target.closest('button[data-open]')?.closest('tr');
    if (row) open(row.dataset.key);
  });
  $('task-goto').addEventListener('submit', (event) => {
    event.preventDefault();
    const id = $('task-goto-id').value.trim();
    if (id) open(id);
  });
  $('task-detail-close').addEventListener('click', () => {
    view.openId = null;
    $('task-detail').hidden = true;
  });

  async function open(id) {
    const seq = ++view.detailSeq;
    view.openId = id;
    resetCancel();
    $('task-detail').hidden = false;
    setText($('task-detail-id'), id);
    setText($('task-detail-note'), 'loading…');
    try {
      const task = await getTask(id);
      if (seq === view.detailSeq) renderDetail(task);
    } catch (err) {
      if (seq !== view.detailSeq) return;
      renderDetail(null);
      // A refused id's 404 says until when enqueue refuses it: the server's message tells.
      const missing = err instanceof ApiError && err.status === 404;
      setText($('task-detail-note'), missing && err.code === 'TASKLANE_ERR_ID_REFUSED' ? err.message
        : missing ? `No task \`${id}\`: never enqueued, or its record has expired.` : `Could not load it: ${err.message}`);
    }
  }

  // Cancel asks for a second click, like purge: a cancelled id stays refused by enqueue.
  const cancel = $('task-cancel');
  function resetCancel() {
    clearTimeout(Number(cancel.dataset.confirm));
    delete cancel.dataset.confirm;
    cancel.textContent = 'Cancel task';
  }
  cancel.addEventListener('click', async () => {
    const id = view.openId;
    if (!id || cancel.disabled) return;
    if (!cancel.dataset.confirm) {
      cancel.textContent = 'Confirm cancel';
      cancel.dataset.confirm = String(setTimeout(resetCancel, CONFIRM_MS));
      return;
    }
    resetCancel();
    cancel.disabled = true;
    try {
      await cancelTask(id);
      ui.notice(`Cancelled ${id}.`, 'ok');
    } catch (err) {
      ui.failed(`cancel ${id}`, err);
    } finally {
      cancel.disabled = false;
      if (view.openId === id) open(id);
      load();
    }
  });

  load();
  return { open, reload: load };
}

function layout() {
  const tabs = TABS.map((t, i) => el('button', { type: 'button', role: 'tab', class: 'tab', 'data-state': t.state, 'aria-selected': String(i === 0) }, t.label));
  return [
    el('header', { class: 'card-head' },
      el('h2', {}, 'Tasks ', el('span', { class: 'muted', id: 'tasks-status' })),
      el('form', { class: 'inline-form', id: 'task-goto' },
        el('input', { id: 'task-goto-id', type: 'search', placeholder: 'task id', 'aria-label': 'Task id', autocomplete: 'off', spellcheck: 'false' }),
        el('button', { type: 'submit', class: 'btn small' }, 'Open'))),
    el('div', { class: 'tasks-bar' },
      el('div', { class: 'tabs', role: 'tablist', id: 'tasks-tabs' }, ...tabs),
      el('form', { class: 'inline-form', id: 'tasks-filter' },
        el('select', { id: 'tasks-lane', 'aria-label': 'Lane' }, el('option', { value: '' }, 'both lanes'), el('option', { value: 'short' }, 'short lane'), el('option', { value: 'long' }, 'long lane')),
        el('input', { id: 'tasks-type', type: 'search', placeholder: 'any type', 'aria-label': 'Task type', autocomplete: 'off', spellcheck: 'false' }),
        el('button', { type: 'submit', class: 'btn small' }, 'Filter'),
        el('button', { type: 'button', class: 'btn small', id: 'tasks-refresh' }, 'Refresh'))),
    detailPanel(),
    el('div', { class: 'scroll' },
      el('table', { class: 'grid tasks' },
        el('colgroup', {}, el('col', { class: 'c-id' }), el('col', { class: 'c-type' }), el('col', { class: 'c-lane' }), el('col', { class: 'c-att' }), el('col', { class: 'c-when' }), el('col')),
        el('thead', {}, el('tr', {}, el('th', {}, 'Task'), el('th', {}, 'Type'), el('th', {}, 'Lane · prio'), el('th', { class: 'num' }, 'Attempts'),
          el('th', { id: 'tasks-when' }, TABS[0].when), el('th', {}, 'Owner or last error'))),
        el('tbody', { id: 'tasks-rows' }))),
    el('p', { class: 'empty', id: 'tasks-empty', hidden: true }, 'No tasks here.'),
    el('div', { class: 'pager' },
      el('button', { type: 'button', class: 'btn small', id: 'tasks-prev', disabled: true }, '‹ Previous'),
      el('span', { class: 'muted', id: 'tasks-page' }, 'page 1'),
      el('button', { type: 'button', class: 'btn small', id: 'tasks-next', disabled: true }, 'Next ›')),
  ];
}

function detailPanel() {
  const block = (title, id) => el('div', { class: 'block' }, el('h4', {}, title), el('pre', { id, class: 'mono' }));
  return el('section', { class: 'detail', id: 'task-detail', hidden: true, 'aria-label': 'Task detail' },
    el('header', { class: 'detail-head' },
      el('h3', { class: 'mono ellipsis', id: 'task-detail-id' }),
      el('span', { class: 'pill', id: 'task-detail-state', 'data-tone': 'muted' }),
      el('span', { class: 'spacer' }),
      el('button', { type: 'button', class: 'btn small ghost', id: 'task-cancel', hidden: true }, 'Cancel task'),
      el('button', { type: 'button', class: 'link', id: 'task-detail-close', 'aria-label': 'Close' }, '×')),
    el('p', { class: 'muted', id: 'task-detail-note' }),
    el('dl', { class: 'fields', id: 'task-detail-fields' }),
    el('div', { class: 'blocks' }, block('Payload', 'task-payload'), block('Result', 'task-result'), block('Error', 'task-error')));
}

function renderRows(tasks, tab) {
  setText($('tasks-when'), tab.when);
  syncChildren($('tasks-rows'), tasks, (t) => t.id, () => el('tr', {},
    el('td', { class: 'ellipsis' }, el('button', { type: 'button', class: 'open-id mono', 'data-open': '' })),
    el('td', { class: 'ellipsis' }), el('td'), el('td', { class: 'num' }), el('td', { class: 'num muted' }), el('td', { class: 'ellipsis' })), (row, t) => {
    const [id, type, lane, attempts, when, detail] = row.children;
    setText(id.firstElementChild, t.id);
    id.firstElementChild.title = `Open ${t.id}`;
    setText(type, t.type);
    setText(lane, `${t.lane} · ${count(t.priority)}`);
    setText(attempts, `${count(t.attempts)} / ${count(t.maxAttempts)}`);
    setText(when, clock(tab.at(t)));
    const info = t.state === 'active' ? (t.owner ?? '') : t.error ? `${t.error.code ?? t.error.name}: ${t.error.message}` : '';
    setText(detail, info);
    detail.title = info;
  });
  $('tasks-empty').hidden = tasks.length > 0;
}

/** The opened task, or null when it could not be loaded. Every value goes in as text. */
function renderDetail(task) {
  const state = $('task-detail-state');
  state.hidden = !task;
  $('task-cancel').hidden = !task || !CANCELLABLE.has(task.state);
  setText($('task-detail-note'), '');
  if (!task) {
    $('task-detail-fields').replaceChildren();
    for (const id of ['task-payload', 'task-result', 'task-error']) setText($(id), '');
    return;
  }
  setText(state, task.state);
  state.dataset.tone = STATE_TONE[task.state] ?? 'muted';
  const rows = [
    ['Type', task.type], ['Lane', task.lane], ['Priority', count(task.priority)],
    ['Attempts', `${count(task.attempts)} / ${count(task.maxAttempts)}`], ['Stalls', count(task.stalls)],
    ['Lease owner', task.owner ?? '—'], ['Fence', count(task.fence)], ['Timeout', task.timeoutMs ? `${count(task.timeoutMs)} ms` : '—'],
    ['Created', clock(task.createdAt)], ['Runs at', clock(task.runAt)], ['Started', clock(task.startedAt)], ['Finished', clock(task.finishedAt)],
  ];
  $('task-detail-fields').replaceChildren(...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  setText($('task-payload'), JSON.stringify(task.payload, null, 2));
  setText($('task-result'), task.result === undefined ? '—' : JSON.stringify(task.result, null, 2));
  setText($('task-error'), task.error ? JSON.stringify(task.error, null, 2) : '—');
}

// The dead-letter table and its buttons. Rows are keyed by task id and updated in place,
// so the refresh every second never steals a click or a pending purge confirmation.
import { ago, count } from './format.js';
import { el, setText, syncChildren } from './dom.js';

const CONFIRM_MS = 4000;
const tbody = () => document.getElementById('dead');

function createRow() {
  return el('tr', {},
    el('td', { class: 'mono ellipsis' }),
    el('td', { class: 'ellipsis' }),
    el('td'),
    el('td', { class: 'num' }),
    el('td', { class: 'error' }, el('span', { class: 'code' }), el('span', { class: 'message' })),
    el('td', { class: 'num muted' }),
    el('td', { class: 'actions' },
      el('button', { type: 'button', class: 'btn small', 'data-action': 'retry' }, 'Retry'),
      el('button', { type: 'button', class: 'btn small ghost', 'data-action': 'purge' }, 'Purge')));
}

/**
 * @param {Array<object>} dead TaskInfo records, most recent first
 * @param {{ total: number, now: number, pending: Set<string> }} context
 */
export function renderDead(dead, { total, now, pending }) {
  syncChildren(tbody(), dead, (task) => task.id, createRow, (row, task) => {
    const [id, type, lane, attempts, error, when, actions] = row.children;
    setText(id, task.id);
    id.title = task.id;
    setText(type, task.type);
    setText(lane, `${task.lane} · ${count(task.priority)}`);
    setText(attempts, `${count(task.attempts)} / ${count(task.maxAttempts)}`);
    const [code, message] = error.children;
    setText(code, task.error ? (task.error.code ?? task.error.name ?? 'Error').replace(/^TASKLANE_ERR_/, '') : '');
    setText(message, task.error?.message ?? 'no error recorded');
    error.title = task.error ? `${task.error.name}${task.error.code ? ` (${task.error.code})` : ''}${task.error.status ? `, HTTP ${task.error.status}` : ''}: ${task.error.message}` : '';
    setText(when, ago(task.finishedAt, now));
    for (const button of actions.children) button.disabled = pending.has(task.id);
  });
  document.getElementById('dead-empty').hidden = dead.length > 0;
  document.getElementById('retry-all').disabled = dead.length === 0 || pending.has('*');
  const caption = dead.length < total ? `${count(total)} in all, newest ${count(dead.length)} shown` : total ? `${count(total)}` : '';
  setText(document.getElementById('dead-caption'), caption);
}

/**
 * Wires the row buttons and "Retry all". Purge asks for a second click, since it cannot
 * be undone.
 * @param {{ retry(id: string): void, purge(id: string): void, retryAll(): void }} actions
 */
export function bindDeadActions(actions) {
  tbody().addEventListener('click', (event) => {
    const button = event.target.closest('button[data-action]');
    const row = button?.closest('tr');
    if (!button || !row || button.disabled) return;
    const id = row.dataset.key;
    if (button.dataset.action === 'retry') return actions.retry(id);
    if (button.dataset.confirm) {
      clearTimeout(Number(button.dataset.confirm));
      delete button.dataset.confirm;
      button.textContent = 'Purge';
      return actions.purge(id);
    }
    button.textContent = 'Confirm';
    button.dataset.confirm = String(setTimeout(() => {
      delete button.dataset.confirm;
      button.textContent = 'Purge';
    }, CONFIRM_MS));
  });
  document.getElementById('retry-all').addEventListener('click', () => actions.retryAll());
}

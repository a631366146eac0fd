// The lane controls: whether each lane is paused, and a button to pause or resume it.
import { setPill, setText } from './dom.js';

const LANES = ['short', 'long'];

/**
 * Shows each lane's state from `stats.paused` and labels its button for the opposite action.
 * @param {{ short: boolean, long: boolean } | undefined} paused
 * @param {Set<string>} pending  actions in flight, by key (`lane:<name>` here)
 */
export function renderLanes(paused, pending) {
  for (const lane of LANES) {
    const isPaused = Boolean(paused?.[lane]);
    setPill(document.getElementById(`lane-${lane}-state`), isPaused ? 'paused' : 'running', isPaused ? 'warn' : 'ok');
    const button = document.getElementById(`lane-${lane}-toggle`);
    setText(button, isPaused ? 'Resume' : 'Pause');
    button.dataset.paused = String(isPaused);
    button.disabled = paused === undefined || pending.has(`lane:${lane}`);
  }
}

/**
 * Wires the pause/resume buttons.
 * @param {{ pause(lane: string): void, resume(lane: string): void }} actions
 */
export function bindLaneActions(actions) {
  for (const lane of LANES) {
    const button = document.getElementById(`lane-${lane}-toggle`);
    button.addEventListener('click', () => {
      if (button.disabled) return;
      if (button.dataset.paused === 'true') actions.resume(lane);
      else actions.pause(lane);
    });
  }
}

/** The photo view's timeline: one row per step of the execution, in the order the steps started. */
import type { TimelineStep } from '../../lambda/shared/api';
import { h } from './dom';
import { formatDuration, formatTimeOfDay } from './format';
import { sortTimeline } from './machine-status';

const COLUMNS = ['State', 'Type', 'Started', 'Duration', 'Attempts', 'Outcome', 'Error'];

const OUTCOME_TEXT: Record<TimelineStep['outcome'], string> = {
  RUNNING: 'Running',
  SUCCEEDED: 'Succeeded',
  FAILED: 'Failed',
};

export function renderTimeline(timeline: TimelineStep[]): Node[] {
  const steps = sortTimeline(timeline);
  const rows = steps.map((step) =>
    h(
      'tr',
      { 'data-state': step.name, 'data-outcome': step.outcome.toLowerCase() },
      h('th', { scope: 'row' }, step.name),
      h('td', {}, step.type),
      h('td', {}, h('time', { datetime: step.startedAt }, formatTimeOfDay(step.startedAt))),
      h('td', { class: 'num' }, step.outcome === 'RUNNING' ? 'running…' : formatDuration(step.durationMs)),
      h('td', { class: 'num' }, String(step.attempts)),
      h(
        'td',
        {},
        h('span', { class: `outcome outcome-${step.outcome.toLowerCase()}` }, OUTCOME_TEXT[step.outcome]),
      ),
      h('td', { class: 'error-cell' }, errorCell(step)),
    ),
  );
  if (steps.length === 0) {
    rows.push(
      h(
        'tr',
        {},
        h(
          'td',
          { colspan: COLUMNS.length, class: 'muted' },
          'No execution history is available for this photo.',
        ),
      ),
    );
  }
  const table = h(
    'table',
    { class: 'timeline', 'data-testid': 'timeline' },
    h('caption', { class: 'visually-hidden' }, 'Steps of the execution, in the order they started'),
    h('thead', {}, h('tr', {}, ...COLUMNS.map((name) => h('th', { scope: 'col' }, name)))),
    h('tbody', {}, ...rows),
  );
  return [
    h('div', { class: 'table-scroll', tabindex: 0, role: 'region', 'aria-label': 'Timeline table' }, table),
  ];
}

/**
 * A step's error: its name and cause (already readable: the API gives a Lambda error's message, not
 * its JSON), folded away when the cause is long.
 */
export function errorCell(step: Pick<TimelineStep, 'error' | 'cause'>): Node | string {
  if (!step.error && !step.cause) return '—';
  const cause = step.cause;
  if (!cause) return step.error ?? '';
  if (cause.length <= 80) return h('span', {}, h('strong', {}, step.error ?? 'Error'), ` ${cause}`);
  return h('details', {}, h('summary', {}, step.error ?? 'Error'), h('p', { class: 'cause' }, cause));
}

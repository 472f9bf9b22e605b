// The officer's queue (GET /api/queue, docs/api.md): today's movements that
// await a decision or an inspection result, oldest first. Each row links to
// the movement's lane page. Reloaded every 30 s while the page is open.
'use strict';

Object.assign(MESSAGES.en, {
  title_queue: 'Queue – Outpost', queue_heading: 'Queue',
  col_direction: 'Direction', col_mode: 'Mode', col_awaits: 'Awaits',
  queue_day: (date, zone) => `Today, ${date}; times in ${zone}. Refreshed every 30 s.`,
  queue_empty: 'Nothing waiting: every movement of today is decided and inspected.',
  queue_count: (n) => (n === 1 ? '1 movement waiting.' : `${n} movements waiting.`),
  queue_failed: 'The queue could not be loaded; trying again in 30 s.',
  awaits: {decision: 'Decision', inspection: 'Inspection result'},
  lane_word: (l) => (l ? (T.lanes[l] || l).toUpperCase() : 'none'),
  lane_cell: (q) => (q.lane ? `${T.lane_word(q.lane)} (decided)`
                    : q.recommended ? `${T.lane_word(q.recommended)} (recommended)` : '—'),
});

Object.assign(MESSAGES.bs, {
  title_queue: 'Red čekanja – Outpost', queue_heading: 'Red čekanja',
  col_direction: 'Smjer', col_mode: 'Vid prevoza', col_awaits: 'Čeka',
  queue_day: (date, zone) => `Danas, ${date}; vremena u zoni ${zone}. Osvježava se svakih 30 s.`,
  queue_empty: 'Ništa ne čeka: svaki današnji prelazak je odlučen i kontrolisan.',
  queue_count: (n) => `Prelazaka na čekanju: ${n}.`,
  queue_failed: 'Red čekanja nije učitan; novi pokušaj za 30 s.',
  awaits: {decision: 'Odluka', inspection: 'Rezultat kontrole'},
  lane_word: (l) => (l ? (T.lanes[l] || l).toUpperCase() : 'nema'),
  lane_cell: (q) => (q.lane ? `${T.lane_word(q.lane)} (odlučeno)`
                    : q.recommended ? `${T.lane_word(q.recommended)} (preporučeno)` : '—'),
});

const QUEUE_REFRESH_MS = 30000;

function queueRow(q) {
  const lane = q.lane || q.recommended;
  const link = el('a', {href: '/movements/view?id=' + encodeURIComponent(q.id), text: q.local_time});
  return el('tr', {'data-id': q.id},
            el('td', {}, link), el('td', {text: q.plate || '—'}),
            el('td', {text: T.values[q.direction] || q.direction}),
            el('td', {text: T.values[q.mode] || q.mode}),
            el('td', {class: 'lane-cell lane-' + lane, text: T.lane_cell(q)}),
            el('td', {text: T.awaits[q.awaits] || q.awaits}));
}

async function loadQueue() {
  const status = document.getElementById('queue-status');
  const r = await api('GET', '/api/queue').catch(() => ({status: 0, data: {}}));
  if (r.status === 401) { location.assign('/login'); return; }
  if (r.status !== 200) { status.textContent = T.queue_failed; return; }
  document.getElementById('queue-day').textContent = T.queue_day(r.data.day.date, r.data.day.zone);
  const body = document.getElementById('queue');
  body.replaceChildren(...r.data.queue.map(queueRow));
  status.textContent = r.data.queue.length ? T.queue_count(r.data.queue.length) : T.queue_empty;
}

async function initQueue() {
  if (!(await loadMe())) return;
  await loadQueue();
  setInterval(loadQueue, QUEUE_REFRESH_MS);
}

PAGES.queue = initQueue;

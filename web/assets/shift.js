// The supervisor's shift at a glance (GET /api/shift, docs/api.md): counts
// first, then the overrides with reasons and officers, the seizures, the
// sync state with HQ (a warning when it is old or failing) and the ruleset
// in force. No plates or names: nothing here is personal data.
'use strict';

Object.assign(MESSAGES.en, {
  title_shift: 'Shift – Outpost', shift_overrides: 'Overrides', shift_seizures: 'Seizures',
  shift_sync: 'Sync with HQ and rules', col_recommended: 'Recommended', col_decided: 'Decided',
  col_reason: 'Reason', col_officer: 'Officer',
  shift_day: (date, zone) => `Today, ${date}; times in ${zone}.`,
  shift_failed: 'The shift summary could not be loaded. Reload the page to try again.',
  count_movements: 'movements',
  count_lane: (l) => (l === 'undecided' ? 'awaiting a decision'
                                        : `${(T.lanes[l] || l).toUpperCase()} lane`),
  count_mode: (m) => `by ${T.values[m] || m}`,
  count_inspections: 'inspections',
  count_seizures: 'seizures',
  no_overrides: 'No override today.',
  no_seizures: 'No seizure today.',
  seizure: (z) => `${T.values[z.commodity_group] || z.commodity_group || 'other'}` +
    `${z.subtype ? ' (' + z.subtype + ')' : ''}: ` +
    `${z.quantity} ${z.unit}${z.amount ? `, ${z.amount} ${z.currency}` : ''}`,
  sync_ok: 'In sync with HQ.',
  peer_line: (p) => `last sync ${p.last_success_ago}; waiting to send ${p.pending_out < 0 ? '?' :
    p.pending_out}, to receive ${p.pending_in}${p.last_error ? '; last error: ' + p.last_error : ''}`,
  ruleset: 'Rules in force',
  ruleset_line: (r) => `${r.ruleset_id} version ${r.version} (issued ${r.issued})`,
  ruleset_none: 'None: no lane is recommended.',
  refused: (n) => `${n} newer ruleset(s) refused; see outpost risk status.`,
});

Object.assign(MESSAGES.bs, {
  title_shift: 'Smjena – Outpost', shift_overrides: 'Odstupanja od preporuke',
  shift_seizures: 'Zapljene', shift_sync: 'Sinhronizacija sa HQ i pravila',
  col_recommended: 'Preporučeno', col_decided: 'Odlučeno', col_reason: 'Razlog',
  col_officer: 'Službenik',
  shift_day: (date, zone) => `Danas, ${date}; vremena u zoni ${zone}.`,
  shift_failed: 'Pregled smjene nije učitan. Ponovo učitajte stranicu.',
  count_movements: 'prelazaka',
  count_lane: (l) => (l === 'undecided' ? 'čeka odluku'
                                        : `${(T.lanes[l] || l).toUpperCase()} traka`),
  count_mode: (m) => `${T.values[m] || m} prevoz`,
  count_inspections: 'kontrola',
  count_seizures: 'zapljena',
  no_overrides: 'Danas nema odstupanja od preporuke.',
  no_seizures: 'Danas nema zapljena.',
  seizure: (z) => `${T.values[z.commodity_group] || z.commodity_group || 'drugo'}` +
    `${z.subtype ? ' (' + z.subtype + ')' : ''}: ` +
    `${z.quantity} ${z.unit}${z.amount ? `, ${z.amount} ${z.currency}` : ''}`,
  sync_ok: 'Usklađeno sa HQ.',
  peer_line: (p) => `posljednja sinhronizacija ${p.last_success_ago}; čeka slanje ` +
    `${p.pending_out < 0 ? '?' : p.pending_out}, prijem ${p.pending_in}` +
    `${p.last_error ? '; posljednja greška: ' + p.last_error : ''}`,
  ruleset: 'Pravila na snazi',
  ruleset_line: (r) => `${r.ruleset_id} verzija ${r.version} (izdato ${r.issued})`,
  ruleset_none: 'Nema: nijedna traka se ne preporučuje.',
  refused: (n) => `Odbijenih novijih skupova pravila: ${n}; vidi outpost risk status.`,
});

function countItem(n, what, cls) {
  return el('li', {class: cls || ''}, el('span', {class: 'n', text: String(n)}),
            el('span', {class: 'what', text: what}));
}

function showCounts(s) {
  const counts = document.getElementById('counts');
  counts.append(countItem(s.movements, T.count_movements));
  for (const lane of ['red', 'yellow', 'green', 'blue', 'undecided']) {
    if (s.by_lane[lane]) counts.append(countItem(s.by_lane[lane], T.count_lane(lane), 'lane-' + lane));
  }
  for (const [mode, n] of Object.entries(s.by_mode)) counts.append(countItem(n, T.count_mode(mode)));
  counts.append(countItem(s.inspections, T.count_inspections));
  counts.append(countItem(s.seizures, T.count_seizures));
}

function showOverrides(s) {
  const body = document.getElementById('overrides');
  for (const o of s.overrides) {
    const link = el('a', {href: '/movements/view?id=' + encodeURIComponent(o.movement),
                          text: o.local_time});
    body.append(el('tr', {}, el('td', {}, link),
                   el('td', {class: 'lane-cell lane-' + o.recommended,
                             text: (T.lanes[o.recommended] || o.recommended).toUpperCase()}),
                   el('td', {class: 'lane-cell lane-' + o.lane,
                             text: (T.lanes[o.lane] || o.lane).toUpperCase()}),
                   el('td', {text: o.reason}), el('td', {text: o.officer})));
  }
  if (!s.overrides.length) body.append(el('tr', {}, el('td', {colspan: '5', text: T.no_overrides})));
  const list = document.getElementById('seizures');
  for (const z of s.seizure_list) list.append(el('li', {text: T.seizure(z)}));
  if (!s.seizure_list.length) list.append(el('li', {text: T.no_seizures}));
}

function showSync(s) {
  const state = document.getElementById('sync-state');
  state.className = s.sync.warning ? 'warning' : 'ok';
  state.textContent = s.sync.warning || T.sync_ok;
  const dl = document.getElementById('sync');
  for (const p of s.sync.peers) dl.append(el('dt', {text: p.name}), el('dd', {text: T.peer_line(p)}));
  dl.append(el('dt', {text: T.ruleset}),
            el('dd', {id: 'ruleset', text: s.ruleset ? T.ruleset_line(s.ruleset) : T.ruleset_none}));
  if (s.rulesets_refused) dl.append(el('dd', {text: T.refused(s.rulesets_refused)}));
}

async function initShift() {
  if (!(await loadMe())) return;
  const r = await api('GET', '/api/shift').catch(() => ({status: 0, data: {}}));
  if (r.status !== 200) {
    document.getElementById('shift-day').textContent = T.shift_failed;
    return;
  }
  document.getElementById('shift-day').textContent = T.shift_day(r.data.day.date, r.data.day.zone);
  showCounts(r.data);
  showOverrides(r.data);
  showSync(r.data);
}

PAGES.shift = initShift;

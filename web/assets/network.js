// HQ's network page (/network; GET /api/network and /api/network/sessions,
// docs/api.md): every enrolled crossing, its state in words first, then
// last contact, changes waiting, last error, rules, certificate. A click on
// a row (or Enter on its name) opens that crossing's sync sessions, newest
// first, paged. Every text that came from a crossing (names, errors,
// reasons) is put in with textContent (el's `text`), never as HTML.
'use strict';

Object.assign(MESSAGES.en, {
  title_network: 'Network – Outpost',
  net_threshold_label: 'Flag a crossing as behind after this many hours without a sync',
  net_apply: 'Apply',
  net_col_state: 'State', net_col_crossing: 'Crossing', net_col_contact: 'Last contact',
  net_col_waiting: 'Changes waiting', net_col_error: 'Last error or refusal',
  net_col_rules: 'Rules in use', net_col_cert: 'Certificate',
  net_rules_note: 'Rules in use: a crossing does not report the ruleset in force. Shown is the ' +
    'newest ruleset named by the crossing\'s risk assessments that reached HQ; “not known” when ' +
    'none has.',
  net_col_started: 'Started', net_col_outcome: 'Outcome', net_col_direction: 'Direction',
  net_col_bytes: 'Bytes received / sent', net_col_batches: 'Batches received / sent',
  net_col_duration: 'Duration', net_col_detail: 'Error or refusal',
  net_older: 'Older sessions',
  net_refused_title: 'Connections refused before the crossing proved its keys',
  net_state: {behind: 'BEHIND', failing: 'FAILING', revoked: 'REVOKED',
              'never connected': 'NEVER CONNECTED', ok: 'OK'},
  net_count: (state, n) => `${T.net_state[state] || state}: ${n}`,
  net_caption: (n, h, zone) => `${n} enrolled crossing(s); behind after ${h} h without a sync; ` +
    `times in ${zone}. Select a row for its sessions.`,
  net_failed: 'The network could not be loaded. Reload the page to try again.',
  net_not_hq: 'This node is not HQ: it knows only its own sessions, not the other crossings\'.',
  net_silent: (ago) => `last contact ${ago}`,
  net_never: 'never connected',
  net_enrolled: (when) => `enrolled ${when}`,
  net_attempt: (when) => `last attempt ${when}`,
  net_failing_since: (when) => `failing since ${when}`,
  net_waiting: (out, inn) => `to send ${out < 0 ? '?' : out}, to receive ${inn}`,
  net_waiting_note: 'Changes waiting: batches, as far as HQ knows from the last contact ' +
    '(what a crossing holds, HQ learns only from the crossing).',
  net_revoked: (when, why) => `revoked ${when}: ${why}`,
  net_quarantined: (n) => `${n} batch(es) in quarantine`,
  net_refused_batches: (n) => `${n} batch(es) refused:`,
  net_no_error: '—',
  net_rules_known: (r) => `${r.ruleset_id} version ${r.version}`,
  net_rules_current: 'the newest',
  net_rules_older: (n) => `older: HQ has ${n.ruleset_id} version ${n.version}`,
  net_rules_unknown: 'not known',
  net_cert: (epoch, when) => `epoch ${epoch}, expires ${when}`,
  net_cert_expired: (when) => `EXPIRED ${when}`,
  net_sessions_title: (name) => `Sync sessions with ${name}`,
  net_sessions_none: 'No session with this crossing in HQ\'s transfer log.',
  net_outcome: {ok: 'ok', cut: 'CUT', refused: 'REFUSED'},
  net_direction: {in: 'crossing connected', out: 'HQ connected', 'bundle-export': 'bundle to it',
                  'bundle-import': 'bundle from it'},
  net_refused_none: 'None from the addresses of these sessions.',
  net_refused_line: (r, first, last) => `${r.address}: ${r.count} time(s), ${first} – ${last}: `,
  net_bad_threshold: 'Hours: a number above 0 and at most 720 (0.5 is half an hour).',
  ago_s: (n) => `${n} s ago`, ago_min: (n) => `${n} min ago`, ago_h: (n) => `${n} h ago`,
  ago_d: (n) => `${n} days ago`,
});

Object.assign(MESSAGES.bs, {
  title_network: 'Mreža – Outpost',
  net_threshold_label: 'Označi prelaz kao zaostao nakon ovoliko sati bez sinhronizacije',
  net_apply: 'Primijeni',
  net_col_state: 'Stanje', net_col_crossing: 'Prelaz', net_col_contact: 'Posljednji kontakt',
  net_col_waiting: 'Promjene na čekanju', net_col_error: 'Posljednja greška ili odbijanje',
  net_col_rules: 'Pravila u upotrebi', net_col_cert: 'Certifikat',
  net_rules_note: 'Pravila u upotrebi: prelaz ne javlja koji skup pravila je na snazi. ' +
    'Prikazan je najnoviji skup pravila koji navode procjene rizika tog prelaza koje su stigle ' +
    'u HQ; „nije poznato” ako nijedna nije stigla.',
  net_col_started: 'Početak', net_col_outcome: 'Ishod', net_col_direction: 'Smjer',
  net_col_bytes: 'Bajtova primljeno / poslano', net_col_batches: 'Paketa primljeno / poslano',
  net_col_duration: 'Trajanje', net_col_detail: 'Greška ili odbijanje',
  net_older: 'Starije sesije',
  net_refused_title: 'Veze odbijene prije nego što je prelaz dokazao svoje ključeve',
  net_state: {behind: 'ZAOSTAJE', failing: 'GREŠKE', revoked: 'OPOZVAN',
              'never connected': 'NIKAD POVEZAN', ok: 'U REDU'},
  net_count: (state, n) => `${T.net_state[state] || state}: ${n}`,
  net_caption: (n, h, zone) => `Upisanih prelaza: ${n}; zaostaje nakon ${h} h bez ` +
    `sinhronizacije; vremena u zoni ${zone}. Odaberite red za njegove sesije.`,
  net_failed: 'Mreža nije učitana. Ponovo učitajte stranicu.',
  net_not_hq: 'Ovaj čvor nije HQ: zna samo svoje sesije, ne i sesije drugih prelaza.',
  net_silent: (ago) => `posljednji kontakt ${ago}`,
  net_never: 'nikad povezan',
  net_enrolled: (when) => `upisan ${when}`,
  net_attempt: (when) => `posljednji pokušaj ${when}`,
  net_failing_since: (when) => `greške od ${when}`,
  net_waiting: (out, inn) => `za slanje ${out < 0 ? '?' : out}, za prijem ${inn}`,
  net_waiting_note: 'Promjene na čekanju: paketi, koliko HQ zna od posljednjeg kontakta ' +
    '(šta prelaz ima, HQ saznaje samo od prelaza).',
  net_revoked: (when, why) => `opozvan ${when}: ${why}`,
  net_quarantined: (n) => `paketa u karantinu: ${n}`,
  net_refused_batches: (n) => `odbijenih paketa: ${n}:`,
  net_no_error: '—',
  net_rules_known: (r) => `${r.ruleset_id} verzija ${r.version}`,
  net_rules_current: 'najnoviji',
  net_rules_older: (n) => `stariji: HQ ima ${n.ruleset_id} verziju ${n.version}`,
  net_rules_unknown: 'nije poznato',
  net_cert: (epoch, when) => `epoha ${epoch}, ističe ${when}`,
  net_cert_expired: (when) => `ISTEKAO ${when}`,
  net_sessions_title: (name) => `Sesije sinhronizacije sa: ${name}`,
  net_sessions_none: 'U HQ dnevniku prenosa nema sesija s ovim prelazom.',
  net_outcome: {ok: 'u redu', cut: 'PREKINUTA', refused: 'ODBIJENA'},
  net_direction: {in: 'prelaz se povezao', out: 'HQ se povezao', 'bundle-export': 'paket za prelaz',
                  'bundle-import': 'paket od prelaza'},
  net_refused_none: 'Nema ih s adresa ovih sesija.',
  net_refused_line: (r, first, last) => `${r.address}: ${r.count} put(a), ${first} – ${last}: `,
  net_bad_threshold: 'Sati: broj veći od 0 i najviše 720 (0.5 je pola sata).',
  ago_s: (n) => `prije ${n} s`, ago_min: (n) => `prije ${n} min`, ago_h: (n) => `prije ${n} h`,
  ago_d: (n) => `prije ${n} dana`,
});

function zoneName() {
  const parts = new Intl.DateTimeFormat('en', {timeZoneName: 'short'}).formatToParts(new Date());
  return (parts.find((p) => p.type === 'timeZoneName') || {value: 'UTC'}).value;
}

// A UTC time in this browser's zone, "2026-12-03 18:19 CET": the same in
// every language (the browsers' Bosnian month names are not reliable).
function netTime(utc) {
  if (!utc) return '—';
  const d = new Date(utc);
  if (isNaN(d)) return String(utc);
  const two = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ` +
         `${two(d.getHours())}:${two(d.getMinutes())} ${zoneName()}`;
}

function ago(seconds) {
  if (seconds < 120) return T.ago_s(seconds);
  if (seconds < 7200) return T.ago_min(Math.floor(seconds / 60));
  if (seconds < 172800) return T.ago_h(Math.floor(seconds / 3600));
  return T.ago_d(Math.floor(seconds / 86400));
}

function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1048576).toFixed(1)} MB`;
}

const STATE_CLASS = {behind: 'state-behind', failing: 'state-failing', revoked: 'state-revoked',
                     'never connected': 'state-never', ok: 'state-ok'};

function sub(text) { return el('span', {class: 'sub', text}); }

function stateCell(c) {
  const td = el('td', {class: 'state ' + (STATE_CLASS[c.state] || '')},
                el('span', {text: T.net_state[c.state] || c.state}));
  if (c.state === 'behind' || c.state === 'ok' || c.state === 'failing') {
    td.append(sub(c.never_connected ? T.net_never : T.net_silent(ago(c.silent_seconds))));
  }
  if (c.certificate.expired) td.append(sub(T.net_cert_expired(netTime(c.certificate.expires))));
  return td;
}

function contactCell(c) {
  const td = el('td', {text: c.last_contact ? netTime(c.last_contact) : T.net_never});
  if (!c.last_contact) td.append(sub(T.net_enrolled(netTime(c.certificate.valid_from))));
  if (c.last_attempt && c.last_attempt !== c.last_contact) {
    td.append(sub(T.net_attempt(netTime(c.last_attempt))));
  }
  return td;
}

function errorCell(c) {
  const td = el('td', {});
  if (c.revoked) td.append(el('span', {class: 'peer-text', text: T.net_revoked(netTime(c.revoked_at), c.revoked_reason)}));
  if (c.last_error) {
    td.append(el('span', {class: 'peer-text', text: c.last_error}));
    if (c.failing_since) td.append(sub(T.net_failing_since(netTime(c.failing_since))));
  }
  if (c.quarantined) td.append(sub(T.net_quarantined(c.quarantined)));
  if (c.refused_batches) {
    td.append(sub(T.net_refused_batches(c.refused_batches)),
              el('span', {class: 'peer-text', text: c.last_refusal}));
  }
  if (!td.childNodes.length) td.textContent = T.net_no_error;
  return td;
}

function rulesCell(c, newest) {
  if (!c.ruleset) return el('td', {text: T.net_rules_unknown});
  const td = el('td', {text: T.net_rules_known(c.ruleset)});
  const current = newest && newest.ruleset_id === c.ruleset.ruleset_id &&
                  newest.version === c.ruleset.version;
  if (newest) td.append(sub(current ? T.net_rules_current : T.net_rules_older(newest)));
  return td;
}

function crossingRow(c, newest) {
  const name = el('button', {type: 'button', class: 'row-link', text: c.name});
  const tr = el('tr', {'data-id': c.id, 'data-state': c.state}, stateCell(c),
                el('td', {}, name, sub(c.site)), contactCell(c),
                el('td', {text: T.net_waiting(c.pending_out, c.pending_in)}),
                errorCell(c), rulesCell(c, newest),
                el('td', {text: T.net_cert(c.certificate.epoch, netTime(c.certificate.expires))}));
  tr.addEventListener('click', () => openSessions(c, tr));
  return tr;
}

const net = {crossing: null, before: null};

function sessionRow(s) {
  return el('tr', {'data-outcome': s.outcome}, el('td', {text: netTime(s.started)}),
            el('td', {class: 'outcome-' + s.outcome, text: T.net_outcome[s.outcome] || s.outcome}),
            el('td', {text: T.net_direction[s.direction] || s.direction}),
            el('td', {text: `${bytes(s.bytes_in)} / ${bytes(s.bytes_out)}`}),
            el('td', {text: `${s.batches_in} / ${s.batches_out}`}),
            el('td', {text: `${(s.duration_ms / 1000).toFixed(1)} s`}),
            el('td', {class: 'peer-text', text: s.error || T.net_no_error}));
}

async function loadSessions(more) {
  const c = net.crossing;
  let path = '/api/network/sessions?limit=20&node=' + encodeURIComponent(c.id);
  if (more && net.before) path += '&before=' + net.before;
  const r = await api('GET', path).catch(() => ({status: 0, data: {}}));
  const body = document.getElementById('session-rows');
  if (!more) body.replaceChildren();
  if (r.status !== 200) {
    body.append(el('tr', {}, el('td', {colspan: '7', text: T.net_failed})));
    return;
  }
  for (const s of r.data.sessions) body.append(sessionRow(s));
  if (!body.children.length) body.append(el('tr', {}, el('td', {colspan: '7', text: T.net_sessions_none})));
  net.before = r.data.next_before;
  document.getElementById('older').hidden = !net.before;
  if (more) return;
  const list = document.getElementById('refused-connections');
  list.replaceChildren();
  for (const x of r.data.refused_connections) {
    list.append(el('li', {}, el('span', {text: T.net_refused_line(x, netTime(x.first_seen), netTime(x.last_seen))}),
                   el('span', {class: 'peer-text', text: x.last_error})));
  }
  if (!list.children.length) list.append(el('li', {text: T.net_refused_none}));
}

async function openSessions(c, tr) {
  document.querySelectorAll('#crossing-rows tr.selected').forEach((x) => x.classList.remove('selected'));
  tr.classList.add('selected');
  net.crossing = c;
  net.before = null;
  const panel = document.getElementById('sessions-panel');
  panel.hidden = false;
  const title = document.getElementById('sessions-title');
  title.textContent = T.net_sessions_title(c.name);
  await loadSessions(false);
  title.focus();
}

function showNetwork(data) {
  const rows = document.getElementById('crossing-rows');
  rows.replaceChildren();
  for (const c of data.crossings) rows.append(crossingRow(c, data.newest_ruleset));
  const counts = document.getElementById('net-counts');
  counts.replaceChildren();
  for (const state of ['behind', 'failing', 'never connected', 'ok', 'revoked']) {
    if (data.counts[state]) {
      counts.append(el('li', {'data-state': state, text: T.net_count(state, data.counts[state])}));
    }
  }
  document.getElementById('net-caption').textContent =
    T.net_caption(data.crossings.length, data.behind_after_hours, zoneName());
  document.getElementById('net-status').textContent = data.node.hq ? '' : T.net_not_hq;
}

async function loadNetwork(hours) {
  const r = await api('GET', '/api/network?behind_hours=' + encodeURIComponent(hours))
    .catch(() => ({status: 0, data: {}}));
  if (r.status === 422) {
    showErrors([{field: 'behind_hours', message: T.net_bad_threshold, rule: T.net_bad_threshold}]);
    return;
  }
  clearErrors();
  if (r.status !== 200) {
    document.getElementById('net-status').textContent = T.net_failed;
    return;
  }
  showNetwork(r.data);
}

async function initNetwork() {
  if (!(await loadMe())) return;
  const params = new URLSearchParams(location.search);
  const input = document.getElementById('behind-hours');
  input.dataset.path = 'behind_hours';
  input.value = params.get('behind_hours') || '6';
  document.getElementById('threshold-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    history.replaceState(null, '', '?behind_hours=' + encodeURIComponent(input.value));
    loadNetwork(input.value);
  });
  document.getElementById('older').addEventListener('click', () => loadSessions(true));
  await loadNetwork(input.value);
}

PAGES.network = initNetwork;

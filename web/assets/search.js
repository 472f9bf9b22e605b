// Search page (/search): one box, Enter searches, newest first, pages of 20
// (GET /api/search, docs/api.md). Times shown in the desk's local time.
'use strict';

Object.assign(MESSAGES.en, {
  title_search: 'Search – Outpost',
  search_label: 'Plate, person, container, document or consignee',
  search_go: 'Search',
  search_hint: 'Enter searches. Case, accents and Cyrillic do not matter. ' +
               'Alt+N next page, Alt+P previous page.',
  col_driver: 'Driver', col_container: 'Container', col_consignee: 'Consignee',
  page_prev: 'Previous page', page_next: 'Next page',
  search_none: (q) => `Nothing found for “${q}”.`,
  search_count: (n, from, to) => `${n} found; showing ${from}–${to}, newest first.`,
  search_busy: 'Searching…',
});

Object.assign(MESSAGES.bs, {
  title_search: 'Pretraga – Outpost',
  search_label: 'Registarska oznaka, osoba, kontejner, dokument ili primalac',
  search_go: 'Traži',
  search_hint: 'Enter pretražuje. Velika slova, dijakritici i ćirilica nisu bitni. ' +
               'Alt+N sljedeća stranica, Alt+P prethodna stranica.',
  col_driver: 'Vozač', col_container: 'Kontejner', col_consignee: 'Primalac',
  page_prev: 'Prethodna stranica', page_next: 'Sljedeća stranica',
  search_none: (q) => `Ništa nije pronađeno za „${q}”.`,
  search_count: (n, from, to) => `Pronađeno ${n}; prikazano ${from}–${to}, najnovije prvo.`,
  search_busy: 'Pretraga…',
});

const SEARCH_LIMIT = 20;

function searchRow(r) {
  const plate = [r.plate, r.trailer_plate].filter(Boolean).join(' / ') || '—';
  const lane = el('td', {text: r.lane ? (T.lanes[r.lane] || r.lane).toUpperCase() : '—'});
  if (r.lane) lane.classList.add('lane-cell', 'lane-' + r.lane);
  return el('tr', {'data-id': r.id},
            el('td', {}, el('a', {href: '/movements/view?id=' + encodeURIComponent(r.id),
                                  text: localTime(r.time)})),
            el('td', {class: 'mono', text: plate}),
            el('td', {text: r.driver || '—'}),
            el('td', {class: 'mono', text: (r.containers || []).join(', ') || '—'}),
            el('td', {text: (r.consignees || []).join(', ') || '—'}), lane);
}

async function initSearch() {
  if (!(await loadMe())) return;
  const form = document.getElementById('search-form');
  const q = document.getElementById('q');
  q.dataset.path = 'q';
  const prev = document.getElementById('prev');
  const next = document.getElementById('next');
  const status = document.getElementById('status');
  const table = document.getElementById('results');
  let page = 1;
  let query = '';
  async function run() {
    clearErrors();
    status.textContent = T.search_busy;
    let r;
    try {
      r = await api('GET', `/api/search?q=${encodeURIComponent(query)}&page=${page}` +
                           `&limit=${SEARCH_LIMIT}`);
    } catch (e) { status.textContent = ''; showErrors([{field: '', message: T.network}]); return; }
    status.textContent = '';
    if (r.status !== 200) {
      table.hidden = true; prev.hidden = true; next.hidden = true;
      const first = showErrors(r.data.errors || [{field: '', message: T.network}]);
      if (first) first.focus();
      return;
    }
    const d = r.data;
    document.getElementById('rows').replaceChildren(...d.results.map(searchRow));
    const from = (page - 1) * SEARCH_LIMIT + 1;
    table.hidden = d.results.length === 0;
    status.textContent = d.results.length === 0 ? T.search_none(query)
      : T.search_count(d.total, from, from + d.results.length - 1);
    prev.hidden = page <= 1;
    next.hidden = d.next_cursor === null || d.next_cursor === undefined;
  }
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    query = q.value.trim();
    page = 1;
    run();
  });
  prev.addEventListener('click', () => { if (page > 1) { page -= 1; run(); } });
  next.addEventListener('click', () => { page += 1; run(); });
  document.addEventListener('keydown', (ev) => {
    if (!ev.altKey || !query) return;
    if (ev.key === 'n' && !next.hidden) { ev.preventDefault(); next.click(); }
    if (ev.key === 'p' && !prev.hidden) { ev.preventDefault(); prev.click(); }
  });
  q.focus();
}

PAGES.search = initSearch;

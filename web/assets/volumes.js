// HQ's volumes (GET /api/volumes, docs/api.md): filters by crossing and
// period, the totals, a chart of movements by mode and direction (Chart.js,
// embedded as /assets/chart.min.js), the seizures by commodity, and the
// same figures as a table, with a link to the CSV of exactly these rows.
'use strict';

Object.assign(MESSAGES.en, {
  title_volumes: 'Volumes – Outpost', volumes_heading: 'Volumes',
  volumes_hint: "Movements, lanes, inspections and seizures per crossing, counted as the " +
    "crossings' records merge. Periods are UTC days or hours.",
  f_crossing: 'Crossing', all_crossings: 'All crossings', f_from: 'From (UTC day)',
  f_to: 'To (UTC day, included)', f_by: 'Per', by_day: 'day', by_hour: 'hour', show: 'Show',
  export_csv: 'Export CSV', chart_heading: 'Movements by mode and direction',
  seizures_heading: 'Seizures by commodity', table_heading: 'Per period and crossing',
  col_period: 'Period (UTC)', col_crossing: 'Crossing', col_total: 'Total',
  vol_loading: 'Loading…',
  vol_failed: 'The volumes could not be loaded. Check the filters and try again.',
  vol_rows: (n) => (n === 1 ? '1 row' : `${n} rows`) + ' (the CSV holds the same rows).',
  vol_none: 'No movement in this period.',
  vol_no_seizure: 'No seizure in this period.',
  vol_movements: 'movements', vol_inspections: 'inspections', vol_seizures: 'seizures',
  vol_lane: (l) => (l === 'none' ? 'no lane decided' : `${(T.lanes[l] || l).toUpperCase()} lane`),
  vol_lane_short: (l) => (l === 'none' ? 'undecided' : (T.lanes[l] || l).toUpperCase()),
  vol_series: (mode, dir) => `${T.vol_mode[mode]} ${dir === 'in' ? 'in' : 'out'}`,
  vol_mode: {road: 'road', rail: 'rail', air: 'air', sea: 'sea'},
  vol_commodity: {drugs: 'drugs', tobacco: 'tobacco', alcohol: 'alcohol',
                  counterfeit: 'counterfeit / IPR', cites: 'CITES wildlife',
                  weapons: 'weapons and ammunition', cash: 'cash', precursors: 'precursors',
                  dual_use: 'strategic / dual-use', medicines: 'medicines',
                  cultural: 'cultural objects', other: 'other', unstated: 'not stated'},
});

Object.assign(MESSAGES.bs, {
  title_volumes: 'Obim prometa – Outpost', volumes_heading: 'Obim prometa',
  volumes_hint: 'Prelasci, trake, kontrole i zapljene po graničnom prijelazu, brojani kako ' +
    'stižu zapisi prijelaza. Periodi su dani ili sati po UTC.',
  f_crossing: 'Granični prijelaz', all_crossings: 'Svi prijelazi', f_from: 'Od (dan, UTC)',
  f_to: 'Do (dan, UTC, uključen)', f_by: 'Po', by_day: 'danu', by_hour: 'satu',
  show: 'Prikaži', export_csv: 'Izvoz u CSV',
  chart_heading: 'Prelasci po vrsti prevoza i smjeru', seizures_heading: 'Zapljene po robi',
  table_heading: 'Po periodu i prijelazu', col_period: 'Period (UTC)',
  col_crossing: 'Prijelaz', col_total: 'Ukupno', vol_loading: 'Učitavanje…',
  vol_failed: 'Obim prometa nije učitan. Provjerite filtere i pokušajte ponovo.',
  vol_rows: (n) => `Redova: ${n} (CSV sadrži iste redove).`,
  vol_none: 'U ovom periodu nema prelazaka.',
  vol_no_seizure: 'U ovom periodu nema zapljena.',
  vol_movements: 'prelazaka', vol_inspections: 'kontrola', vol_seizures: 'zapljena',
  vol_lane: (l) => (l === 'none' ? 'bez odluke o traci' : `${(T.lanes[l] || l).toUpperCase()} traka`),
  vol_lane_short: (l) => (l === 'none' ? 'bez odluke' : (T.lanes[l] || l).toUpperCase()),
  vol_series: (mode, dir) => `${T.vol_mode[mode]} ${dir === 'in' ? 'ulaz' : 'izlaz'}`,
  vol_mode: {road: 'cestovni', rail: 'željeznički', air: 'vazdušni', sea: 'pomorski'},
  vol_commodity: {drugs: 'droga', tobacco: 'duhan', alcohol: 'alkohol',
                  counterfeit: 'krivotvorena roba', cites: 'CITES divlje vrste',
                  weapons: 'oružje i municija', cash: 'gotovina', precursors: 'prekursori',
                  dual_use: 'roba dvojne namjene', medicines: 'lijekovi',
                  cultural: 'kulturna dobra', other: 'drugo', unstated: 'nije navedeno'},
});

const MODES = ['road', 'rail', 'air', 'sea'];
const LANES = ['red', 'yellow', 'green', 'blue', 'none'];
// One colour per mode, lighter for "out"; the legend and the table name them.
const COLOURS = {road: ['#0b3d5c', '#6f9ab8'], rail: ['#a66d00', '#d9b36c'],
                 air: ['#1d6b2f', '#7fb58c'], sea: ['#6a2c70', '#b58bb9']};
let chart = null;

function isoDay(d) { return d.toISOString().slice(0, 10); }

function filtersFromForm() {
  const p = new URLSearchParams();
  for (const name of ['crossing', 'from', 'to', 'by']) {
    const v = document.getElementById('f-' + name).value;
    if (v) p.set(name, v);
  }
  return p;
}

function periodLabel(start, by) {
  return by === 'hour' ? start.slice(5, 10) + ' ' + start.slice(11, 16) : start.slice(0, 10);
}

function countItem(n, what, cls) {
  return el('li', {class: cls || ''}, el('span', {class: 'n', text: String(n)}),
            el('span', {class: 'what', text: what}));
}

function showTotals(t) {
  const ul = document.getElementById('totals');
  ul.replaceChildren(countItem(t.movements, T.vol_movements));
  for (const l of LANES) {
    if (t['lane_' + l]) ul.append(countItem(t['lane_' + l], T.vol_lane(l), 'lane-' + l));
  }
  ul.append(countItem(t.inspections, T.vol_inspections), countItem(t.seizures, T.vol_seizures));
  const sz = document.getElementById('seizure-totals');
  sz.replaceChildren();
  for (const [k, label] of Object.entries(T.vol_commodity)) {
    if (t['seizures_' + k]) sz.append(el('li', {text: `${label}: ${t['seizures_' + k]}`}));
  }
  if (!sz.children.length) sz.append(el('li', {text: T.vol_no_seizure}));
}

// The chart: one bar per period (crossings summed), stacked by mode and direction.
function drawChart(data) {
  const periods = [...new Set(data.rows.map((r) => r.start))].sort();
  const index = new Map(periods.map((p, i) => [p, i]));
  const datasets = [];
  for (const mode of MODES) {
    ['in', 'out'].forEach((dir, k) => {
      const values = new Array(periods.length).fill(0);
      for (const r of data.rows) values[index.get(r.start)] += r[mode + '_' + dir];
      if (values.some((v) => v > 0)) {
        datasets.push({label: T.vol_series(mode, dir), data: values,
                       backgroundColor: COLOURS[mode][k], stack: 'movements'});
      }
    });
  }
  const config = {type: 'bar', data: {labels: periods.map((p) => periodLabel(p, data.by)), datasets},
                  options: {animation: false, responsive: true, maintainAspectRatio: false,
                            scales: {x: {stacked: true}, y: {stacked: true, beginAtZero: true}},
                            plugins: {legend: {position: 'bottom'}}}};
  if (chart) chart.destroy();
  chart = new Chart(document.getElementById('chart'), config);
}

function headCells() {
  const cells = [el('th', {scope: 'col', text: T.col_period}),
                 el('th', {scope: 'col', text: T.col_crossing}),
                 el('th', {scope: 'col', class: 'n', text: T.vol_movements})];
  for (const m of MODES) {
    for (const d of ['in', 'out']) cells.push(el('th', {scope: 'col', class: 'n', text: T.vol_series(m, d)}));
  }
  for (const l of LANES) cells.push(el('th', {scope: 'col', class: 'n', text: T.vol_lane_short(l)}));
  cells.push(el('th', {scope: 'col', class: 'n', text: T.vol_inspections}),
             el('th', {scope: 'col', class: 'n', text: T.vol_seizures}));
  return cells;
}

function rowCells(r, by) {
  const num = (n) => el('td', {class: 'n', text: String(n)});
  const cells = [el('td', {text: by ? periodLabel(r.start, by) : T.col_total}),
                 el('td', {text: r.crossing || ''}), num(r.movements)];
  for (const m of MODES) for (const d of ['in', 'out']) cells.push(num(r[m + '_' + d]));
  for (const l of LANES) cells.push(num(r['lane_' + l]));
  cells.push(num(r.inspections), num(r.seizures));
  return cells;
}

function showTable(data) {
  document.getElementById('volumes-head').replaceChildren(...headCells());
  const body = document.getElementById('volumes-body');
  body.replaceChildren(...data.rows.map((r) => el('tr', {}, ...rowCells(r, data.by))));
  const table = document.getElementById('volumes-table');
  table.querySelector('tfoot')?.remove();
  if (data.rows.length) {
    table.append(el('tfoot', {}, el('tr', {}, ...rowCells(data.totals, null))));
  } else {
    body.append(el('tr', {}, el('td', {colspan: '18', text: T.vol_none})));
  }
  document.getElementById('row-count').textContent = T.vol_rows(data.rows.length);
}

function fillCrossings(list) {
  const select = document.getElementById('f-crossing');
  const have = new Set([...select.options].map((o) => o.value));
  for (const c of list) if (!have.has(c)) select.append(el('option', {value: c, text: c}));
}

async function loadVolumes() {
  const params = filtersFromForm();
  const status = document.getElementById('status');
  status.textContent = T.vol_loading;
  const r = await api('GET', '/api/volumes?' + params).catch(() => ({status: 0, data: {}}));
  if (r.status !== 200) {
    status.textContent = T.vol_failed;
    if (r.status === 422) showErrors(r.data.errors);
    return;
  }
  clearErrors();
  status.textContent = '';
  document.getElementById('export').href = '/api/volumes.csv?' + params;
  history.replaceState(null, '', '/volumes?' + params);
  fillCrossings(r.data.crossings);
  showTotals(r.data.totals);
  drawChart(r.data);
  showTable(r.data);
  document.body.dataset.loaded = 'yes';
}

async function initVolumes() {
  if (!(await loadMe())) return;
  const given = new URLSearchParams(location.search);
  const today = new Date();
  const weekAgo = new Date(today.getTime() - 6 * 86400000);
  document.getElementById('f-from').value = given.get('from') || isoDay(weekAgo);
  document.getElementById('f-to').value = given.get('to') || isoDay(today);
  document.getElementById('f-by').value = given.get('by') === 'hour' ? 'hour' : 'day';
  if (given.get('crossing')) {
    fillCrossings([given.get('crossing')]);
    document.getElementById('f-crossing').value = given.get('crossing');
  }
  document.getElementById('filters').addEventListener('submit', (e) => {
    e.preventDefault();
    loadVolumes();
  });
  await loadVolumes();
}

PAGES.volumes = initVolumes;

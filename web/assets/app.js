// Outpost's pages: a little script over the JSON API (docs/api.md).
// No inline script, no eval, nothing fetched from elsewhere (CSP
// default-src 'self'). Every string a person reads comes from MESSAGES.
'use strict';

const MESSAGES = {
  en: {
    signed_in_as: (n, r) => `${n} (${T.role[r] || r})`,
    home_title: (r) => ({officer: 'Officer desk', supervisor: 'Shift supervisor',
                         analyst: 'Analyst', admin: 'Administration'}[r] || 'Home'),
    node: (name, site) => `${name}, crossing ${site}`,
    task_new_movement: 'New movement',
    task_users: 'Accounts',
    task_search: 'Search movements',
    task_queue: 'Queue: movements awaiting a decision or an inspection',
    task_shift: 'Shift at a glance',
    task_network: 'Network: crossings and their sync',
    task_volumes: 'Volumes: movements, lanes, inspections and seizures per crossing',
    col_time: 'Time', col_plate: 'Plate', col_lane: 'Lane',
    task_none: 'Nothing to do here yet for your role.',
    fix_these: 'There is a problem',
    saving: 'Saving…',
    saved_id: 'Record',
    saved_rows: 'Rows stored',
    movement_heading: 'Movement', file_crossing: 'Crossing', file_person: 'Driver',
    file_containers: 'Containers', file_decisions: 'Decisions', file_inspections: 'Inspections',
    file_no_decision: 'No lane decided yet.', file_no_inspection: 'Not inspected.',
    lane_pending: 'No lane recommendation.',
    lane: (l) => `Recommended lane: ${(T.lanes[l] || l).toUpperCase()}`,
    lane_none: (m) =>
      m.includes('no lane') ? m.charAt(0).toUpperCase() + m.slice(1) : `No lane recommended: ${m}`,
    score: (s) => `Score ${s}`,
    random: 'Also selected at random (the control sample).',
    because: (m) => `(${Array.isArray(m) ? m.join(', ') : String(m)})`,
    no_hits: 'No rule hit this movement.',
    section: {movement: 'Movement', vehicle: 'Vehicle', driver: 'Driver',
              container: 'Container', seal: 'Seal', consignment: 'Consignment',
              shipper: 'Shipper', consignee: 'Consignee', goods: (i) => `Goods item ${i}`},
    yes: 'yes', no: 'no', enabled: 'enabled', disabled: 'disabled',
    network: 'The node did not answer. Nothing was lost: try again.',
    title_sign_in: 'Sign in – Outpost', sign_in_heading: 'Sign in',
    login_hint: "This crossing's desk. Your account is the name the audit log records.",
    account_name: 'Account name', password: 'Password', sign_in: 'Sign in', sign_out: 'Sign out',
    login_wrong: 'name or password is wrong (or the account is disabled)',
    login_limited: (s) => `too many failed sign-ins: try again in ${s} s or ask an admin`,
    title_home: 'Home – Outpost', language_label: 'Language of these pages',
    title_new_movement: 'New movement – Outpost', new_movement_heading: 'New movement',
    movement_hint: 'Fill what is in front of you; empty fields are left out. Enter saves. ' +
                   'Nothing is stored until every field is valid.',
    add_goods: 'Add goods item', save_movement: 'Save movement',
    title_accounts: 'Accounts – Outpost', accounts_heading: 'Accounts', th_name: 'Name',
    th_role: 'Role', th_language: 'Language', th_state: 'State', th_created: 'Created',
    title_forbidden: 'Not allowed – Outpost', forbidden_heading: 'Not allowed',
    forbidden_text: 'Your role may not open this page.', back_home: 'Back to your home page',
    title_movement: 'Movement – Outpost', movement_saved_heading: 'Movement saved',
    next_movement: 'Record the next movement',
    role: {officer: 'officer', supervisor: 'supervisor', analyst: 'analyst', admin: 'admin'},
    lanes: {red: 'red', yellow: 'yellow', green: 'green', blue: 'blue'},
    languages: {en: 'English', bs: 'Bosanski · Hrvatski · Srpski'},
    fields: {},   // column name -> label; missing ones are made from the name
    values: {},   // allowed value -> its words; missing ones are shown as they are
  },
  // Bosnian/Croatian/Serbian, Latin script: one catalogue the officers of
  // all three read alike (ijekavian; where the words differ, the Bosnian).
  bs: {
    home_title: (r) => ({officer: 'Radno mjesto službenika', supervisor: 'Šef smjene',
                         analyst: 'Analitičar', admin: 'Administracija'}[r] || 'Početna'),
    node: (name, site) => `${name}, granični prijelaz ${site}`,
    task_new_movement: 'Novi prelazak',
    task_users: 'Korisnički računi',
    task_search: 'Pretraga prelazaka',
    task_queue: 'Red čekanja: prelasci koji čekaju odluku ili rezultat kontrole',
    task_shift: 'Smjena na prvi pogled',
    task_network: 'Mreža: prelazi i njihova sinhronizacija',
    task_volumes: 'Obim prometa: prelasci, trake, kontrole i zapljene po prijelazu',
    col_time: 'Vrijeme', col_plate: 'Reg. oznaka', col_lane: 'Traka',
    task_none: 'Za vašu ulogu ovdje još nema zadataka.',
    fix_these: 'Postoji problem',
    saving: 'Spremanje…',
    saved_id: 'Zapis',
    saved_rows: 'Spremljeni redovi',
    movement_heading: 'Prelazak', file_crossing: 'Prelazak', file_person: 'Vozač',
    file_containers: 'Kontejneri', file_decisions: 'Odluke', file_inspections: 'Kontrole',
    file_no_decision: 'Traka još nije odlučena.', file_no_inspection: 'Nije kontrolisan.',
    lane_pending: 'Nema preporuke trake.',
    lane: (l) => `Preporučena traka: ${(T.lanes[l] || l).toUpperCase()}`,
    lane_none: (m) => `Traka nije preporučena: ${m}`,
    score: (s) => `Bodovi ${s}`,
    random: 'Odabrano i slučajnim izborom (kontrolni uzorak).',
    no_hits: 'Nijedno pravilo nije pogodilo ovaj prelazak.',
    section: {movement: 'Prelazak', vehicle: 'Vozilo', driver: 'Vozač',
              container: 'Kontejner', seal: 'Plomba', consignment: 'Pošiljka',
              shipper: 'Pošiljalac', consignee: 'Primalac', goods: (i) => `Stavka robe ${i}`},
    yes: 'da', no: 'ne', enabled: 'aktivan', disabled: 'onemogućen',
    network: 'Čvor nije odgovorio. Ništa nije izgubljeno: pokušajte ponovo.',
    title_sign_in: 'Prijava – Outpost', sign_in_heading: 'Prijava',
    login_hint: 'Radno mjesto ovog graničnog prijelaza. Revizijski dnevnik bilježi ' +
                'ime vašeg korisničkog računa.',
    account_name: 'Korisničko ime', password: 'Lozinka', sign_in: 'Prijavi se',
    sign_out: 'Odjava',
    login_wrong: 'pogrešno ime ili lozinka (ili je račun onemogućen)',
    login_limited: (s) => `previše neuspjelih prijava: pokušajte ponovo za ${s} s ` +
                          'ili se obratite administratoru',
    title_home: 'Početna – Outpost', language_label: 'Jezik ovih stranica',
    title_new_movement: 'Novi prelazak – Outpost', new_movement_heading: 'Novi prelazak',
    movement_hint: 'Popunite ono što imate pred sobom; prazna polja se izostavljaju. ' +
                   'Enter sprema. Ništa se ne sprema dok sva polja nisu ispravna.',
    add_goods: 'Dodaj stavku robe', save_movement: 'Spremi prelazak',
    title_accounts: 'Korisnički računi – Outpost', accounts_heading: 'Korisnički računi',
    th_name: 'Ime', th_role: 'Uloga', th_language: 'Jezik', th_state: 'Stanje',
    th_created: 'Kreiran',
    title_forbidden: 'Nije dozvoljeno – Outpost', forbidden_heading: 'Nije dozvoljeno',
    forbidden_text: 'Vaša uloga ne može otvoriti ovu stranicu.',
    back_home: 'Nazad na vašu početnu stranicu',
    title_movement: 'Prelazak – Outpost', movement_saved_heading: 'Prelazak spremljen',
    next_movement: 'Unesi sljedeći prelazak',
    role: {officer: 'službenik', supervisor: 'šef smjene', analyst: 'analitičar',
           admin: 'administrator'},
    lanes: {red: 'crvena', yellow: 'žuta', green: 'zelena', blue: 'plava'},
    fields: {
      direction: 'Smjer', mode: 'Vid prevoza', route: 'Ruta (zemlje)', time: 'Vrijeme',
      declaration: 'Deklaracija', weighbridge_kg: 'Vaga (kg)', crossing: 'Prijelaz',
      plate: 'Registarska oznaka', plate_country: 'Država registracije', vin: 'Broj šasije (VIN)',
      kind: 'Vrsta', family_name: 'Prezime', given_names: 'Ime', nationality: 'Državljanstvo',
      date_of_birth: 'Datum rođenja', document_type: 'Vrsta isprave',
      document_number: 'Broj isprave', role: 'Uloga', number: 'Broj', size_type: 'Tip i veličina',
      loaded: 'Natovaren', condition: 'Stanje', issuer: 'Izdavalac',
      transport_doc_type: 'Prevozna isprava', transport_doc_number: 'Broj prevozne isprave',
      origin_country: 'Zemlja porijekla', dispatch_country: 'Zemlja otpreme',
      destination_country: 'Zemlja odredišta', name: 'Naziv', country: 'Država', tin: 'PIB/JIB',
      hs_code: 'Tarifna oznaka (HS)', description: 'Opis', gross_kg: 'Bruto (kg)',
      net_kg: 'Neto (kg)', packages: 'Broj koleta', quantity: 'Količina', unit: 'Jedinica',
      value: 'Vrijednost', value_currency: 'Valuta vrijednosti', amount: 'Iznos',
      currency: 'Valuta', commodity_group: 'Grupa robe', note: 'Napomena', result: 'Rezultat',
      reason: 'Razlog', lane: 'Traka', data_subject_category: 'Kategorija osobe',
      review_date: 'Datum preispitivanja', subtype: 'Podvrsta', methods: 'Metode',
      concealment_method: 'Način skrivanja', concealment_location: 'Mjesto skrivanja',
      detection_method: 'Način otkrivanja', officers: 'Službenici',
    },
    values: {
      in: 'ulaz', out: 'izlaz', road: 'cestovni', rail: 'željeznički', air: 'vazdušni',
      sea: 'pomorski', car: 'putničko vozilo', bus: 'autobus', truck: 'kamion', van: 'kombi',
      motorcycle: 'motocikl', trailer: 'prikolica', other: 'drugo', container: 'kontejner',
      swap_body: 'izmjenjivi sanduk', semi_trailer: 'poluprikolica', intact: 'neoštećena',
      broken: 'oštećena', missing: 'nedostaje', replaced: 'zamijenjena', driver: 'vozač',
      passenger: 'putnik', owner: 'vlasnik', crew: 'posada', passport: 'pasoš',
      id_card: 'lična karta', residence_permit: 'boravišna dozvola',
      driving_licence: 'vozačka dozvola', suspect: 'osumnjičeni', witness: 'svjedok',
      traveller: 'putnik', nil: 'bez nalaza', irregularity: 'nepravilnost',
      seizure: 'zapljena', red: 'crvena', yellow: 'žuta', green: 'zelena',
    },
  },
};
// T: the strings of the account's language, English where one is missing.
let T = MESSAGES.en;

// The language before sign-in: the last one used in this browser, else the
// browser's own (Bosnian, Croatian, Serbian, Montenegrin: bs), else English.
function guessLanguage() {
  const saved = localStorage.getItem('outpost.language');
  if (saved && MESSAGES[saved]) return saved;
  const wanted = navigator.languages || [navigator.language || 'en'];
  return wanted.some((l) => /^(bs|hr|sr|sh|cnr)\b/i.test(l)) ? 'bs' : 'en';
}

// Switches the page to `lang` and fills every element marked data-t.
function useLanguage(lang) {
  const l = MESSAGES[lang] ? lang : 'en';
  T = Object.assign({}, MESSAGES.en, MESSAGES[l]);
  localStorage.setItem('outpost.language', l);
  document.documentElement.lang = l;
  for (const e of document.querySelectorAll('[data-t]')) {
    if (typeof T[e.dataset.t] === 'string') e.textContent = T[e.dataset.t];
  }
}

const state = {csrf: ''};

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['X-CSRF-Token'] = state.csrf;
  const res = await fetch(path, {method, headers, credentials: 'same-origin',
                                 body: body === undefined ? undefined : JSON.stringify(body)});
  let data = {};
  try { data = await res.json(); } catch (e) { data = {}; }
  return {status: res.status, data};
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

function idFor(path) { return 'f-' + path.replace(/[^A-Za-z0-9]+/g, '-'); }

// Errors: a summary at the top linking to each field, the message beside it.
function clearErrors() {
  document.querySelectorAll('.field.invalid').forEach((f) => f.classList.remove('invalid'));
  document.querySelectorAll('.error-message').forEach((m) => m.remove());
  const s = document.getElementById('summary');
  if (s) { s.hidden = true; s.replaceChildren(); }
}

function showErrors(errors) {
  clearErrors();
  const summary = document.getElementById('summary');
  const list = el('ul', {});
  let first = null;
  for (const e of errors) {
    const input = document.querySelector(`[data-path="${CSS.escape(e.field || '')}"]`);
    // A record's errors name their field in the message: beside the field
    // the rule is enough. Others (sign-in) say it all in the message.
    const text = input && e.message.startsWith(e.field + ':') ? e.rule : e.message;
    if (input) {
      const field = input.closest('.field');
      field.classList.add('invalid');
      const msg = el('p', {class: 'error-message', id: input.id + '-error', text});
      field.insertBefore(msg, input);
      input.setAttribute('aria-describedby', msg.id);
      first = first || input;
      list.append(el('li', {}, el('a', {href: '#' + input.id, text: e.message})));
    } else {
      list.append(el('li', {text: e.message}));
    }
  }
  summary.replaceChildren(el('h2', {text: T.fix_these}), list);
  summary.hidden = false;
  summary.focus();
  return first;
}

async function loadMe() {
  const r = await api('GET', '/api/me');
  if (r.status === 401) { location.assign('/login'); return null; }
  state.csrf = r.data.csrf;
  useLanguage(r.data.language);
  const who = document.getElementById('who');
  if (who) who.textContent = T.signed_in_as(r.data.name, r.data.role);
  const out = document.getElementById('signout');
  if (out) {
    out.addEventListener('click', async () => {
      await api('POST', '/api/logout', {});
      location.assign('/login');
    });
  }
  return r.data;
}

function initLogin() {
  useLanguage(guessLanguage());
  const form = document.getElementById('login-form');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = {name: form.elements.name.value.trim(), password: form.elements.password.value};
    let r;
    try { r = await api('POST', '/api/login', body); } catch (e) {
      showErrors([{field: '', message: T.network}]);
      return;
    }
    if (r.status === 200) { location.assign('/'); return; }
    // The node's refusals, said in the page's language.
    const wait = ((r.data.errors || [{}])[0].message || '').match(/in (\d+) s/);
    const said = r.status === 401 ? T.login_wrong
               : r.status === 429 && wait ? T.login_limited(wait[1]) : null;
    const errors = (r.data.errors || []).map((e) =>
      ({...e, message: said || e.message, field: e.field === 'name' ? 'name' : 'password'}));
    form.elements.password.value = '';
    showErrors(errors);
  });
  form.elements.name.dataset.path = 'name';
  form.elements.password.dataset.path = 'password';
}

async function initHome() {
  const me = await loadMe();
  if (!me) return;
  document.getElementById('title').textContent = T.home_title(me.role);
  document.getElementById('node').textContent = T.node(me.node, me.site);
  const tasks = document.getElementById('tasks');
  const add = (href, text) => tasks.append(el('li', {}, el('a', {href, text})));
  if (me.role === 'officer' || me.role === 'supervisor') add('/movements/new', T.task_new_movement);
  if (me.role !== 'admin') add('/search', T.task_search);
  if (me.role === 'officer' || me.role === 'supervisor') add('/queue', T.task_queue);
  if (me.role === 'supervisor') add('/shift', T.task_shift);
  if (me.role === 'analyst' || me.role === 'admin') add('/network', T.task_network);
  if (me.role === 'admin') add('/admin/users', T.task_users);
  if (me.role === 'analyst' || me.role === 'admin') add('/volumes', T.task_volumes);
  if (!tasks.children.length) tasks.append(el('li', {text: T.task_none}));
  const pick = document.getElementById('language');
  pick.value = me.language;
  pick.addEventListener('change', async () => {
    const r = await api('POST', '/api/me/language', {language: pick.value});
    if (r.status === 200) location.reload();
  });
}

// ---- New movement: the form is built from the catalogue (GET /api/catalogue).
const SECTIONS = [
  {key: 'movement', table: 'movement', prefix: 'movement', skip: ['crossing', 'lane']},
  {key: 'vehicle', table: 'vehicle', prefix: 'movement.vehicle'},
  {key: 'driver', table: 'person', prefix: 'movement.persons[0]', fixed: {role: 'driver'}},
  {key: 'container', table: 'equipment', prefix: 'movement.equipment[0]'},
  {key: 'seal', table: 'seal', prefix: 'movement.equipment[0].seals[0]'},
  {key: 'consignment', table: 'consignment', prefix: 'movement.consignments[0]'},
  {key: 'shipper', table: 'party', prefix: 'movement.consignments[0].shipper'},
  {key: 'consignee', table: 'party', prefix: 'movement.consignments[0].consignee'},
];

function label(name) {
  return T.fields[name] || name.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
}

function inputFor(col, path) {
  const id = idFor(path);
  let input;
  if (col.allowed || col.type === 'bool') {
    input = el('select', {id, name: path});
    input.append(el('option', {value: '', text: ''}));
    const values = col.type === 'bool' ? [['true', T.yes], ['false', T.no]]
                                       : col.allowed.map((v) => [v, T.values[v] || v]);
    for (const [v, t] of values) input.append(el('option', {value: v, text: t}));
  } else {
    input = el('input', {id, name: path, autocomplete: 'off', spellcheck: 'false'});
    if (col.type === 'integer' || col.type === 'real') input.setAttribute('inputmode', 'decimal');
    if (col.max_len) input.setAttribute('maxlength', String(col.max_len * 2));
  }
  input.dataset.path = path;
  input.dataset.type = col.type;
  const lab = el('label', {for: id, text: label(col.name) + (col.required ? ' *' : '')});
  return el('div', {class: 'field', 'data-field': col.name}, lab, input);
}

function fieldset(title, cols, prefix, skip, fixed) {
  const fs = el('fieldset', {class: 'section'}, el('legend', {text: title}));
  if (fixed) fs.dataset.fixed = JSON.stringify({prefix, values: fixed});
  const grid = el('div', {class: 'grid'});
  for (const c of cols) {
    if (skip && skip.includes(c.name)) continue;
    grid.append(inputFor(c, prefix + '.' + c.name));
  }
  fs.append(grid);
  return fs;
}

function setPath(doc, path, value) {
  const parts = path.match(/[^.[\]]+/g);
  let node = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    const key = /^\d+$/.test(parts[i]) ? Number(parts[i]) : parts[i];
    const nextIsIndex = /^\d+$/.test(parts[i + 1]);
    if (node[key] === undefined) node[key] = nextIsIndex ? [] : {};
    node = node[key];
  }
  node[parts[parts.length - 1]] = value;
}

function valueOf(input) {
  const v = input.value.trim();
  if (v === '') return undefined;
  const type = input.dataset.type;
  if (type === 'bool') return v === 'true';
  if ((type === 'integer' || type === 'real') && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  return v;
}

function buildDocument(form) {
  const doc = {movement: {}};
  for (const input of form.querySelectorAll('[data-path]')) {
    const v = valueOf(input);
    if (v !== undefined) setPath(doc, input.dataset.path, v);
  }
  for (const fs of form.querySelectorAll('fieldset[data-fixed]')) {
    const {prefix, values} = JSON.parse(fs.dataset.fixed);
    const filled = [...fs.querySelectorAll('[data-path]')].some((i) => valueOf(i) !== undefined);
    if (filled) for (const [k, v] of Object.entries(values)) setPath(doc, prefix + '.' + k, v);
  }
  const m = doc.movement;
  for (const key of ['persons', 'equipment', 'consignments']) {
    if (m[key]) m[key] = m[key].filter((x) => x !== undefined);
  }
  for (const c of m.consignments || []) if (c.goods) c.goods = c.goods.filter((g) => g);
  return m;
}

async function initMovement() {
  const me = await loadMe();
  if (!me) return;
  const cat = (await api('GET', '/api/catalogue')).data.tables;
  const sections = document.getElementById('sections');
  for (const s of SECTIONS) {
    sections.append(fieldset(T.section[s.key], cat[s.table], s.prefix, s.skip, s.fixed));
  }
  let goods = 0;
  const addGoods = () => {
    const prefix = `movement.consignments[0].goods[${goods}]`;
    goods += 1;
    const fs = fieldset(T.section.goods(goods), cat.goods_item, prefix);
    sections.append(fs);
    return fs;
  };
  addGoods();
  const time = document.querySelector('[data-path="movement.time"]');
  if (time) time.value = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  document.getElementById('add-goods').addEventListener('click', () => {
    addGoods().querySelector('input, select').focus();
  });
  const form = document.getElementById('movement-form');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors();
    const save = document.getElementById('save');
    save.disabled = true;
    let r;
    try {
      r = await api('POST', '/api/movements', buildDocument(form));
    } catch (e) {
      showErrors([{field: '', message: T.network}]);
      save.disabled = false;
      return;
    }
    save.disabled = false;
    if (r.status === 201) {
      sessionStorage.setItem('outpost.saved', JSON.stringify(r.data));
      location.assign('/movements/view?id=' + encodeURIComponent(r.data.id));
      return;
    }
    if (r.status === 401) { location.assign('/login'); return; }
    const first = showErrors(r.data.errors || [{field: '', message: String(r.status)}]);
    if (first) first.focus();
  });
  const first = form.querySelector('input, select');
  if (first) first.focus();
}

// The movement's file (GET /api/movement): what crossed, then its decisions
// and inspections, oldest first.
function showFile(f) {
  const m = f.movement;
  const dl = document.getElementById('record');
  const row = (k, v) => { if (v) dl.append(el('dt', {text: k}), el('dd', {text: String(v)})); };
  const driver = (m.persons || []).find((p) => p.role === 'driver') || (m.persons || [])[0];
  row(T.fields.time || 'Time', localTime(m.time));
  row(T.file_crossing, [m.direction, m.mode].map((v) => T.values[v] || v).join(', '));
  row(T.col_plate, m.vehicle && m.vehicle.plate);
  row(T.file_person, driver && `${driver.given_names || ''} ${driver.family_name || ''}`.trim());
  row(T.file_containers, (m.equipment || []).map((e) => e.number).join(', '));
  row(T.saved_id, m.id);
  const decisions = document.getElementById('decisions');
  for (const d of f.decisions) {
    decisions.append(el('li', {}, el('strong', {text: (T.lanes[d.lane] || d.lane).toUpperCase()}),
                        el('span', {text: ` ${d.reason} — ${d.officer}, ${localTime(d.decided_at)}`})));
  }
  if (!f.decisions.length) decisions.append(el('li', {class: 'none', text: T.file_no_decision}));
  const inspections = document.getElementById('inspections');
  for (const x of f.inspections) {
    const li = el('li', {}, el('strong', {text: T.values[x.result] || x.result}));
    if (x.started) li.append(el('span', {text: ', ' + localTime(x.started)}));
    if (x.note) li.append(el('p', {class: 'hint', text: x.note}));
    for (const z of x.seizures) {
      li.append(el('p', {text: `${T.values[z.commodity_group] || z.commodity_group || ''} ` +
                               `${z.quantity} ${z.unit}`}));
    }
    inspections.append(li);
  }
  if (!f.inspections.length) {
    inspections.append(el('li', {class: 'none', text: T.file_no_inspection}));
  }
}

// The recommended lane in words as well as in colour (WCAG: colour is never
// the only sign), its score and each hit.
function showRisk(risk) {
  const lane = document.getElementById('lane');
  if (!risk || !risk.assessed) {
    lane.textContent = risk && risk.message ? T.lane_none(risk.message) : T.lane_pending;
    return;
  }
  lane.classList.add('lane-' + risk.lane);
  lane.append(el('h2', {id: 'lane-name', text: T.lane(risk.lane)}));
  lane.append(el('p', {text: T.score(risk.score)}));
  if (risk.random_selected) lane.append(el('p', {text: T.random}));
  const hits = el('ul', {id: 'hits'});
  for (const h of risk.hits || []) {
    const li = el('li', {}, el('strong', {text: h.description || h.rule_id}));
    if (h.matched) li.append(el('span', {text: ' ' + T.because(h.matched)}));
    if (h.instructions) li.append(el('p', {class: 'hint', text: h.instructions}));
    hits.append(li);
  }
  if (!hits.children.length) hits.append(el('li', {text: T.no_hits}));
  lane.append(hits);
}

// The file and the risk shown, for lane.js; null when there is none.
async function initLane() {
  if (!(await loadMe())) return null;
  const id = new URLSearchParams(location.search).get('id') || '';
  // Just saved here: the answer to the save has the hits' descriptions and
  // instructions, which the stored assessment does not keep.
  // Once only: opened again later (queue, search, reload) it is the file.
  const saved = JSON.parse(sessionStorage.getItem('outpost.saved') || '{}');
  sessionStorage.removeItem('outpost.saved');
  const fresh = saved.id === id;
  if (!fresh) document.getElementById('heading').textContent = T.movement_heading;
  const r = await api('GET', '/api/movement?id=' + encodeURIComponent(id));
  if (r.status !== 200) {
    showErrors(r.data.errors || [{field: '', message: T.network}]);
    return null;
  }
  const risk = fresh && saved.risk ? saved.risk : r.data.risk;
  showFile(r.data);
  showRisk(risk);
  return {file: r.data, risk};
}

// A UTC time from the node, in the crossing's local time (the browser's).
function localTime(utc) {
  const d = new Date(utc);
  return isNaN(d) ? String(utc) : d.toLocaleString(document.documentElement.lang,
                                                  {dateStyle: 'medium', timeStyle: 'short'});
}

async function initUsers() {
  if (!(await loadMe())) return;
  const r = await api('GET', '/api/users');
  const body = document.getElementById('users');
  for (const u of r.data.users || []) {
    body.append(el('tr', {}, el('td', {text: u.name}), el('td', {text: T.role[u.role] || u.role}),
                   el('td', {text: T.languages[u.language] || u.language}),
                   el('td', {text: u.disabled ? T.disabled : T.enabled}),
                   el('td', {text: localTime(u.created)})));
  }
}

async function initForbidden() { await loadMe(); }

const PAGES = {login: initLogin, home: initHome, movement: initMovement, lane: initLane,
               users: initUsers, forbidden: initForbidden};
document.addEventListener('DOMContentLoaded', () => {
  const page = document.body.dataset.page;
  const init = PAGES[page];
  if (init) init();
});

// Outpost's pages: a little script over the JSON API (docs/api.md).
// No inline script, no eval, nothing fetched from elsewhere (CSP
// default-src 'self'). Every string a person reads comes from MESSAGES.
'use strict';

const MESSAGES = {
  en: {
    signed_in_as: (n, r) => `${n} (${r})`,
    home_title: (r) => ({officer: 'Officer desk', supervisor: 'Shift supervisor',
                         analyst: 'Analyst', admin: 'Administration'}[r] || 'Home'),
    node: (name, site) => `${name}, crossing ${site}`,
    task_new_movement: 'New movement',
    task_users: 'Accounts',
    task_none: 'Nothing to do here yet for your role.',
    fix_these: 'There is a problem',
    saving: 'Saving…',
    saved_id: 'Record',
    saved_rows: 'Rows stored',
    lane_pending: 'No lane recommendation.',
    lane: (l) => `Recommended lane: ${l.toUpperCase()}`,
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
  },
};
const T = MESSAGES.en;

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
    const errors = (r.data.errors || []).map((e) =>
      ({...e, field: e.field === 'name' ? 'name' : 'password'}));
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
  if (me.role === 'admin') add('/admin/users', T.task_users);
  if (!tasks.children.length) tasks.append(el('li', {text: T.task_none}));
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

function label(name) { return name.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase()); }

function inputFor(col, path) {
  const id = idFor(path);
  let input;
  if (col.allowed || col.type === 'bool') {
    input = el('select', {id, name: path});
    input.append(el('option', {value: '', text: ''}));
    const values = col.type === 'bool' ? [['true', T.yes], ['false', T.no]]
                                       : col.allowed.map((v) => [v, v]);
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

async function initLane() {
  if (!(await loadMe())) return;
  const saved = JSON.parse(sessionStorage.getItem('outpost.saved') || '{}');
  const dl = document.getElementById('record');
  const row = (k, v) => dl.append(el('dt', {text: k}), el('dd', {text: String(v)}));
  if (saved.id) row(T.saved_id, saved.id);
  if (saved.rows) row(T.saved_rows, saved.rows);
  const lane = document.getElementById('lane');
  const risk = saved.risk;
  if (!risk || !risk.assessed) {
    lane.textContent = risk && risk.message ? T.lane_none(risk.message) : T.lane_pending;
    return;
  }
  // The lane in words as well as in colour (WCAG: colour is never the only sign).
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

async function initUsers() {
  if (!(await loadMe())) return;
  const r = await api('GET', '/api/users');
  const body = document.getElementById('users');
  for (const u of r.data.users || []) {
    body.append(el('tr', {}, el('td', {text: u.name}), el('td', {text: u.role}),
                   el('td', {text: u.disabled ? T.disabled : T.enabled}),
                   el('td', {text: u.created})));
  }
}

async function initForbidden() { await loadMe(); }

document.addEventListener('DOMContentLoaded', () => {
  const page = document.body.dataset.page;
  const init = {login: initLogin, home: initHome, movement: initMovement, lane: initLane,
                users: initUsers, forbidden: initForbidden}[page];
  if (init) init();
});

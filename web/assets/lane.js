// Lane page (/movements/view?id=): after app.js's initLane has shown the
// recommendation, the officer accepts it (Enter) or records another lane
// with a reason (POST /api/lane/decision), then records the inspection, its
// result and any seizure in one request (POST /api/lane/inspection).
// docs/ui.md, docs/api.md.
'use strict';

Object.assign(MESSAGES.en, {
  lane_decide_heading: 'Decision',
  lane_decide_hint: 'Enter accepts the recommended lane. To choose another lane, ' +
                    'Tab to it and give the reason.',
  lane_accept: (l) => `Accept ${(T.lanes[l] || l).toUpperCase()}`,
  lane_accept_none: 'No recommendation to accept',
  lane_override_lane: 'Another lane',
  lane_override_reason: 'Reason (required for another lane)',
  lane_override_save: 'Record this lane',
  lane_decided: (l, by) => `Decided: ${(T.lanes[l] || l).toUpperCase()} (${by}).`,
  lane_decided_accepted: 'accepted as recommended',
  lane_decided_override: (r) => `overrides the recommended ${(T.lanes[r] || r).toUpperCase()}`,
  lane_decided_chosen: 'chosen by the officer',
  lane_green_next: 'Released: record the next movement, or an inspection if one was made.',
  lane_inspect_heading: 'Inspection',
  lane_inspect_methods: 'What was inspected',
  lane_inspect_result: 'Result *',
  lane_inspect_note: 'Notes',
  lane_inspect_save: 'Save inspection',
  lane_seizure_legend: 'Seizure',
  lane_inspected: (result, n) => `Inspection recorded: ${result}` +
                                 (n ? `, with ${n} seizure${n > 1 ? 's' : ''}.` : '.'),
  lane_methods: {documentary: 'Documents', xray: 'X-ray / scanner', dog: 'Detector dog',
                 physical_partial: 'Partial physical check',
                 physical_full: 'Full physical check'},
  lane_results: {nil: 'Nothing found', irregularity: 'Discrepancy', seizure: 'Seizure'},
  lane_seizure_fields: {commodity_group: 'What was seized *', subtype: 'Kind (as found)',
                        quantity: 'Quantity *', unit: 'Unit *',
                        concealment_method: 'How it was hidden',
                        concealment_location: 'Where it was hidden',
                        detection_method: 'How it was found'},
  lane_groups: {drugs: 'Drugs', tobacco: 'Tobacco', alcohol: 'Alcohol',
                counterfeit: 'Counterfeit goods (IPR)', cites: 'Protected wildlife (CITES)',
                weapons: 'Weapons and ammunition', cash: 'Cash', precursors: 'Drug precursors',
                dual_use: 'Strategic / dual-use goods', medicines: 'Medicines',
                cultural: 'Cultural objects', other: 'Other'},
  lane_units: {KGM: 'kilograms (KGM)', GRM: 'grams (GRM)', LTR: 'litres (LTR)',
               C62: 'pieces (C62)', NAR: 'articles, cigarettes in sticks (NAR)',
               MLT: 'millilitres (MLT)', PR: 'pairs (PR)', SET: 'sets (SET)'},
});

Object.assign(MESSAGES.bs, {
  lane_decide_heading: 'Odluka',
  lane_decide_hint: 'Enter prihvata preporučenu traku. Za drugu traku pritisnite Tab ' +
                    'do nje i navedite razlog.',
  lane_accept: (l) => `Prihvati ${(T.lanes[l] || l).toUpperCase()}`,
  lane_accept_none: 'Nema preporuke za prihvatanje',
  lane_override_lane: 'Druga traka',
  lane_override_reason: 'Razlog (obavezan za drugu traku)',
  lane_override_save: 'Evidentiraj ovu traku',
  lane_decided: (l, by) => `Odlučeno: ${(T.lanes[l] || l).toUpperCase()} (${by}).`,
  lane_decided_accepted: 'prihvaćeno kako je preporučeno',
  lane_decided_override: (r) => `mijenja preporučenu ${(T.lanes[r] || r).toUpperCase()}`,
  lane_decided_chosen: 'odabrao službenik',
  lane_green_next: 'Pušteno: unesite sljedeći prelazak ili kontrolu ako je obavljena.',
  lane_inspect_heading: 'Kontrola',
  lane_inspect_methods: 'Šta je kontrolisano',
  lane_inspect_result: 'Rezultat *',
  lane_inspect_note: 'Napomene',
  lane_inspect_save: 'Spremi kontrolu',
  lane_seizure_legend: 'Zapljena',
  lane_inspected: (result, n) => `Kontrola evidentirana: ${result}` +
                                 (n ? `, zapljena: ${n}.` : '.'),
  lane_methods: {documentary: 'Dokumenti', xray: 'Rendgen / skener', dog: 'Službeni pas',
                 physical_partial: 'Djelimični fizički pregled',
                 physical_full: 'Potpuni fizički pregled'},
  lane_results: {nil: 'Bez nalaza', irregularity: 'Nepravilnost', seizure: 'Zapljena'},
  lane_seizure_fields: {commodity_group: 'Šta je zaplijenjeno *',
                        subtype: 'Vrsta (kako je nađeno)',
                        quantity: 'Količina *', unit: 'Jedinica *',
                        concealment_method: 'Način skrivanja',
                        concealment_location: 'Mjesto skrivanja',
                        detection_method: 'Način otkrivanja'},
  lane_groups: {drugs: 'Droga', tobacco: 'Duhan', alcohol: 'Alkohol',
                counterfeit: 'Krivotvorena roba (IPR)', cites: 'Zaštićene vrste (CITES)',
                weapons: 'Oružje i municija', cash: 'Gotovina', precursors: 'Prekursori',
                dual_use: 'Roba dvojne namjene', medicines: 'Lijekovi',
                cultural: 'Kulturna dobra', other: 'Ostalo'},
  lane_units: {KGM: 'kilogrami (KGM)', GRM: 'grami (GRM)', LTR: 'litri (LTR)',
               C62: 'komadi (C62)', NAR: 'artikli, cigarete u komadima (NAR)',
               MLT: 'mililitri (MLT)', PR: 'parovi (PR)', SET: 'setovi (SET)'},
});

// What a seizure row holds (schema/domain_catalogue.cc, table seizure).
const SEIZURE_FIELDS = [
  {name: 'commodity_group', choices: 'lane_groups'},
  {name: 'subtype'},
  {name: 'quantity', type: 'real'},
  {name: 'unit', choices: 'lane_units'},
  {name: 'concealment_method'},
  {name: 'concealment_location'},
  {name: 'detection_method'},
];

function laneField(f, path) {
  const id = idFor(path);
  let input;
  if (f.choices) {
    input = el('select', {id, name: f.name});
    input.append(el('option', {value: '', text: ''}));
    for (const [v, t] of Object.entries(T[f.choices])) {
      input.append(el('option', {value: v, text: t}));
    }
  } else {
    input = el('input', {id, name: f.name, autocomplete: 'off', spellcheck: 'false'});
    if (f.type) input.setAttribute('inputmode', 'decimal');
  }
  input.dataset.path = path;
  input.dataset.type = f.type || 'text';
  return el('div', {class: 'field'}, el('label', {for: id, text: T.lane_seizure_fields[f.name]}),
            input);
}

// A group of checkboxes or radios whose inputs are direct children of the
// .field (showErrors puts the message before the first one).
function choices(box, type, name, options, path) {
  let first = true;
  for (const [value, text] of Object.entries(options)) {
    const id = `f-${name}-${value}`;
    const input = el('input', {type, id, name, value});
    if (first) input.dataset.path = path;
    first = false;
    box.append(input, el('label', {for: id, text}));
  }
}

function laneSay(id, text) {
  const p = document.getElementById(id);
  p.textContent = text;
  p.hidden = false;
  // The file's list below says it too, instead of "not yet".
  const list = document.getElementById({decided: 'decisions', inspected: 'inspections'}[id]);
  if (!list) return;
  for (const li of list.querySelectorAll('li.none')) li.remove();
  list.append(el('li', {text}));
}

async function laneSend(path, body, button) {
  clearErrors();
  button.disabled = true;
  let r;
  try {
    r = await api('POST', path, body);
  } catch (e) {
    showErrors([{field: '', message: T.network}]);
    return null;
  } finally {
    button.disabled = false;
  }
  if (r.status === 201) return r.data;
  if (r.status === 401) { location.assign('/login'); return null; }
  const first = showErrors(r.data.errors || [{field: '', message: String(r.status)}]);
  if (first) first.focus();
  return null;
}

function initDecision(movement, risk, done) {
  const section = document.getElementById('decide');
  const accept = document.getElementById('accept');
  const recommended = risk && risk.assessed ? risk.lane : null;
  accept.textContent = recommended ? T.lane_accept(recommended) : T.lane_accept_none;
  accept.disabled = !recommended;
  const lane = document.getElementById('f-lane');
  lane.append(el('option', {value: '', text: ''}));
  for (const l of ['red', 'yellow', 'green']) {
    lane.append(el('option', {value: l, text: T.lanes[l].toUpperCase()}));
  }
  section.hidden = false;
  const decided = (d) => {
    const how = !d.override ? (d.recommended ? T.lane_decided_accepted : T.lane_decided_chosen)
                            : T.lane_decided_override(d.recommended);
    laneSay('decided', T.lane_decided(d.lane, how));
    section.hidden = true;
    done(d);
  };
  accept.addEventListener('click', async () => {
    const d = await laneSend('/api/lane/decision', {movement, accept: true}, accept);
    if (d) decided(d);
  });
  document.getElementById('decide-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = {movement, reason: document.getElementById('f-reason').value};
    if (lane.value) body.lane = lane.value;
    const d = await laneSend('/api/lane/decision', body, document.getElementById('override'));
    if (d) decided(d);
  });
  (recommended ? accept : lane).focus();
}

function inspectionBody(movement, form) {
  const body = {movement};
  const methods = [...form.querySelectorAll('input[name="methods"]:checked')].map((i) => i.value);
  if (methods.length) body.methods = methods.join(',');
  const result = form.querySelector('input[name="result"]:checked');
  if (result) body.result = result.value;
  const note = document.getElementById('f-note').value.trim();
  if (note) body.note = note;
  if (result && result.value === 'seizure') {
    const z = {};
    for (const input of document.querySelectorAll('#seizure-fields [data-path]')) {
      const v = valueOf(input);
      if (v !== undefined) z[input.name] = v;
    }
    body.seizures = [z];
  }
  return body;
}

function initInspection(movement) {
  const section = document.getElementById('inspect');
  const form = document.getElementById('inspect-form');
  choices(document.getElementById('methods'), 'checkbox', 'methods', T.lane_methods,
          'inspection.methods');
  choices(document.getElementById('results'), 'radio', 'result', T.lane_results,
          'inspection.result');
  const fields = document.getElementById('seizure-fields');
  for (const f of SEIZURE_FIELDS) fields.append(laneField(f, `inspection.seizures[0].${f.name}`));
  const seizure = document.getElementById('seizure');
  form.addEventListener('change', () => {
    const r = form.querySelector('input[name="result"]:checked');
    seizure.hidden = !(r && r.value === 'seizure');
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body = inspectionBody(movement, form);
    const r = await laneSend('/api/lane/inspection', body,
                             document.getElementById('save-inspection'));
    if (!r) return;
    laneSay('inspected', T.lane_inspected(T.lane_results[r.result] || r.result,
                                           r.seizures.length));
    section.hidden = true;
    document.getElementById('next').focus();
  });
  return section;
}

async function initLaneDesk() {
  const shown = await initLane();
  if (!shown) return;  // not signed in, or no such movement
  const f = shown.file;
  const movement = f.movement.id;
  const inspect = initInspection(movement);
  const last = f.decisions[f.decisions.length - 1];
  if (last) {  // decided before (the file lists it): only the inspection may be missing
    if (last.lane !== 'green' && !f.inspections.length) inspect.hidden = false;
    return;
  }
  const risk = shown.risk && shown.risk.assessed ? shown.risk : null;
  initDecision(movement, risk, (d) => {
    inspect.hidden = false;
    if (d.lane === 'green') {
      laneSay('inspected', T.lane_green_next);
      document.getElementById('next').focus();
    } else {
      inspect.querySelector('input').focus();
    }
  });
}

PAGES.lane = initLaneDesk;

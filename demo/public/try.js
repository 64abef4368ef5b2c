// The "try it" page: a tiny demo EHR. Plain browser JavaScript, no inline code, no innerHTML with
// data: every piece of text from a response is put into the page with textContent.
'use strict';

const $ = (id) => document.getElementById(id);
let demo;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c != null) node.append(c);
  return node;
}

// ---- Markdown (the subset cards use), rendered to DOM nodes: text is never parsed as HTML.
function inline(text) {
  const out = document.createDocumentFragment();
  const re = /\\([\\`*_{}[\]<>#|])|\*\*(.+?)\*\*|`([^`]+)`|\*(.+?)\*/g;
  let last = 0;
  let m;
  while ((m = re.exec(text))) {
    if (m.index > last) out.append(text.slice(last, m.index));
    if (m[1] !== undefined) out.append(m[1]);
    else if (m[2] !== undefined) out.append(el('strong', {}, inline(m[2])));
    else if (m[3] !== undefined) out.append(el('code', { text: m[3] }));
    else if (m[4] !== undefined) out.append(el('em', {}, inline(m[4])));
    last = re.lastIndex;
  }
  if (last < text.length) out.append(text.slice(last));
  return out;
}

function markdown(md) {
  const root = el('div', { class: 'detail' });
  for (const block of String(md || '').split(/\n{2,}/)) {
    const lines = block.split('\n');
    if (lines.every((l) => /^\s*- /.test(l))) {
      const ul = el('ul');
      for (const l of lines) ul.append(el('li', {}, inline(l.replace(/^\s*- /, ''))));
      root.append(ul);
    } else {
      root.append(el('p', {}, inline(lines.join(' '))));
    }
  }
  return root;
}

// ---- Demo data and the order editor
function selectedPatient() {
  const checked = document.querySelector('input[name="patient"]:checked');
  return demo.patients.find((p) => p.id === (checked && checked.value));
}

function ordersFor(patient, drug) {
  if (drug === 'patient') return patient.draftOrders;
  const template = JSON.parse(JSON.stringify(demo.orders[drug]));
  template.subject = { reference: `Patient/${patient.id}` };
  return [template];
}

function refreshOrders() {
  const patient = selectedPatient();
  if (!patient) return;
  $('orders').value = JSON.stringify(ordersFor(patient, $('drug').value), null, 2);
}

function renderPatients() {
  const box = $('patients');
  demo.patients.forEach((p, i) => {
    const input = el('input', { type: 'radio', name: 'patient', value: p.id });
    if (i === 0) input.checked = true;
    input.addEventListener('change', refreshOrders);
    box.append(
      el(
        'label',
        { class: 'patient', 'data-patient': p.id },
        input,
        el('span', { class: 'label', text: `${p.name} — ${p.label}` }),
        el('span', { class: 'desc', text: p.description }),
      ),
    );
  });
}

// ---- Signing: build the order-sign request, send it, render the answer
function uuid() {
  return crypto.randomUUID
    ? crypto.randomUUID()
    : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

async function prefetchFor(patientId) {
  const discovery = await (await fetch('/cds-services')).json();
  const service = discovery.services.find((s) => s.id === demo.serviceId);
  const out = {};
  for (const [key, template] of Object.entries(service.prefetch)) {
    const query = template
      .replace(/\{\{\s*context\.patientId\s*\}\}/g, encodeURIComponent(patientId))
      .replace(/\{\{\s*context\.userId\s*\}\}/g, 'Practitioner/demo');
    try {
      const res = await fetch(`${demo.fhirServer}/${query}`, {
        headers: { Accept: 'application/fhir+json' },
      });
      out[key] = res.ok ? await res.json() : null;
    } catch (e) {
      // Not reachable from the browser (e.g. HAPI inside docker-compose): send null, the service fetches it.
      out[key] = null;
    }
  }
  return out;
}

async function sign() {
  const status = $('status');
  status.className = '';
  let orders;
  try {
    orders = JSON.parse($('orders').value);
    if (!Array.isArray(orders)) orders = [orders];
  } catch (e) {
    status.className = 'error';
    status.textContent = `The draft order is not valid JSON: ${e.message}`;
    return;
  }
  const patient = selectedPatient();
  const request = {
    hook: 'order-sign',
    hookInstance: uuid(),
    fhirServer: demo.fhirServer,
    fhirAuthorization: {
      access_token: 'demo-token',
      token_type: 'Bearer',
      expires_in: 300,
      scope: 'patient/*.read',
      subject: 'demo-ehr',
    },
    context: {
      userId: 'Practitioner/demo',
      patientId: patient.id,
      draftOrders: {
        resourceType: 'Bundle',
        type: 'collection',
        entry: orders.map((resource) => ({ resource })),
      },
    },
  };
  $('sign').disabled = true;
  status.textContent = 'Signing…';
  try {
    if ($('prefetch').checked) request.prefetch = await prefetchFor(patient.id);
    $('raw-request').textContent = JSON.stringify(request, null, 2);
    const started = performance.now();
    const res = await fetch(`/cds-services/${demo.serviceId}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(request),
    });
    const body = await res.json();
    const ms = Math.round(performance.now() - started);
    $('raw-response').textContent = JSON.stringify(body, null, 2);
    if (!res.ok) {
      status.className = 'error';
      status.textContent = `HTTP ${res.status}: ${(body.issue && body.issue[0] && body.issue[0].diagnostics) || 'error'}`;
      renderCards([]);
      return;
    }
    status.textContent = `HTTP ${res.status} in ${ms} ms: ${body.cards.length} card(s).`;
    renderCards(body.cards, body.systemActions || []);
  } catch (e) {
    status.className = 'error';
    status.textContent = `Request failed: ${e.message}`;
  } finally {
    $('sign').disabled = false;
  }
}

const STATUS_TEXT = { met: 'met', 'not-met': 'not met', unknown: 'not documented' };

function criteriaTable(result) {
  const table = el('table', { class: 'criteria-table' });
  table.append(
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', { text: 'Criterion' }),
        el('th', { text: 'Status' }),
        el('th', { text: 'Text' }),
        el('th', { text: 'Evidence' }),
      ),
    ),
  );
  const body = el('tbody');
  for (const c of result.criteria) {
    body.append(
      el(
        'tr',
        { 'data-criterion': c.id },
        el('td', { text: c.id }),
        el('td', { class: `status-${c.status}`, text: STATUS_TEXT[c.status] || c.status }),
        el('td', { text: c.text }),
        el('td', { text: c.evidence.join(', ') }),
      ),
    );
  }
  table.append(body);
  return table;
}

function renderCards(cards, actions) {
  const box = $('cards');
  box.replaceChildren();
  $('actions').replaceChildren();
  if (cards.length === 0) {
    box.append(
      el('p', {
        class: 'empty',
        text: 'No cards: no policy applies to this order (or the request failed).',
      }),
    );
    return;
  }
  for (const card of cards) {
    const result = card.extension && card.extension['prior-auth-criteria'];
    const node = el('article', {
      class: `card ${card.indicator}`,
      'data-policy': result ? result.policy : '',
      'data-outcome': result ? result.outcome : '',
    });
    node.append(el('span', { class: 'indicator', text: card.indicator }));
    node.append(el('h3', { class: 'card-summary', text: card.summary }));
    if (result)
      node.append(el('p', {}, 'Outcome: ', el('span', { class: 'outcome', text: result.outcome })));
    node.append(markdown(card.detail));
    if (result) node.append(criteriaTable(result));
    const source = el('p', { class: 'source' }, 'Source: ');
    if (card.source && card.source.url)
      source.append(
        el('a', {
          href: card.source.url,
          target: '_blank',
          rel: 'noopener',
          text: card.source.label,
        }),
      );
    else source.append(card.source ? card.source.label : '');
    node.append(source);
    if (card.links && card.links.length) {
      const links = el('p', { class: 'links' });
      for (const l of card.links)
        if (/^https?:/.test(l.url))
          links.append(el('a', { href: l.url, target: '_blank', rel: 'noopener', text: l.label }));
      node.append(links);
    }
    for (const s of card.suggestions || [])
      node.append(el('p', { class: 'suggestion', text: `Suggestion: ${s.label}` }));
    box.append(node);
  }
  for (const a of actions || []) {
    const ext = (a.resource.extension || []).filter((x) => /ext-coverage-information$/.test(x.url));
    const summary = ext
      .map((x) =>
        x.extension
          .filter((p) => p.valueCode)
          .map((p) => `${p.url}=${p.valueCode}`)
          .join(', '),
      )
      .join(' | ');
    $('actions').append(
      el(
        'div',
        { class: 'action' },
        el('strong', {
          text: `System action (${a.type}) on ${a.resource.resourceType}/${a.resource.id}: `,
        }),
        `coverage information ${summary}`,
      ),
    );
  }
}

async function start() {
  demo = await (await fetch('/try/demo.json')).json();
  $('fhir-server').textContent = demo.fhirServer;
  renderPatients();
  refreshOrders();
  $('drug').addEventListener('change', refreshOrders);
  $('sign').addEventListener('click', sign);
}

start().catch((e) => {
  $('status').className = 'error';
  $('status').textContent = `Could not load the demo: ${e.message}`;
});

// The "try it" page: a tiny demo EHR. Plain browser JavaScript, no inline code, no innerHTML with
// data: every piece of text from a response is put into the page with textContent, and a URL
// becomes an href only when it is http(s) or a path on this host.
'use strict';

const $ = (id) => document.getElementById(id);
let demo;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c != null && c !== false) node.append(c);
  return node;
}

const str = (v) => (typeof v === 'string' ? v : v == null ? '' : String(v));
const list = (v) => (Array.isArray(v) ? v : []);

/** An href for a URL from a response: http(s) or a path on this host; anything else is refused. */
function safeUrl(url) {
  const u = str(url).trim();
  if (/^https?:\/\//i.test(u)) return u;
  // A path on this server; not "//host" or "/\\host", which browsers resolve to another site.
  if (/^\/(?![\/\\])/.test(u)) return u;
  return null;
}

// ---- Markdown (the subset cards use), rendered to DOM nodes: text is never parsed as HTML.
function inline(text) {
  const out = document.createDocumentFragment();
  const re =
    /\\([\\`*_{}[\]()<>#|!.-])|\*\*(.+?)\*\*|`([^`]+)`|\[([^\]]+)\]\(([^)\s]+)\)|\*(.+?)\*/g;
  let last = 0;
  let m;
  while ((m = re.exec(text))) {
    if (m.index > last) out.append(text.slice(last, m.index));
    if (m[1] !== undefined) out.append(m[1]);
    else if (m[2] !== undefined) out.append(el('strong', {}, inline(m[2])));
    else if (m[3] !== undefined) out.append(el('code', { text: m[3] }));
    else if (m[4] !== undefined) {
      const href = safeUrl(m[5]);
      out.append(
        href
          ? el('a', { href, target: '_blank', rel: 'noopener noreferrer' }, inline(m[4]))
          : inline(m[4]),
      );
    } else if (m[6] !== undefined) out.append(el('em', {}, inline(m[6])));
    last = re.lastIndex;
  }
  if (last < text.length) out.append(text.slice(last));
  return out;
}

/** Paragraphs, headings, bullet and numbered lists, bold, italics, code and http(s) links. */
function markdown(md) {
  const root = el('div', { class: 'detail' });
  let para = [];
  let listNode = null;
  const flush = () => {
    if (para.length) root.append(el('p', {}, inline(para.join(' '))));
    para = [];
  };
  for (const line of str(md).split(/\r?\n/)) {
    const bullet = /^\s*[-*+] +(.*)$/.exec(line);
    const numbered = /^\s*\d+[.)] +(.*)$/.exec(line);
    const heading = /^\s*(#{1,6}) +(.*?)\s*#*\s*$/.exec(line);
    if (bullet || numbered) {
      flush();
      const tag = bullet ? 'ul' : 'ol';
      if (!listNode || listNode.tagName.toLowerCase() !== tag) {
        listNode = el(tag);
        root.append(listNode);
      }
      listNode.append(el('li', {}, inline((bullet || numbered)[1])));
    } else if (heading) {
      flush();
      listNode = null;
      root.append(el('p', { class: 'md-heading' }, el('strong', {}, inline(heading[2]))));
    } else if (/^\s*$/.test(line)) {
      flush();
      listNode = null;
    } else if (listNode && /^\s{2,}\S/.test(line) && !para.length) {
      // A continuation line of the last list item.
      listNode.lastChild.append(' ', inline(line.trim()));
    } else {
      listNode = null;
      para.push(line.trim());
    }
  }
  flush();
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
  $('orders').removeAttribute('aria-invalid');
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

// ---- The result area: cleared before anything new (cards or an error) is shown
function clearResult({ keepRequest = false } = {}) {
  $('cards').replaceChildren();
  $('actions').replaceChildren();
  $('announce').textContent = '';
  $('announce').className = '';
  $('raw-response').textContent = '';
  if (!keepRequest) $('raw-request').textContent = '';
}

function focusResult() {
  $('result-heading').focus();
}

/** Shows an error in the order panel and in the (already cleared) result area, and announces it. */
function showError(message) {
  const status = $('status');
  status.className = 'error';
  status.textContent = message;
  $('cards').replaceChildren(el('p', { class: 'error-box', text: message }));
  // Announced, not shown twice: the error box says it on screen.
  $('announce').className = 'visually-hidden';
  $('announce').textContent = `Error: ${message}`;
  focusResult();
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
  for (const [key, template] of Object.entries((service && service.prefetch) || {})) {
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

/** The body of a response as JSON, or null when it is not JSON. */
async function jsonOf(res) {
  const text = await res.text();
  try {
    return { body: JSON.parse(text), text };
  } catch (e) {
    return { body: null, text };
  }
}

function diagnosticsOf(body) {
  const issue = body && Array.isArray(body.issue) ? body.issue[0] : null;
  return (issue && (issue.diagnostics || (issue.details && issue.details.text))) || 'error';
}

async function sign() {
  const status = $('status');
  status.className = '';
  let orders;
  try {
    orders = JSON.parse($('orders').value);
    if (!Array.isArray(orders)) orders = [orders];
    $('orders').removeAttribute('aria-invalid');
  } catch (e) {
    clearResult();
    $('orders').setAttribute('aria-invalid', 'true');
    showError(`The draft order is not valid JSON: ${e.message}`);
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
  clearResult();
  status.textContent = 'Signing…';
  $('announce').textContent = 'Signing…';
  try {
    if ($('prefetch').checked) request.prefetch = await prefetchFor(patient.id);
    $('raw-request').textContent = JSON.stringify(request, null, 2);
    const started = performance.now();
    const res = await fetch(`/cds-services/${encodeURIComponent(demo.serviceId)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(request),
    });
    const { body, text } = await jsonOf(res);
    const ms = Math.round(performance.now() - started);
    $('raw-response').textContent = body ? JSON.stringify(body, null, 2) : text;
    if (!res.ok) {
      showError(`HTTP ${res.status}: ${diagnosticsOf(body)}`);
      return;
    }
    if (!body || !Array.isArray(body.cards)) {
      showError(`HTTP ${res.status}: the response is not a CDS Hooks response (no cards array)`);
      return;
    }
    status.textContent = `HTTP ${res.status} in ${ms} ms: ${body.cards.length} card(s).`;
    renderCards(body.cards, list(body.systemActions));
    $('announce').textContent = announcement(body.cards);
    focusResult();
  } catch (e) {
    clearResult({ keepRequest: true });
    showError(`Request failed: ${e.message}`);
  } finally {
    $('sign').disabled = false;
  }
}

const INDICATORS = { info: 'Info', warning: 'Warning', critical: 'Critical' };
const indicatorOf = (card) => (INDICATORS[card.indicator] ? card.indicator : 'info');

function announcement(cards) {
  if (cards.length === 0) return 'Signed. No cards: no policy applies to this order.';
  const each = cards.map((c) => `${INDICATORS[indicatorOf(c)]}: ${str(c.summary)}`);
  return `Signed. ${cards.length} card${cards.length === 1 ? '' : 's'}: ${each.join('; ')}.`;
}

// ---- Criteria (the card's prior-auth-criteria extension), a secondary view
const OUTCOME_TEXT = {
  'criteria-met': 'criteria met',
  'criteria-not-met': 'criteria not met',
  'documentation-needed': 'documentation needed',
  error: 'could not be evaluated',
};

// effect: what the status means for approval (good / bad / unknown), shown by colour AND text.
const STATUS = {
  inclusion: {
    met: { label: 'met', effect: 'good', icon: '✓' },
    'not-met': { label: 'not met', effect: 'bad', icon: '✗' },
    unknown: { label: 'not documented', effect: 'unknown', icon: '?' },
  },
  exclusion: {
    applies: { label: 'applies', effect: 'bad', icon: '✗' },
    'does-not-apply': { label: 'does not apply', effect: 'good', icon: '✓' },
    unknown: { label: 'not documented', effect: 'unknown', icon: '?' },
  },
};

/**
 * A criterion row as the new extension has it. Older responses have no role: an id "X…" is then
 * read as an exclusion, whose met / not-met mean applies / does not apply.
 */
function normaliseCriterion(c) {
  const id = str(c && c.id);
  const given = c && (c.role === 'inclusion' || c.role === 'exclusion') ? c.role : null;
  const role = given || (/^X(\.|$)/.test(id) ? 'exclusion' : 'inclusion');
  let status = str(c && c.status);
  if (role === 'exclusion' && status === 'met') status = 'applies';
  if (role === 'exclusion' && status === 'not-met') status = 'does-not-apply';
  return {
    id,
    role,
    roleInferred: !given,
    status,
    text: str(c && c.text),
    detail: str(c && c.detail),
    evidence: list(c && c.evidence).map(str),
  };
}

/** "Observation/ecog-1" → { type: "Observation", id: "ecog-1" }; "MedicationRequest" → "Medication request". */
function evidenceLabel(ref) {
  const m = /(?:^|\/)([A-Z][A-Za-z]+)\/([^/]+?)(?:\/_history\/[^/]+)?$/.exec(ref);
  if (!m) return { type: '', id: ref };
  const words = m[1].replace(/([a-z])([A-Z])/g, '$1 $2').split(' ');
  const type = [words[0], ...words.slice(1).map((w) => w.toLowerCase())].join(' ');
  return { type, id: m[2] };
}

function marker(kind, icon, label) {
  return el(
    'span',
    { class: `marker marker-${kind}` },
    el('span', { class: 'icon', 'aria-hidden': 'true', text: icon }),
    label,
  );
}

function criteriaView(pac) {
  const criteria = list(pac.criteria).map(normaliseCriterion);
  const approving = new Set(list(pac.approvingBranch).map(str));
  const blocking = new Set(list(pac.blockingCriteria).map(str));
  const toDocument =
    pac.toDocument && typeof pac.toDocument === 'object' && !Array.isArray(pac.toDocument)
      ? pac.toDocument
      : {};
  const missing = new Set([...list(pac.missingSets).flatMap(list).map(str)]);
  for (const id of Object.keys(toDocument)) missing.add(id);

  const details = el('details', { class: 'criteria' });
  const outcome = str(pac.outcome);
  details.append(
    el(
      'summary',
      {},
      `Criteria (${criteria.length}) — `,
      el('span', {
        class: 'outcome',
        text:
          (Object.hasOwn(OUTCOME_TEXT, outcome) && OUTCOME_TEXT[outcome]) ||
          outcome ||
          'no outcome',
      }),
    ),
  );
  if (pac.formula)
    details.append(
      el('p', { class: 'formula' }, 'Approvable when: ', el('code', { text: str(pac.formula) })),
    );
  if (list(pac.decidedBy).length)
    details.append(
      el('p', { class: 'decided-by', text: `Decided by: ${list(pac.decidedBy).join(', ')}` }),
    );
  if (pac.offLabel === true)
    details.append(el('p', { class: 'off-label', text: 'Off-label use.' }));
  if (list(pac.notes).length) {
    const ul = el('ul', { class: 'notes' });
    for (const n of pac.notes) ul.append(el('li', { text: str(n) }));
    details.append(ul);
  }
  details.append(
    el(
      'p',
      { class: 'legend' },
      'Key: ',
      marker('approving', '★', 'approving branch'),
      ' the criteria that make the order approvable; ',
      marker('blocking', '⊘', 'blocks'),
      ' stands in the way; ',
      marker('document', '✎', 'to document'),
      ' missing from the record.',
    ),
  );

  const table = el('table', { class: 'criteria-table' });
  table.append(
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        ...['Criterion', 'Role', 'Status', 'Text', 'Detail', 'Evidence'].map((h) =>
          el('th', { scope: 'col', text: h }),
        ),
      ),
    ),
  );
  const body = el('tbody');
  for (const c of criteria) {
    const byStatus = (Object.hasOwn(STATUS, c.role) && STATUS[c.role]) || {};
    const s = (Object.hasOwn(byStatus, c.status) && byStatus[c.status]) || {
      label: c.status || 'unknown',
      effect: 'unknown',
      icon: '?',
    };
    const statusCell = el(
      'td',
      { class: `status effect-${s.effect}`, 'data-status': c.status, 'data-effect': s.effect },
      el('span', { class: 'icon', 'aria-hidden': 'true', text: s.icon }),
      ' ',
      el('span', { class: 'status-label', text: s.label }),
    );
    const marks = el('span', { class: 'markers' });
    if (approving.has(c.id)) marks.append(marker('approving', '★', 'approving branch'));
    if (blocking.has(c.id)) marks.append(marker('blocking', '⊘', 'blocks'));
    if (missing.has(c.id)) marks.append(marker('document', '✎', 'to document'));
    if (marks.childNodes.length) statusCell.append(marks);

    const detailCell = el('td', { class: 'criterion-detail', text: c.detail });
    if (Object.hasOwn(toDocument, c.id) && typeof toDocument[c.id] === 'string')
      detailCell.append(
        el(
          'p',
          { class: 'to-document' },
          el('strong', { text: 'To document: ' }),
          str(toDocument[c.id]),
        ),
      );
    const evidence = el('ul', { class: 'evidence' });
    for (const ref of c.evidence) {
      const { type, id } = evidenceLabel(ref);
      evidence.append(
        el(
          'li',
          { title: ref, 'data-reference': ref },
          type ? el('span', { class: 'ev-type', text: type }) : null,
          type ? ' ' : null,
          el('span', { class: 'ev-id', text: id }),
        ),
      );
    }
    const row = el(
      'tr',
      {
        'data-criterion': c.id,
        'data-role': c.role,
        class: [
          approving.has(c.id) ? 'approving' : '',
          blocking.has(c.id) ? 'blocking' : '',
          missing.has(c.id) ? 'to-document' : '',
        ]
          .filter(Boolean)
          .join(' '),
      },
      el('th', { scope: 'row', class: 'criterion-id', text: c.id }),
      el('td', {
        class: 'role',
        text: c.role,
        title: c.roleInferred ? 'read from the id: the response names no role' : null,
      }),
      statusCell,
      el('td', { class: 'criterion-text', text: c.text }),
      detailCell,
      el('td', { class: 'criterion-evidence' }, c.evidence.length ? evidence : '—'),
    );
    body.append(row);
  }
  table.append(body);
  details.append(el('div', { class: 'table-wrap' }, table));
  return details;
}

// ---- Feedback (CDS Hooks 2.0): accepted, or overridden with a reason
async function sendFeedback(card, item, controls, statusNode) {
  for (const c of controls) c.disabled = true;
  statusNode.className = 'feedback-status';
  statusNode.textContent = 'Sending feedback…';
  const feedback = { card: card.uuid, outcomeTimestamp: new Date().toISOString(), ...item };
  try {
    const res = await fetch(`/cds-services/${encodeURIComponent(demo.serviceId)}/feedback`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ feedback: [feedback] }),
    });
    if (!res.ok) {
      const { body } = await jsonOf(res);
      throw new Error(`HTTP ${res.status}: ${diagnosticsOf(body)}`);
    }
    const reason = item.overrideReason && item.overrideReason.reason;
    statusNode.className = 'feedback-status ok';
    statusNode.textContent =
      item.outcome === 'accepted'
        ? 'Feedback recorded: accepted.'
        : `Feedback recorded: overridden${reason ? ` (${str(reason.display || reason.code)})` : ''}.`;
  } catch (e) {
    statusNode.className = 'feedback-status error';
    statusNode.textContent = `Feedback not recorded: ${e.message}`;
    for (const c of controls) c.disabled = false;
  }
}

function feedbackControls(card) {
  if (!card.uuid) return null;
  const box = el('div', { class: 'card-feedback' });
  const statusNode = el('p', { class: 'feedback-status', role: 'status' });
  const reasons = list(card.overrideReasons).filter((r) => r && (r.display || r.code));
  const accept = el('button', { type: 'button', class: 'accept', text: 'Accept' });
  const override = el('button', { type: 'button', class: 'override', text: 'Override' });
  const controls = [accept, override];
  let select = null;
  const fieldId = `reason-${str(card.uuid).replace(/[^A-Za-z0-9_-]/g, '')}`;
  if (reasons.length) {
    select = el('select', { id: fieldId, class: 'override-reason' });
    select.append(el('option', { value: '', text: 'Choose a reason…' }));
    reasons.forEach((r, i) =>
      select.append(el('option', { value: String(i), text: str(r.display || r.code) })),
    );
    controls.push(select);
    box.append(el('label', { for: fieldId, text: 'Override reason' }), select);
  }
  accept.addEventListener('click', () =>
    sendFeedback(card, { outcome: 'accepted' }, controls, statusNode),
  );
  override.addEventListener('click', () => {
    const r = select && select.value !== '' ? reasons[Number(select.value)] : null;
    if (select && !r) {
      statusNode.className = 'feedback-status error';
      statusNode.textContent = 'Choose an override reason first.';
      select.focus();
      return;
    }
    const item = { outcome: 'overridden' };
    if (r) {
      const reason = {};
      for (const k of ['system', 'code', 'display']) if (typeof r[k] === 'string') reason[k] = r[k];
      item.overrideReason = { reason };
    }
    sendFeedback(card, item, controls, statusNode);
  });
  box.append(el('span', { class: 'buttons' }, accept, override), statusNode);
  return box;
}

// ---- Cards, as a CDS Hooks client shows them
function cardNode(card) {
  const ext = card.extension && typeof card.extension === 'object' ? card.extension : {};
  const pac =
    ext['prior-auth-criteria'] && typeof ext['prior-auth-criteria'] === 'object'
      ? ext['prior-auth-criteria']
      : null;
  const instructions = ext['prior-auth-instructions'] || null;
  const indicator = indicatorOf(card);
  const node = el('article', {
    class: `card ${indicator}`,
    'data-uuid': card.uuid || null,
    'data-kind': pac ? 'criteria' : instructions ? 'instructions' : 'plain',
    'data-policy': str((pac && pac.policy) || (instructions && instructions.policy)),
    'data-outcome': str((pac && pac.outcome) || (instructions && instructions.outcome)),
    'data-for-card': instructions ? str(instructions.forCard) || null : null,
  });
  const ICONS = { info: 'ℹ', warning: '⚠', critical: '✖' };
  node.append(
    el(
      'div',
      { class: 'card-head' },
      el(
        'span',
        { class: 'indicator' },
        el('span', { class: 'icon', 'aria-hidden': 'true', text: ICONS[indicator] }),
        ' ',
        el('span', { class: 'indicator-label', text: INDICATORS[indicator] }),
      ),
      el('h3', { class: 'card-summary', text: str(card.summary) }),
    ),
  );
  if (card.detail) node.append(markdown(card.detail));

  const source = card.source || {};
  const sourceLine = el('p', { class: 'source' }, 'Source: ');
  const href = safeUrl(source.url);
  const label = str(source.label) || str(source.url) || 'unnamed';
  sourceLine.append(
    href ? el('a', { href, target: '_blank', rel: 'noopener noreferrer', text: label }) : label,
  );
  if (source.topic && source.topic.display)
    sourceLine.append(el('span', { class: 'topic', text: ` · ${str(source.topic.display)}` }));
  node.append(sourceLine);

  const links = list(card.links).filter((l) => l && safeUrl(l.url));
  if (links.length) {
    const box = el('p', { class: 'links' });
    for (const l of links)
      box.append(
        el('a', {
          class: 'link-button',
          href: safeUrl(l.url),
          target: '_blank',
          rel: 'noopener noreferrer',
          'data-type': str(l.type) || null,
          text: str(l.label) || str(l.url),
        }),
      );
    node.append(box);
  }
  for (const s of list(card.suggestions))
    node.append(el('p', { class: 'suggestion', text: `Suggestion: ${str(s && s.label)}` }));
  const feedback = feedbackControls(card);
  if (feedback) node.append(feedback);
  if (pac) node.append(criteriaView(pac));
  return node;
}

function renderCards(cards, actions) {
  const box = $('cards');
  box.replaceChildren();
  $('actions').replaceChildren();
  if (cards.length === 0)
    box.append(el('p', { class: 'empty', text: 'No cards: no policy applies to this order.' }));
  for (const card of cards) if (card && typeof card === 'object') box.append(cardNode(card));
  for (const a of actions || []) {
    const resource = (a && a.resource) || {};
    const ext = list(resource.extension).filter((x) =>
      /ext-coverage-information$/.test(str(x && x.url)),
    );
    const summary = ext
      .map((x) =>
        list(x.extension)
          .filter((p) => p && p.valueCode)
          .map((p) => `${str(p.url)}=${str(p.valueCode)}`)
          .join(', '),
      )
      .join(' | ');
    $('actions').append(
      el(
        'div',
        { class: 'action' },
        el('strong', {
          text: `System action (${str(a && a.type)}) on ${str(resource.resourceType)}/${str(resource.id)}: `,
        }),
        summary ? `coverage information ${summary}` : str(a && a.description),
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

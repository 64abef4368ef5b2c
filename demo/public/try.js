// The "try it" page: a tiny demo EHR. Plain browser JavaScript, no inline code, no innerHTML with
// data: every piece of text from a response is put into the page with textContent, and a URL
// becomes an href only when it is http(s) or a path on this host.
'use strict';

const $ = (id) => document.getElementById(id);
let demo;
/** The order-sign request whose cards are shown (the documentation form signs it again). */
let cardsRequest = null;
/** The last completed form sent, { patientId, canonical, qr }: reopening the form starts from it. */
let lastForm = null;
/** The service's documentation forms, [{ url, version }], read once (null until then). */
let formCatalog = null;
/** The system actions of the response being drawn (their coverage information names forms). */
let currentActions = [];

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
const clone = (v) => JSON.parse(JSON.stringify(v));

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
function clearResult({ keepRequest = false, keepForm = false } = {}) {
  $('cards').replaceChildren();
  if (!keepForm) $('dtr').replaceChildren();
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
  // A new order: the form completed for the previous one is not carried over.
  lastForm = null;
  $('sign').disabled = true;
  clearResult();
  status.textContent = 'Signing…';
  $('announce').textContent = 'Signing…';
  try {
    if ($('prefetch').checked) request.prefetch = await prefetchFor(patient.id);
    await send(request);
  } catch (e) {
    clearResult({ keepRequest: true });
    showError(`Request failed: ${e.message}`);
  } finally {
    $('sign').disabled = false;
  }
}

/**
 * Sends an order-sign request and renders the answer: the Sign button's request, and the same
 * request again with the completed form. True when cards were shown; errors are shown here.
 */
async function send(request) {
  const status = $('status');
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
    return false;
  }
  if (!body || !Array.isArray(body.cards)) {
    showError(`HTTP ${res.status}: the response is not a CDS Hooks response (no cards array)`);
    return false;
  }
  // The forms the service has, read once, before a documentation-needed card is drawn.
  if (body.cards.some((c) => outcomeOf(criteriaOf(c)) === 'documentation-needed'))
    await loadFormCatalog();
  cardsRequest = request;
  status.textContent = `HTTP ${res.status} in ${ms} ms: ${body.cards.length} card(s).`;
  renderCards(body.cards, list(body.systemActions));
  $('announce').textContent = announcement(body.cards);
  focusResult();
  return true;
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
/** A card's prior-auth-criteria extension, or null. */
function criteriaOf(card) {
  const ext = card && card.extension && typeof card.extension === 'object' ? card.extension : {};
  return ext['prior-auth-criteria'] && typeof ext['prior-auth-criteria'] === 'object'
    ? ext['prior-auth-criteria']
    : null;
}
const outcomeOf = (pac) => str(pac && pac.outcome);

function cardNode(card) {
  const ext = card.extension && typeof card.extension === 'object' ? card.extension : {};
  const pac = criteriaOf(card);
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
  const canonical = outcomeOf(pac) === 'documentation-needed' ? formCanonicalFor(pac) : null;
  if (canonical) node.append(formOpener(pac, canonical));
  const feedback = feedbackControls(card);
  if (feedback) node.append(feedback);
  if (pac) node.append(criteriaView(pac));
  return node;
}

function renderCards(cards, actions) {
  currentActions = list(actions);
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

// ---- The documentation form (DTR): the card's Questionnaire, pre-filled from the record by the
// service (/dtr/populate), completed here and sent back with the order-sign call.
const ORIGIN = 'http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/information-origin';
const AUTO_SOURCES = new Set(['auto', 'auto-client', 'auto-server']);
const FHIR_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/fhir+json' };

/** Whether an answer was filled in from the record (information-origin auto…). */
function isAuto(answer) {
  const origin = list(answer && answer.extension).find((e) => e && e.url === ORIGIN);
  const source = origin && list(origin.extension).find((e) => e && e.url === 'source');
  return AUTO_SOURCES.has(str(source && source.valueCode));
}

async function loadFormCatalog() {
  if (formCatalog) return;
  try {
    const res = await fetch('/fhir/Questionnaire', {
      headers: { Accept: 'application/fhir+json' },
    });
    if (!res.ok) return;
    const bundle = await res.json();
    formCatalog = list(bundle && bundle.entry)
      .map((e) => e && e.resource)
      .filter((r) => r && typeof r.url === 'string')
      .map((r) => ({ url: r.url, version: str(r.version) }));
  } catch (e) {
    // No forms known: documentation-needed cards show no form button.
  }
}

/** "…/Questionnaire/CC-0248|2025-11-14" → { url, version, name: "CC-0248" }. */
function splitCanonical(canonical) {
  const [url, version = ''] = str(canonical).split('|');
  return { url, version, name: url.split('/').pop() };
}

/**
 * The form of a card's policy version, `url|version`, or null: a Questionnaire of the service
 * named after the policy (its version the policy's), else a questionnaire the CRD coverage
 * information names for the policy.
 */
function formCanonicalFor(pac) {
  const policy = str(pac && pac.policy);
  if (!policy) return null;
  const version = str(pac.policyVersion);
  const forms = (formCatalog || []).filter((f) => f.url.split('/').pop() === policy);
  const form = forms.find((f) => version && f.version === version) || (!version && forms[0]);
  if (form) return form.version ? `${form.url}|${form.version}` : form.url;
  for (const a of currentActions)
    for (const x of list(a && a.resource && a.resource.extension))
      if (/ext-coverage-information$/.test(str(x && x.url)))
        for (const p of list(x.extension))
          if (p && p.url === 'questionnaire' && splitCanonical(p.valueCanonical).name === policy)
            return str(p.valueCanonical);
  return null;
}

/** The card's button that opens the form, with a line for its progress. */
function formOpener(pac, canonical) {
  const button = el('button', {
    type: 'button',
    class: 'dtr-open',
    text: 'Complete the documentation form',
  });
  const statusNode = el('p', { class: 'dtr-open-status', role: 'status' });
  button.addEventListener('click', () => openForm(pac, canonical, button, statusNode));
  return el('div', { class: 'dtr-opener' }, button, statusNode);
}

async function fetchFhir(url, init) {
  const res = await fetch(url, init);
  const { body } = await jsonOf(res);
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${diagnosticsOf(body)}`);
  if (!body) throw new Error(`${url}: not JSON`);
  return body;
}

async function openForm(pac, canonical, button, statusNode) {
  const request = cardsRequest;
  if (!request) return;
  button.disabled = true;
  statusNode.className = 'dtr-open-status';
  statusNode.textContent = 'Opening the form…';
  try {
    // The form pre-filled on the record: the service runs the form's library on the same call.
    const populated = await fetchFhir('/dtr/populate', {
      method: 'POST',
      headers: FHIR_HEADERS,
      body: JSON.stringify(request),
    });
    const responses = list(populated.entry)
      .map((e) => e && e.resource)
      .filter((r) => r && r.resourceType === 'QuestionnaireResponse');
    const wanted = splitCanonical(canonical);
    const qr =
      responses.find((r) => r.questionnaire === canonical) ||
      responses.find((r) => splitCanonical(r.questionnaire).url === wanted.url) ||
      null;
    const form = str(qr && qr.questionnaire) || canonical;
    const found = await fetchFhir(`/fhir/Questionnaire?url=${encodeURIComponent(form)}`, {
      headers: { Accept: 'application/fhir+json' },
    });
    const questionnaire = list(found.entry)
      .map((e) => e && e.resource)
      .find((r) => r && r.resourceType === 'Questionnaire');
    if (!questionnaire) throw new Error(`the service has no Questionnaire ${form}`);
    const patientId = str(request.context && request.context.patientId);
    // Reopened after signing with it: start from what was sent (the clinician's answers kept).
    const start =
      lastForm && lastForm.patientId === patientId && lastForm.canonical === form
        ? lastForm.qr
        : qr;
    renderForm({ questionnaire, canonical: form, populated: qr, start, patientId, pac });
    statusNode.textContent = 'The form is open below the cards.';
    $('dtr-heading').focus();
  } catch (e) {
    statusNode.className = 'dtr-open-status error';
    statusNode.textContent = `Could not open the form: ${e.message}`;
  } finally {
    button.disabled = false;
  }
}

// -- Rendering: each item gives its node and a collect() that returns its response items.
let fieldCount = 0;
const nextFieldId = () => `dtr-field-${++fieldCount}`;

function localToday() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The items of a questionnaire level, each with the response items of the same linkId. */
function formItems(items, given) {
  const parts = list(items)
    .filter((i) => i && typeof i.linkId === 'string')
    .map((i) =>
      formItem(
        i,
        list(given).filter((g) => g && g.linkId === i.linkId),
      ),
    );
  return { nodes: parts.map((p) => p.node), collect: () => parts.flatMap((p) => p.collect()) };
}

function formItem(item, given) {
  switch (item.type) {
    case 'group':
      return item.repeats ? repeatingGroup(item, given) : formGroup(item, given[0]);
    case 'choice':
    case 'date':
    case 'decimal':
    case 'integer':
    case 'string':
    case 'text':
      return question(item, given[0]);
    case 'display':
      return { node: el('p', { class: 'dtr-display', text: str(item.text) }), collect: () => [] };
    default:
      return {
        node: el('p', {
          class: 'dtr-unsupported',
          text: `${str(item.text) || item.linkId}: a ${str(item.type)} item, not shown on this page.`,
        }),
        collect: () => [],
      };
  }
}

const responseItem = (item, rest) => ({
  linkId: item.linkId,
  ...(item.text ? { text: item.text } : {}),
  ...rest,
});

function formGroup(item, given, legend) {
  const inner = formItems(item.item, given && given.item);
  const node = el(
    'fieldset',
    { class: 'dtr-group', 'data-link-id': item.linkId },
    el('legend', { text: legend || str(item.text) || item.linkId }),
    ...inner.nodes,
  );
  return {
    node,
    collect: () => {
      const items = inner.collect();
      return items.length ? [responseItem(item, { item: items })] : [];
    },
  };
}

/** A repeating group: its entries, each a group of its own, and an Add button for another. */
function repeatingGroup(item, given) {
  const entries = [];
  const box = el('div', { class: 'dtr-entries' });
  const none = el('p', { class: 'dtr-none', text: 'No entries.' });
  const add = el('button', { type: 'button', class: 'dtr-add', text: 'Add entry' });
  const node = el(
    'fieldset',
    { class: 'dtr-group dtr-repeating', 'data-link-id': item.linkId },
    el('legend', { text: str(item.text) || item.linkId }),
    none,
    box,
    add,
  );
  const renumber = () => {
    entries.forEach((e, i) => {
      e.legend.textContent = `Entry ${i + 1}`;
      e.remove.textContent = `Remove entry ${i + 1}`;
    });
    none.hidden = entries.length > 0;
  };
  const append = (answers) => {
    const group = formGroup(item, answers, 'Entry');
    const remove = el('button', { type: 'button', class: 'dtr-remove', text: 'Remove entry' });
    group.node.classList.add('dtr-entry');
    group.node.append(remove);
    const entry = { ...group, legend: group.node.querySelector('legend'), remove };
    remove.addEventListener('click', () => {
      entries.splice(entries.indexOf(entry), 1);
      group.node.remove();
      renumber();
      add.focus();
    });
    entries.push(entry);
    box.append(group.node);
    renumber();
    return group.node;
  };
  for (const g of given) append(g);
  add.addEventListener('click', () => {
    const first = append(null).querySelector('input, select, textarea');
    if (first) first.focus();
  });
  renumber();
  return { node, collect: () => entries.flatMap((e) => e.collect()) };
}

/** A question: a labelled control, its pre-filled answer and where that answer came from. */
function question(item, given) {
  const id = nextFieldId();
  const initial = (given && list(given.answer)[0]) || null;
  const readOnly = item.readOnly === true;
  const labelText = str(item.text) || item.linkId;
  const label = el(
    'label',
    { for: id },
    labelText,
    item.required && !readOnly ? el('span', { class: 'dtr-required', text: ' (required)' }) : null,
  );
  const originNote = el('span', { id: `${id}-origin`, class: 'dtr-origin' });
  let control;
  let initialValue = '';
  let read;
  const options = list(item.answerOption).filter(
    (o) =>
      o &&
      ((o.valueCoding && typeof o.valueCoding === 'object') || typeof o.valueString === 'string'),
  );
  switch (item.type) {
    case 'choice': {
      control = el('select', { id });
      control.append(el('option', { value: '', text: '— not answered —' }));
      options.forEach((o, i) =>
        control.append(
          el('option', {
            value: String(i),
            text: o.valueCoding
              ? str(o.valueCoding.display) || str(o.valueCoding.code)
              : o.valueString,
          }),
        ),
      );
      if (initial) {
        const at = options.findIndex((o) =>
          o.valueCoding
            ? initial.valueCoding &&
              initial.valueCoding.code === o.valueCoding.code &&
              str(initial.valueCoding.system) === str(o.valueCoding.system)
            : initial.valueString === o.valueString,
        );
        if (at >= 0) initialValue = String(at);
      }
      read = () => {
        if (control.value === '') return null;
        const o = options[Number(control.value)];
        return o.valueCoding
          ? { valueCoding: clone(o.valueCoding) }
          : { valueString: o.valueString };
      };
      break;
    }
    case 'date':
      control = el('input', { id, type: 'date', max: localToday() });
      initialValue = str(initial && initial.valueDate);
      read = () => (control.value ? { valueDate: control.value } : null);
      break;
    case 'decimal':
    case 'integer': {
      const key = item.type === 'decimal' ? 'valueDecimal' : 'valueInteger';
      control = el('input', {
        id,
        type: 'number',
        step: item.type === 'decimal' ? 'any' : '1',
        min: item.type === 'decimal' ? '0' : null,
        inputmode: item.type === 'decimal' ? 'decimal' : 'numeric',
      });
      initialValue = initial && typeof initial[key] === 'number' ? String(initial[key]) : '';
      read = () => {
        if (control.validity && control.validity.badInput)
          throw Object.assign(new Error(`"${labelText}" is not a number.`), { control });
        if (control.value === '') return null;
        const n = Number(control.value);
        if (!Number.isFinite(n) || (key === 'valueInteger' && !Number.isInteger(n)))
          throw Object.assign(new Error(`"${labelText}" is not a valid number.`), { control });
        return { [key]: n };
      };
      break;
    }
    default:
      // string and text; a read-only one (what the record shows) in a text area that wraps.
      control =
        readOnly || item.type === 'text'
          ? el('textarea', { id, rows: readOnly ? '2' : '3', readonly: readOnly })
          : el('input', { id, type: 'text' });
      initialValue = str(initial && initial.valueString);
      read = () => (control.value.trim() ? { valueString: control.value } : null);
  }
  control.value = initialValue;
  control.setAttribute('aria-describedby', originNote.id);
  if (item.required && !readOnly) control.setAttribute('aria-required', 'true');
  const kept = () => initial && control.value === initialValue;
  const showOrigin = () => {
    const fromRecord = kept() && isAuto(initial);
    originNote.className = `dtr-origin${fromRecord ? ' auto' : ''}`;
    originNote.textContent = fromRecord
      ? 'From the record'
      : kept()
        ? 'As answered'
        : control.value !== ''
          ? 'Entered by you'
          : initial
            ? 'Cleared'
            : '';
  };
  control.addEventListener('input', showOrigin);
  control.addEventListener('change', showOrigin);
  showOrigin();
  const node = el(
    'div',
    { class: `dtr-question dtr-${str(item.type)}`, 'data-link-id': item.linkId },
    label,
    control,
    originNote,
  );
  return {
    node,
    collect: () => {
      // Left as pre-filled: the same answer, its origin kept (still the record's, not yours).
      if (readOnly || kept())
        return initial ? [responseItem(item, { answer: [clone(initial)] })] : [];
      const answer = read();
      // Entered or changed: the clinician's answer, with no information-origin.
      return answer ? [responseItem(item, { answer: [answer] })] : [];
    },
  };
}

/** Opens the form in the result area, pre-filled from `start` (a QuestionnaireResponse). */
function renderForm({ questionnaire, canonical, populated, start, patientId, pac }) {
  const body = formItems(questionnaire.item, start && start.item);
  const title = str(questionnaire.title) || str(questionnaire.name) || canonical;
  const signAgain = el('button', {
    type: 'button',
    class: 'dtr-sign',
    text: 'Sign again with the form',
  });
  const close = el('button', { type: 'button', class: 'dtr-close', text: 'Close the form' });
  const formStatus = el('p', { class: 'dtr-status', role: 'status' });
  const missing = Object.keys(
    pac.toDocument && typeof pac.toDocument === 'object' ? pac.toDocument : {},
  );
  const section = el(
    'section',
    {
      class: 'dtr-form',
      'aria-labelledby': 'dtr-heading',
      'data-questionnaire': canonical,
      'data-policy': str(pac.policy),
    },
    el('h3', { id: 'dtr-heading', tabindex: '-1', text: `Documentation form: ${title}` }),
    el(
      'p',
      { class: 'dtr-intro' },
      'Pre-filled by the service from the record ("From the record"). Change or add what is missing',
      missing.length ? ` (${pac.policy}: ${missing.join(', ')})` : '',
      ', then sign again: only answers you enter or change count as your documentation.',
    ),
    ...body.nodes,
    el('div', { class: 'dtr-buttons' }, signAgain, close),
    formStatus,
  );
  close.addEventListener('click', () => {
    $('dtr').replaceChildren();
    const opener = document.querySelector('#cards button.dtr-open');
    if (opener) opener.focus();
    else focusResult();
  });
  signAgain.addEventListener('click', () =>
    signWithForm({ canonical, populated, patientId, collect: body.collect, signAgain, formStatus }),
  );
  $('dtr').replaceChildren(section);
}

/** The completed form, added to the prefetch of the shown cards' request, signed again. */
async function signWithForm({ canonical, populated, patientId, collect, signAgain, formStatus }) {
  let items;
  try {
    items = collect();
  } catch (e) {
    formStatus.className = 'dtr-status error';
    formStatus.textContent = e.message;
    if (e.control) e.control.focus();
    return;
  }
  const qr = {
    resourceType: 'QuestionnaireResponse',
    id: `try-qr-${uuid()}`,
    ...(populated && populated.meta ? { meta: clone(populated.meta) } : {}),
    ...(populated && list(populated.extension).length
      ? { extension: clone(populated.extension) }
      : {}),
    questionnaire: canonical,
    status: 'completed',
    subject: { reference: `Patient/${patientId}` },
    authored: new Date().toISOString(),
    item: items,
  };
  const request = clone(cardsRequest);
  request.hookInstance = uuid();
  request.prefetch = {
    ...(request.prefetch || {}),
    questionnaireResponses: {
      resourceType: 'Bundle',
      type: 'searchset',
      entry: [{ resource: qr }],
    },
  };
  const status = $('status');
  status.className = '';
  formStatus.className = 'dtr-status';
  formStatus.textContent = 'Signing with the form…';
  signAgain.disabled = true;
  $('sign').disabled = true;
  clearResult({ keepForm: true });
  status.textContent = 'Signing with the form…';
  $('announce').textContent = 'Signing with the form…';
  try {
    if (await send(request)) {
      lastForm = { patientId, canonical, qr };
      $('dtr').replaceChildren();
    } else {
      formStatus.className = 'dtr-status error';
      formStatus.textContent = `Not signed: ${status.textContent}`;
    }
  } catch (e) {
    clearResult({ keepRequest: true, keepForm: true });
    showError(`Request failed: ${e.message}`);
    formStatus.className = 'dtr-status error';
    formStatus.textContent = `Not signed: ${status.textContent}`;
  } finally {
    signAgain.disabled = false;
    $('sign').disabled = false;
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

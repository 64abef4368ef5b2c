import type { Policy } from '../policy/load';
import { defaultWording, fill, type Wording } from '../render/wording';

function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

/** An HTML template from the wording with every value escaped. */
function html(template: string, values: Record<string, string>): string {
  return fill(
    template,
    Object.fromEntries(Object.entries(values).map(([k, v]) => [k, escapeHtml(v)])),
  );
}

/**
 * A plain HTML page describing a policy as the service encodes it (the cards link here). The
 * words are the loaded Content's wording when given, else the default content's.
 */
export function policyPage(policy: Policy, wording: Wording = defaultWording()): string {
  const d = policy.definition;
  const w = wording.policyPage;
  const rows = d.criteria
    .map((id) => `<tr><th>${escapeHtml(id)}</th><td>${escapeHtml(d.nextSteps[id] ?? '')}</td></tr>`)
    .join('');
  const reviewed = d.document.lastReviewed
    ? html(w.reviewed, { lastReviewed: d.document.lastReviewed })
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(d.document.number)} ${escapeHtml(d.drug)}</title></head>
<body>
<h1>${escapeHtml(d.document.number)}: ${escapeHtml(d.document.title)}</h1>
<p>${fill(w.status, { status: escapeHtml(d.document.status ?? ''), published: escapeHtml(d.document.published), reviewed })}</p>
<p>${html(w.formula, { formula: d.formula })}</p>
<p>${html(w.library, { library: d.library.name, version: d.library.version })}</p>
<table><thead><tr><th>${w.criterionColumn}</th><th>${w.nextStepColumn}</th></tr></thead><tbody>${rows}</tbody></table>
</body></html>
`;
}

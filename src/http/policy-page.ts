import type { Policy } from '../policy/load';

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** A plain HTML page describing a policy as the service encodes it (the cards link here). */
export function policyPage(policy: Policy): string {
  const d = policy.definition;
  const rows = d.criteria
    .map((id) => `<tr><th>${escapeHtml(id)}</th><td>${escapeHtml(d.nextSteps[id] ?? '')}</td></tr>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(d.document.number)} ${escapeHtml(d.drug)}</title></head>
<body>
<h1>${escapeHtml(d.document.number)}: ${escapeHtml(d.document.title)}</h1>
<p>Status ${escapeHtml(d.document.status ?? '')}; published ${escapeHtml(d.document.published)}${d.document.lastReviewed ? `; last reviewed ${escapeHtml(d.document.lastReviewed)}` : ''}.</p>
<p>Approvable when <code>${escapeHtml(d.formula)}</code> (three-valued: unknown criteria make the outcome "documentation needed").</p>
<p>Encoded in CQL library <code>${escapeHtml(d.library.name)}</code> version ${escapeHtml(d.library.version)}.</p>
<table><thead><tr><th>Criterion</th><th>What documents it</th></tr></thead><tbody>${rows}</tbody></table>
</body></html>
`;
}

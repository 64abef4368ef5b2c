import { effectiveUntil, type Policy } from '../policy/load';
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

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:72rem;margin:1.5rem auto;padding:0 1rem;color:#1a1a1a}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #767676;padding:.4rem .5rem;text-align:left;vertical-align:top}
thead th{background:#f0f0f0}code{background:#f3f3f3;padding:0 .2rem}.exclusion{color:#8a1c1c;font-weight:600}`;

/**
 * A plain HTML page describing a policy as the service encodes it (the cards link here): the
 * document's criteria text, the formula, how the record is read, what documents each criterion,
 * the notes, the dates and the document itself. The words are the loaded Content's wording when
 * given, else the default content's.
 */
export function policyPage(policy: Policy, wording: Wording = defaultWording()): string {
  const d = policy.definition;
  const w = wording.policyPage;
  const rows = d.criteria
    .map((id) => {
      const words = d.criteriaWords[id];
      const exclusion = policy.formula.roles[id] === 'exclusion';
      return `<tr id="criterion-${escapeHtml(id)}"><th scope="row">${escapeHtml(id)}</th><td>${escapeHtml(words?.text ?? '')}</td><td${exclusion ? ' class="exclusion"' : ''}>${exclusion ? w.exclusion : w.inclusion}</td><td>${escapeHtml(words?.dataRule ?? '')}</td><td>${escapeHtml(d.nextSteps[id] ?? '')}</td></tr>`;
    })
    .join('\n');
  const reviewed = d.document.lastReviewed
    ? html(w.reviewed, { lastReviewed: d.document.lastReviewed })
    : '';
  const notes = d.notes?.length
    ? `<h2>${w.notesHeading}</h2><ul>${d.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('')}</ul>`
    : '';
  const at = `/policies/${encodeURIComponent(d.id)}/versions/${encodeURIComponent(policy.version)}`;
  const documentLink =
    policy.documentText !== undefined
      ? `<p><a href="${at}/document">${html(w.documentLink, { documentNumber: d.document.number })}</a></p>`
      : '';
  const all = policy.versions.length > 0 ? policy.versions : [policy];
  const versions = all
    .map((v) => {
      const until = effectiveUntil(v);
      const oldest = v === all[0];
      const period =
        oldest && !until
          ? w.periodAll
          : oldest
            ? fill(w.periodUntil, { until: until ?? '' })
            : until
              ? fill(w.periodBetween, { from: v.effectiveFrom, until })
              : fill(w.periodFrom, { from: v.effectiveFrom });
      const row = html(w.versionRow, { version: v.version, period });
      const href = `/policies/${encodeURIComponent(d.id)}/versions/${encodeURIComponent(v.version)}`;
      const note = v.definition.versionNote ? `<br>${escapeHtml(v.definition.versionNote)}` : '';
      return `<li><a href="${href}">${row}</a>${v === policy ? ` ${w.shown}` : ''}${note}</li>`;
    })
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(d.document.number)} ${escapeHtml(d.drug)}</title><style>${STYLE}</style></head>
<body><main>
<h1>${escapeHtml(d.document.number)}: ${escapeHtml(d.document.title)}</h1>
<p>${fill(w.status, { status: escapeHtml(d.document.status ?? ''), published: escapeHtml(d.document.published), reviewed })}</p>
<p>${html(w.formula, { formula: d.formula })}</p>
<p>${html(w.library, { library: d.library.name, version: d.library.version })}</p>
${documentLink}
<table><thead><tr><th scope="col">${w.criterionColumn}</th><th scope="col">${w.textColumn}</th><th scope="col">${w.roleColumn}</th><th scope="col">${w.dataRuleColumn}</th><th scope="col">${w.nextStepColumn}</th></tr></thead>
<tbody>
${rows}
</tbody></table>
${notes}
<h2>${w.versionsHeading}</h2><ul id="versions">${versions}</ul>
</main></body></html>
`;
}

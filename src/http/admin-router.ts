import { timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Config } from '../platform/config';
import { BadRequestError, NotFoundError, UnauthorizedError } from '../platform/errors';
import type { Clock, PolicyReport, Reports } from '../ports';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function day(value: unknown, name: string, fallback: Date): Date {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !DAY.test(value) || Number.isNaN(Date.parse(value)))
    throw new BadRequestError(`${name} must be a date YYYY-MM-DD`);
  return new Date(`${value}T00:00:00Z`);
}

/** One CSV field, quoted when it needs to be (and never read as a formula by a spreadsheet). */
function csvField(v: unknown): string {
  let s = v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  if (/^[=+\-@]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csv(header: string[], rows: unknown[][]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

function reportCsv(rows: PolicyReport[]): string {
  return csv(
    [
      'policy',
      'decisions',
      'criteria-met',
      'criteria-not-met',
      'documentation-needed',
      'error',
      'under_5s',
      'with_feedback',
      'accepted',
      'overridden',
      'top_override_reasons',
    ],
    rows.map((r) => [
      r.policy,
      r.decisions,
      r.outcomes['criteria-met'],
      r.outcomes['criteria-not-met'],
      r.outcomes['documentation-needed'],
      r.outcomes.error,
      r.under5s.toFixed(4),
      r.withFeedback,
      r.accepted,
      r.overridden,
      r.overrideReasons.map((o) => `${o.code} (${o.count})`).join('; '),
    ]),
  );
}

function trailCsv(trail: Awaited<ReturnType<Reports['trail']>>): string {
  const header =
    'decided_at card hook policy policy_version outcome order coverage_assertion_id latency_ms feedback';
  return csv(
    header.split(' '),
    trail.map((d) => [
      d.decidedAt,
      d.card,
      d.hook,
      d.policy,
      d.policyVersion,
      d.outcome,
      d.order,
      d.coverageAssertionId,
      d.latencyMs,
      d.feedback
        .map(
          (f) =>
            f.outcome +
            (f.overrideReason?.reason?.code ? ` (${f.overrideReason.reason.code})` : ''),
        )
        .join('; '),
    ]),
  );
}

/**
 * The payer's reports (ADMIN_TOKEN): per policy and period, decisions by outcome, the share
 * answered under 5 s, acceptance and overrides with their reasons; and the decision trail of one
 * order or coverage-assertion-id. JSON, or CSV with `format=csv`. Off without ADMIN_TOKEN.
 */
export function adminRouter(deps: {
  reports?: Reports;
  config: Readonly<Config>;
  now: Clock;
}): express.Router {
  const router = express.Router();
  const token = deps.config.adminToken;
  const authorize = (req: Request, _res: Response, next: NextFunction) => {
    if (!token || !deps.reports)
      return next(
        new NotFoundError('reports are off: set ADMIN_TOKEN (and keep state in the database)'),
      );
    const given = Buffer.from(/^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1] ?? '');
    const wanted = Buffer.from(token);
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted))
      return next(new UnauthorizedError('admin token missing or wrong'));
    next();
  };
  router.get('/admin/reports', authorize, async (req: Request, res: Response) => {
    const now = deps.now();
    const to = day(req.query.to, 'to', new Date(now.getTime() + 86_400_000));
    const from = day(req.query.from, 'from', new Date(to.getTime() - 31 * 86_400_000));
    if (from >= to) throw new BadRequestError('from must be before to');
    const rows = await deps.reports!.byPolicy(from, to);
    if (req.query.format === 'csv') res.type('text/csv; charset=utf-8').send(reportCsv(rows));
    else res.json({ from: from.toISOString(), to: to.toISOString(), policies: rows });
  });
  router.get('/admin/trail', authorize, async (req: Request, res: Response) => {
    const order = typeof req.query.order === 'string' ? req.query.order : undefined;
    const assertion = typeof req.query.assertion === 'string' ? req.query.assertion : undefined;
    if (!order === !assertion)
      throw new BadRequestError(
        'give one of order (MedicationRequest/<id>) or assertion (a coverage-assertion-id)',
      );
    const trail = await deps.reports!.trail({
      ...(order ? { order } : {}),
      ...(assertion ? { coverageAssertionId: assertion } : {}),
    });
    if (req.query.format === 'csv') res.type('text/csv; charset=utf-8').send(trailCsv(trail));
    else res.json({ decisions: trail });
  });
  return router;
}

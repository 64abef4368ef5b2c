/** The benchmark's targets (issue 12) and its table. */

export const TARGETS = {
  p50c1: 5,
  p99c1: 15,
  rpsC16: 300,
  p99c16: 100,
  /** c=1 p50 on the ~1,000-resource record. */
  p50c1Large: 20,
  coldStartMs: 1500,
  rssMb: 300,
};

export interface Row {
  policy: string;
  size: number;
  resources: number;
  mode: 'prefetch' | 'fhir';
  c1: { p50: number; p99: number; rps: number };
  c16: { p50: number; p99: number; rps: number };
  errors: number;
  inProcessP50?: number;
}

/** Whether a prefetch row meets its targets ("" for FHIR-fallback rows, which have none). */
function verdict(x: Row): string {
  if (x.mode !== 'prefetch') return '';
  const ok =
    x.size >= 1000
      ? x.c1.p50 <= TARGETS.p50c1Large && x.errors === 0
      : x.c1.p50 <= TARGETS.p50c1 &&
        x.c1.p99 <= TARGETS.p99c1 &&
        x.c16.rps >= TARGETS.rpsC16 &&
        x.c16.p99 <= TARGETS.p99c16 &&
        x.errors === 0;
  return ok ? 'met' : 'MISSED';
}

export function markdown(r: {
  machine: string;
  durationSeconds: number;
  readyMs: number;
  coldStartMs: number;
  peakRssMb: number;
  /** The very first start, on an empty data directory (the embedded database is created). */
  firstStart?: { readyMs: number; coldStartMs: number; peakRssMb: number; rssMb: number };
  rows: Row[];
}): string {
  const lines = [
    `Machine: ${r.machine}; ${r.durationSeconds} s per measurement; the service as \`npm start\` runs it, default configuration.`,
    '',
    `Cold start: process start → ready **${r.readyMs} ms**, → first answered order-sign **${r.coldStartMs} ms** (target ≤ ${TARGETS.coldStartMs}); peak RSS: **${r.peakRssMb} MB** (target ≤ ${TARGETS.rssMb}).`,
    ...(r.firstStart
      ? [
          '',
          `First start on an empty data directory (the embedded database is created, once): → ready **${r.firstStart.readyMs} ms**, → first answer **${r.firstStart.coldStartMs} ms**, peak RSS **${r.firstStart.peakRssMb} MB**, RSS after its first answer **${r.firstStart.rssMb} MB**. The figures above are of the next start, on that directory.`,
        ]
      : []),
    '',
    '| Policy | Resources | Data | c=1 p50 ms | c=1 p99 ms | c=16 req/s | c=16 p99 ms | in-process p50 ms | errors | targets |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...r.rows.map(
      (x) =>
        `| ${x.policy} | ${x.resources} | ${x.mode} | ${x.c1.p50} | ${x.c1.p99} | ${x.c16.rps} | ${x.c16.p99} | ${x.inProcessP50 ?? ''} | ${x.errors} | ${verdict(x)} |`,
    ),
    '',
    `Targets (prefetch): ~200 resources: c=1 p50 ≤ ${TARGETS.p50c1} ms, p99 ≤ ${TARGETS.p99c1} ms; c=16 ≥ ${TARGETS.rpsC16} req/s with p99 ≤ ${TARGETS.p99c16} ms; ~1,000 resources: c=1 p50 ≤ ${TARGETS.p50c1Large} ms; zero errors (a 429 or 503 is an error).`,
    '',
  ];
  return lines.join('\n');
}

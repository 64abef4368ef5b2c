import {
  dayNumber,
  walkLines,
  type Exposure,
} from '../../../../src/engine/derive/lines-of-therapy';
import type { LinesConfig } from '../../../../src/engine/derive/types';

/** Data rule v2 (7): the line-of-therapy walk, unit by unit, with its boundaries on both sides. */
const CONFIG: LinesConfig = { agents: [], windowDays: 28, gapDays: 90 };
const D0 = dayNumber('2021-01-04');

/** An exposure `day` days after D0. */
function x(day: number, agents: string[], groupId: string | null = null, ref?: string): Exposure {
  return {
    ref: ref ?? `MedicationRequest/${agents.join('-')}-${day}`,
    day: D0 + day,
    agents,
    groupId,
  };
}

function regimens(exposures: Exposure[]): string[][] {
  return walkLines(
    [...exposures].sort((a, b) => a.day - b.day),
    CONFIG,
  ).map((l) => [...l.regimen].sort());
}

describe('lines of therapy (data rule v2, 7)', () => {
  it('one regimen with repeat cycles is one line', () => {
    const cycles = [0, 28, 56, 84].flatMap((d) => [x(d, ['bortezomib']), x(d, ['lenalidomide'])]);
    expect(regimens(cycles)).toEqual([['bortezomib', 'lenalidomide']]);
  });

  it('a new agent on day 28 of the line joins it; on day 29 it starts a new line', () => {
    expect(regimens([x(0, ['bortezomib']), x(28, ['lenalidomide'])])).toEqual([
      ['bortezomib', 'lenalidomide'],
    ]);
    expect(regimens([x(0, ['bortezomib']), x(29, ['lenalidomide'])])).toHaveLength(2);
  });

  it('a gap of 90 days keeps the line; 91 days starts a new line with the same agents', () => {
    expect(regimens([x(0, ['daratumumab']), x(90, ['daratumumab'])])).toHaveLength(1);
    expect(regimens([x(0, ['daratumumab']), x(91, ['daratumumab'])])).toHaveLength(2);
  });

  it('the gap is measured from the latest record, not from the line start', () => {
    const monthly = [0, 30, 60, 90, 120, 150].map((d) => x(d, ['lenalidomide']));
    expect(regimens([...monthly, x(240, ['lenalidomide'])])).toHaveLength(1);
    expect(regimens([...monthly, x(241, ['lenalidomide'])])).toHaveLength(2);
  });

  it('lenalidomide continued into the next regimen is carried, not a new line per cycle', () => {
    // VRd, lenalidomide maintenance, then Kd while lenalidomide continues: two lines, not four.
    const vrd = [0, 21, 42].flatMap((d) => [x(d, ['bortezomib']), x(d, ['lenalidomide'])]);
    const maintenance = [70, 100, 130, 160].map((d) => x(d, ['lenalidomide']));
    const kd = [x(180, ['carfilzomib']), x(190, ['lenalidomide']), x(220, ['lenalidomide'])];
    const lines = walkLines([...vrd, ...maintenance, ...kd], CONFIG);
    expect(lines.map((l) => [...l.regimen].sort())).toEqual([
      ['bortezomib', 'lenalidomide'],
      ['carfilzomib', 'lenalidomide'],
    ]);
  });

  it('carried agents need a record within the 28 days before the new line (inclusive)', () => {
    const base = [x(0, ['bortezomib', 'lenalidomide'])];
    const at28 = walkLines([...base, x(40, ['lenalidomide']), x(68, ['carfilzomib'])], CONFIG);
    expect([...(at28[1]?.regimen ?? [])].sort()).toEqual(['carfilzomib', 'lenalidomide']);
    const at29 = walkLines([...base, x(40, ['lenalidomide']), x(69, ['carfilzomib'])], CONFIG);
    expect([...(at29[1]?.regimen ?? [])]).toEqual(['carfilzomib']);
  });

  it('an order set (groupIdentifier) and later single cycles of the same agents are one line', () => {
    const cycle1 = [x(0, ['daratumumab'], 'set-1'), x(0, ['pomalidomide'], 'set-1')];
    const later = [28, 56, 84].flatMap((d) => [x(d, ['daratumumab']), x(d, ['pomalidomide'])]);
    expect(regimens([...cycle1, ...later])).toEqual([['daratumumab', 'pomalidomide']]);
  });

  it('two groupIdentifiers with the same agents inside the window are one line', () => {
    expect(
      regimens([
        x(0, ['carfilzomib'], 'a'),
        x(0, ['pomalidomide'], 'a'),
        x(28, ['carfilzomib'], 'b'),
      ]),
    ).toHaveLength(1);
  });

  it('a group is one unit at its earliest record, whatever its later records', () => {
    // The group starts with bortezomib on day 0 and adds lenalidomide on day 40: one unit, one line.
    expect(regimens([x(0, ['bortezomib'], 'g'), x(40, ['lenalidomide'], 'g')])).toEqual([
      ['bortezomib', 'lenalidomide'],
    ]);
  });

  it('a unit whose agents are all in the regimen continues the line after the window', () => {
    const lines = walkLines(
      [
        x(0, ['carfilzomib']),
        x(10, ['pomalidomide']),
        x(60, ['carfilzomib', 'pomalidomide'], 'c3'),
      ],
      CONFIG,
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]?.records).toHaveLength(3);
  });

  it('a unit with one agent outside the regimen after the window starts a new line', () => {
    expect(regimens([x(0, ['carfilzomib']), x(60, ['carfilzomib', 'daratumumab'], 'g')])).toEqual([
      ['carfilzomib'],
      ['carfilzomib', 'daratumumab'],
    ]);
  });

  it('four regimens over six years are four lines', () => {
    const history = [
      ...[0, 21, 42, 63].flatMap((d) => [x(d, ['bortezomib']), x(d, ['lenalidomide'])]),
      ...[100, 130, 160, 190, 220].map((d) => x(d, ['lenalidomide'])),
      ...[700, 728].flatMap((d) => [x(d, ['carfilzomib'])]),
      ...[1100, 1128].flatMap((d) => [x(d, ['daratumumab']), x(d, ['pomalidomide'])]),
      ...[1600, 1628].flatMap((d) => [x(d, ['daratumumab']), x(d, ['bortezomib'])]),
    ];
    expect(regimens(history)).toEqual([
      ['bortezomib', 'lenalidomide'],
      ['carfilzomib'],
      ['daratumumab', 'pomalidomide'],
      ['bortezomib', 'daratumumab'],
    ]);
  });
});

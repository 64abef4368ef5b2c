import type { RegimenReading } from './types';
import { escapeRegExp, joinQuotes, splitClauses } from './clauses';

/*
 * Whether a text states that a named regimen is used (data rules v2, rule 11). A clause that names
 * the regimen affirms it ("Interfant-06 regimen", "per Interfant protocol", "treated on
 * Interfant") unless it declines, stops, weighs or questions it ("declined", "not eligible for",
 * "instead of", "off", "considering", "vs.", "?", "discontinued"). One negated clause makes the
 * whole text 'negated': a text that contradicts itself is not a statement that the regimen is used.
 */

const cache = new Map<string, RegExp>();
/** Regimen lists are few (one per topic of a policy); the bound only guards against misuse. */
const MAX_CACHED = 256;

/** A name with its version ("Interfant-06", "Interfant 99", "Interfant2006"). */
function compile(names: string[]): RegExp | undefined {
  const key = names.join('\u0000');
  const hit = cache.get(key);
  if (hit) return hit;
  const given = names.map((n) => n.trim()).filter((n) => n !== '');
  if (given.length === 0) return undefined;
  const alt = given
    .sort((a, b) => b.length - a.length)
    .map((n) => escapeRegExp(n).replace(/\s+/g, '\\s+'))
    .join('|');
  const re = new RegExp(`(?<![A-Za-z0-9])(?:${alt})(?:[-\\s]?\\d{2,4})?(?![A-Za-z0-9])`, 'i');
  if (cache.size >= MAX_CACHED) cache.clear();
  cache.set(key, re);
  return re;
}

const B = '(?<![A-Za-z0-9])';
const E = '(?![A-Za-z0-9])';

/** Not used: what was done instead, what was stopped, what is only weighed or asked. */
const NOT_A_STATEMENT = new RegExp(
  `${B}(?:declin(?:e|ed|es|ing)|refus(?:e|ed|es|al)|ineligible|inappropriate|` +
    'not\\s+(?:\\w+\\s+){0,2}?(?:on|eligible|a\\s+candidate|candidate|started|start|used|use|given|' +
    'receiv\\w*|treated|enrolled|pursued|proceed\\w*|continued|initiated|planned|offered|indicated|' +
    'recommended|appropriate|suitable|an\\s+option|chosen|selected|followed)|' +
    'never|instead\\s+of|rather\\s+than|in\\s+place\\s+of|alternatives?|off(?!-)|consider\\w*|discuss\\w*|' +
    'vs|versus|compared|discontinu\\w*|stop(?:ped|ping|s)?|held|hold(?:ing)?|withdrawn|withdrew|' +
    'abandon\\w*|switch(?:ed|ing)?\\s+from|no\\s+longer|deferred|defer|possib\\w*|potential\\w*|' +
    // "may" only as a verb: "May 2024" is a month.
    'may(?:\\s+not)?\\s+(?:be|benefit|consider|need|require|receive|start|proceed|use|qualify|continue)|' +
    'might|could|would|should|options?|eligib\\w*|candidate|if|whether|unless|pending|' +
    `awaiting|tbd|undecided)${E}|\\?`,
  'i',
);

/** Right before the name: "no Interfant", "non-Interfant", "without Interfant". */
const NEGATED_BEFORE = /(?<![A-Za-z0-9])(?:no|non|not|without|off)[\s-]*$/i;
const LOOK_BACK = 20;

function negated(clause: string, name: RegExp): boolean {
  if (NOT_A_STATEMENT.test(clause)) return true;
  const at = name.exec(clause);
  if (!at) return false;
  return NEGATED_BEFORE.test(clause.slice(Math.max(0, at.index - LOOK_BACK), at.index));
}

/** Whether the text affirmatively states that one of the named regimens is used. undefined = not mentioned. */
export function readRegimen(text: string, names: string[]): RegimenReading | undefined {
  const name = compile(names);
  if (!name || !name.test(text)) return undefined;
  const named = splitClauses(text).filter((c) => name.test(c));
  if (named.length === 0) return undefined;
  const call = named.some((c) => negated(c, name)) ? 'negated' : 'affirmed';
  return { call, quote: joinQuotes(named) };
}

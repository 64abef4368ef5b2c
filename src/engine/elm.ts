import fs from 'node:fs';
import path from 'node:path';
import { ContentError } from '../platform/errors';
import { readJsonFile } from '../platform/json-file';
import type { ValueSetEntry } from './terminology';

/* eslint-disable @typescript-eslint/no-explicit-any -- ELM JSON is walked generically */

/** One compiled library as read from cql/elm. */
export interface ElmLibrary {
  file: string;
  json: any;
}

/** A definition of a library and its result type. */
export interface ElmDefinition {
  name: string;
  resultTypeName?: string;
}

/** ELM of every library in a folder, keyed by library name. */
export function loadElm(elmDir: string): Map<string, ElmLibrary> {
  const out = new Map<string, ElmLibrary>();
  for (const f of fs.readdirSync(elmDir).filter((x) => x.endsWith('.json'))) {
    const file = path.join(elmDir, f);
    const json = readJsonFile(file, (at, message) => new ContentError(at, message)) as any;
    const id = json?.library?.identifier?.id;
    if (typeof id !== 'string') throw new ContentError(file, 'not an ELM library');
    out.set(id, { file, json });
  }
  return out;
}

/** Every value set a library references must be loaded. */
export function checkValueSetsPresent(
  elm: Map<string, ElmLibrary>,
  byUrl: Map<string, ValueSetEntry>,
): void {
  for (const lib of elm.values()) {
    for (const ref of lib.json.library.valueSets?.def ?? []) {
      if (!byUrl.has(ref.id))
        throw new ContentError(
          lib.file,
          `value set ${ref.id} ("${ref.name}") is not in cql/valuesets`,
        );
    }
  }
}

/** A library and every library it includes, transitively, each once. */
export function withIncludes(root: ElmLibrary, elm: Map<string, ElmLibrary>): ElmLibrary[] {
  const out: ElmLibrary[] = [];
  const visit = (lib: ElmLibrary) => {
    if (out.includes(lib)) return;
    out.push(lib);
    for (const inc of lib.json.library.includes?.def ?? []) {
      const l = elm.get(inc.path);
      if (l) visit(l);
    }
  };
  visit(root);
  return out;
}

/** The codes a retrieve's `codes` expression names, or null when it cannot be known statically. */
function codesOf(
  expr: any,
  lib: ElmLibrary,
  elm: Map<string, ElmLibrary>,
  valueSets: Map<string, ValueSetEntry>,
): Set<string> | null {
  if (!expr) return null;
  const includes = new Map<string, string>(
    (lib.json.library.includes?.def ?? []).map((d: any) => [d.localIdentifier, d.path]),
  );
  const owner = expr.libraryName ? elm.get(includes.get(expr.libraryName) ?? '') : lib;
  if (expr.type === 'ValueSetRef') {
    const def = owner?.json.library.valueSets?.def?.find((d: any) => d.name === expr.name);
    const vs = def ? valueSets.get(def.id) : undefined;
    return vs ? new Set(vs.codes.map((c) => `${c.system}|${c.code}`)) : null;
  }
  if (expr.type === 'CodeRef') {
    const def = owner?.json.library.codes?.def?.find((d: any) => d.name === expr.name);
    const cs = def
      ? owner?.json.library.codeSystems?.def?.find((d: any) => d.name === def.codeSystem?.name)
      : undefined;
    return def && cs ? new Set([`${cs.id}|${def.id}`]) : null;
  }
  if (expr.type === 'ToList') return codesOf(expr.operand, lib, elm, valueSets);
  if (expr.type === 'List' && Array.isArray(expr.element)) {
    const all = new Set<string>();
    for (const e of expr.element) {
      const c = codesOf(e, lib, elm, valueSets);
      if (!c) return null;
      c.forEach((x) => all.add(x));
    }
    return all;
  }
  return null;
}

/**
 * What a library can retrieve, over its statements and those of its includes: resource type →
 * the codes its retrieves filter on ("system|code"), or null when some retrieve of that type
 * takes every resource. Types it never retrieves are absent.
 */
export function retrievableOf(
  root: ElmLibrary,
  elm: Map<string, ElmLibrary>,
  valueSets: Map<string, ValueSetEntry>,
): Map<string, Set<string> | null> {
  const out = new Map<string, Set<string> | null>();
  for (const lib of withIncludes(root, elm)) {
    const walk = (n: any) => {
      if (Array.isArray(n)) n.forEach(walk);
      else if (n && typeof n === 'object') {
        if (n.type === 'Retrieve' && typeof n.dataType === 'string') {
          const type = n.dataType.replace(/^\{[^}]*\}/, '');
          const codes =
            (n.codeProperty ?? 'code') === 'code' ? codesOf(n.codes, lib, elm, valueSets) : null;
          const known = out.get(type);
          if (!out.has(type)) out.set(type, codes);
          else if (known === null || codes === null) out.set(type, null);
          else codes.forEach((c) => known?.add(c));
        }
        for (const v of Object.values(n)) if (v && typeof v === 'object') walk(v);
      }
    };
    walk(lib.json.library.statements);
  }
  return out;
}

/** Every code of every value set the library and its includes reference. */
export function valueSetCodesOf(
  root: ElmLibrary,
  elm: Map<string, ElmLibrary>,
  valueSets: Map<string, ValueSetEntry>,
): Set<string> {
  const out = new Set<string>();
  for (const lib of withIncludes(root, elm)) {
    for (const def of lib.json.library.valueSets?.def ?? [])
      for (const c of valueSets.get(def.id)?.codes ?? []) out.add(`${c.system}|${c.code}`);
  }
  return out;
}

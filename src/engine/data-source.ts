import { Code, DateTime, Interval } from 'cql-execution';
import {
  choiceProperty,
  SYSTEM_URL,
  toSystem,
  type ClassInfo,
  type ModelInfo,
  type Resolved,
  type TypeSpec,
} from './fhir-types';

export type { ModelInfo } from './fhir-types';

/*
 * A FHIR R4 data source for cql-execution, written for speed, with the same interface and
 * semantics as cql-exec-fhir's (whose parsed model info it uses):
 *  - element accessors live on one prototype per FHIR class (built once), not on each object;
 *  - a value is read from the JSON only when the CQL asks for it, and kept;
 *  - each retrieve wraps a resource type once per evaluation;
 *  - a contained resource or Bundle entry is typed by its resourceType (so `is FHIR.Medication` works);
 *  - JSON of an unexpected shape (an object where FHIR has a list) reads as a one-item list.
 */

const ABSTRACT = new Set(['Resource', 'DomainResource', 'FHIR.Resource', 'FHIR.DomainResource']);
const MEMO = Symbol('memo');

/** Everything derived from the model info, computed once per class or element and shared. */
export class Model {
  private readonly classes = new Map<string, ClassInfo | undefined>();
  private readonly resolved = new Map<ClassInfo, Map<string, Resolved | null>>();
  private readonly primitive = new Map<TypeSpec, boolean>();
  private readonly protos = new Map<ClassInfo, object>();
  private readonly hierarchy = new Map<ClassInfo, { name: string; type: string }[]>();

  constructor(readonly info: ModelInfo) {}

  findClass(name: string): ClassInfo | undefined {
    if (!this.classes.has(name)) this.classes.set(name, this.info.findClass(name));
    return this.classes.get(name);
  }

  resolve(cls: ClassInfo, root: string): Resolved | null {
    let byName = this.resolved.get(cls);
    if (!byName) this.resolved.set(cls, (byName = new Map()));
    let r = byName.get(root);
    if (r === undefined) {
      const element = cls.findElement(root, true);
      if (!element) r = null;
      else if (root !== element.name && element.typeSpecifier.isChoice) {
        const spec = element.typeSpecifier.choices?.find(
          (c) => choiceProperty(element, c) === root,
        );
        r = spec ? { property: root, element, spec } : null;
      } else if (element.typeSpecifier.isChoice) {
        r = { property: null, element, spec: element.typeSpecifier };
      } else {
        r = { property: element.name, element, spec: element.typeSpecifier };
      }
      byName.set(root, r);
    }
    return r;
  }

  isPrimitive(spec: TypeSpec): boolean {
    let v = this.primitive.get(spec);
    if (v === undefined) {
      if (spec.isNamed) {
        if (spec.namespace === 'FHIR' && spec.name[0] === spec.name[0]?.toLowerCase()) v = true;
        else {
          const info = spec.fqn ? this.findClass(spec.fqn) : undefined;
          v = !!(
            info &&
            info.baseTypeSpecifier?.fqn === 'FHIR.Element' &&
            info.elements.length === 1 &&
            info.findElement('value')?.typeSpecifier.fqn === 'System.String'
          );
        }
      } else if (spec.isList && spec.elementType) v = this.isPrimitive(spec.elementType);
      else v = false;
      this.primitive.set(spec, v);
    }
    return v;
  }

  /** The prototype for objects of one class: its element accessors, shared by every instance. */
  proto(cls: ClassInfo): object {
    let p = this.protos.get(cls);
    if (!p) {
      p = Object.create(FhirNode.prototype) as object;
      const names = new Set<string>();
      for (
        let c: ClassInfo | undefined = cls;
        c;
        c = c.baseTypeSpecifier?.fqn ? this.findClass(c.baseTypeSpecifier.fqn) : undefined
      ) {
        for (const e of c.elements) names.add(e.name);
      }
      for (const name of names) {
        if (name in FhirNode.prototype) continue;
        Object.defineProperty(p, name, {
          get(this: FhirNode) {
            return this.get(name);
          },
          enumerable: true,
          configurable: false,
        });
      }
      this.protos.set(cls, p);
    }
    return p;
  }

  typeHierarchy(cls: ClassInfo): { name: string; type: string }[] {
    let h = this.hierarchy.get(cls);
    if (!h) {
      h = [cls, ...cls.parentClasses()].map((c) => {
        let ns = c.namespace;
        if (ns === c.modelInfo.name) ns = c.modelInfo.url;
        else if (ns === 'System') ns = SYSTEM_URL;
        const name = c.name.startsWith(`${c.modelInfo.name}.`)
          ? c.name.slice(c.modelInfo.name.length + 1)
          : c.name;
        return { name: `{${ns}}${name}`, type: 'NamedTypeSpecifier' };
      });
      h.push({ name: `{${SYSTEM_URL}}Any`, type: 'NamedTypeSpecifier' });
      this.hierarchy.set(cls, h);
    }
    return h;
  }

  node(json: object, cls: ClassInfo): FhirNode {
    let actual = cls;
    if (ABSTRACT.has(cls.name)) {
      const rt = (json as { resourceType?: unknown }).resourceType;
      const found = typeof rt === 'string' ? this.findClass(`FHIR.${rt}`) : undefined;
      if (found) actual = found;
    }
    const n = Object.create(this.proto(actual)) as FhirNode;
    n._json = json;
    n._typeInfo = actual;
    n._model = this;
    return n;
  }

  /** JSON → CQL value for an element's type (named, list or interval). */
  wrap(data: unknown, spec: TypeSpec, suffix?: string): unknown {
    if (data == null) return data;
    if (spec.isNamed) {
      if (typeof data !== 'object') return undefined;
      const cls = spec.fqn ? this.findClass(spec.fqn) : undefined;
      if (!cls) return undefined;
      const n = this.node(data, cls);
      return suffix != null ? n.get(suffix) : n;
    }
    if (spec.isList && spec.elementType) {
      if (suffix != null) return undefined;
      const items = Array.isArray(data) ? data : [data];
      return items.map((item) => this.wrap(item, spec.elementType as TypeSpec));
    }
    if (spec.isInterval && spec.pointType) {
      const d = data as {
        low?: unknown;
        high?: unknown;
        lowClosed?: boolean;
        highClosed?: boolean;
      };
      return new Interval(
        this.wrap(d.low, spec.pointType),
        this.wrap(d.high, spec.pointType),
        d.lowClosed,
        d.highClosed,
      );
    }
    return undefined;
  }

  /** A property's JSON, merging a primitive's value with its `_property` (id, extensions). */
  read(json: Record<string, unknown>, property: string, spec: TypeSpec): unknown {
    const value = json[property];
    const extra = json[`_${property}`];
    if (value == null && extra == null) return value;
    if (!this.isPrimitive(spec)) return value;
    const values = spec.isList && Array.isArray(value) ? value : [value];
    const extras = spec.isList && Array.isArray(extra) ? extra : [extra];
    const n = Math.max(values.length, extras.length);
    const out: unknown[] = [];
    for (let i = 0; i < n; i++) {
      const v = values[i];
      const x = extras[i];
      if (v == null && x == null) out.push(v);
      else
        out.push({
          ...(v !== undefined ? { value: v } : {}),
          ...(x != null && typeof x === 'object' ? x : {}),
        });
    }
    return spec.isList ? out : out[0];
  }
}

/** One FHIR value (resource, datatype, primitive) as cql-execution sees it. */
export class FhirNode {
  declare _json: object;
  declare _typeInfo: ClassInfo;
  declare _model: Model;
  declare [MEMO]?: Map<string, unknown>;

  get(field: string): unknown {
    let memo = this[MEMO];
    if (memo === undefined) {
      memo = new Map();
      Object.defineProperty(this, MEMO, { value: memo, enumerable: false });
    } else if (memo.has(field)) {
      return memo.get(field);
    }
    const value = this.read(field);
    memo.set(field, value);
    return value;
  }

  private read(field: string): unknown {
    const dot = field.indexOf('.');
    const root = dot < 0 ? field : field.slice(0, dot);
    const suffix = dot < 0 ? undefined : field.slice(dot + 1);
    const model = this._model;
    const r = model.resolve(this._typeInfo, root);
    if (!r) return undefined;
    const json = this._json as Record<string, unknown>;
    let property = r.property;
    let spec = r.spec;
    if (property === null) {
      property = r.element.name;
      for (const choice of r.spec.choices ?? []) {
        if (!choice.isNamed) continue;
        const p = choiceProperty(r.element, choice);
        if (json[p] != null || json[`_${p}`] != null) {
          property = p;
          spec = choice;
          break;
        }
      }
      if (spec === r.spec) return undefined;
    }
    if (spec.namespace === 'System')
      return suffix != null ? undefined : toSystem(json[property], spec.name);
    const data = model.read(json, property, spec);
    if (data == null) return data;
    return model.wrap(data, spec, suffix);
  }

  getTypeInfo(): ClassInfo {
    return this._typeInfo;
  }

  getId(): unknown {
    return (this._json as { id?: unknown }).id;
  }

  getCode(field: string): unknown {
    const v = this.get(field);
    return v instanceof Code ? v : toCode(v);
  }

  getDate(field: string): unknown {
    const v = this.get(field) as { isDateTime?: boolean; value?: unknown } | undefined;
    return v && !(v instanceof DateTime) && v.value ? v.value : v;
  }

  getInterval(field: string): unknown {
    const v = this.get(field) as { value?: unknown } | undefined;
    return v && !(v instanceof Interval) && v.value ? v.value : v;
  }

  getDateOrInterval(field: string): unknown {
    const v = this.get(field) as { value?: unknown } | undefined;
    return v && !(v instanceof DateTime) && !(v instanceof Interval) && v.value ? v.value : v;
  }

  _typeHierarchy(): { name: string; type: string }[] {
    return this._model.typeHierarchy(this._typeInfo);
  }

  _is(spec: { name: string; type: string }): boolean {
    return this._typeHierarchy().some((t) => t.type === spec.type && t.name === spec.name);
  }
}

/** FHIR CodeableConcept, Coding or code → CQL Code(s). */
function toCode(f: unknown): unknown {
  if (f == null) return f;
  if (Array.isArray(f)) return f.map(toCode);
  if (!(f instanceof FhirNode)) return undefined;
  const type = f.getTypeInfo().name.replace(/^FHIR\./, '');
  if (type === 'CodeableConcept') {
    const codings = f.get('coding') as unknown[] | null | undefined;
    if (codings == null) return codings;
    const codes = codings.map(toCode);
    return codes.length === 1 ? codes[0] : codes;
  }
  if (type === 'Coding') {
    const v = (k: string) =>
      (f.get(k) as { get?(x: string): unknown } | null | undefined)?.get?.('value');
    return new Code(
      v('code') as string,
      v('system') as string,
      v('version') as string,
      v('display') as string,
    );
  }
  if (type === 'code') return f.get('value');
  return undefined;
}

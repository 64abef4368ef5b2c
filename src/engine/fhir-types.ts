import { parseDateTime } from './cql-engine';

/* The FHIR model info as cql-exec-fhir parses it, and FHIR primitives as CQL System values. */

/* The parts of cql-exec-fhir's model info we use. */
export interface TypeSpec {
  isNamed?: boolean;
  isList?: boolean;
  isChoice?: boolean;
  isInterval?: boolean;
  namespace?: string;
  name: string;
  fqn?: string;
  elementType?: TypeSpec;
  pointType?: TypeSpec;
  choices?: TypeSpec[];
}
export interface ClassElement {
  name: string;
  typeSpecifier: TypeSpec;
}
export interface ClassInfo {
  name: string;
  namespace?: string;
  elements: ClassElement[];
  baseTypeSpecifier?: TypeSpec;
  findElement(name: string, allowExplicitChoice?: boolean): ClassElement | undefined;
  parentClasses(): ClassInfo[];
  modelInfo: { name: string; url: string };
}
export interface ModelInfo {
  findClass(name: string): ClassInfo | undefined;
  patientClassName?: string;
}

export interface Resolved {
  /** The JSON property read (e.g. "valueQuantity"), or null when the choice is picked per value. */
  property: string | null;
  element: ClassElement;
  spec: TypeSpec;
}

export const SYSTEM_URL = 'urn:hl7-org:elm-types:r1';

export function choiceProperty(element: ClassElement, choice: TypeSpec): string {
  const n = choice.name === 'SimpleQuantity' ? 'Quantity' : choice.name;
  return `${element.name}${n[0]?.toUpperCase() ?? ''}${n.slice(1)}`;
}

/* A record repeats the same few dates: parsed values are kept (bounded) and shared read-only. */
const parsedDates = new Map<string, unknown>();
function cachedDateTime(text: string): unknown {
  let v = parsedDates.get(text);
  if (v === undefined) {
    v = parseDateTime(text);
    if (parsedDates.size > 50_000) parsedDates.clear();
    parsedDates.set(text, v);
  }
  return v ?? undefined;
}

export function toSystem(data: unknown, name: string): unknown {
  if (data == null) return data;
  switch (name) {
    case 'Boolean':
    case 'Integer':
    case 'String':
    case 'Decimal':
      return data;
    case 'DateTime':
      return typeof data === 'string' ? cachedDateTime(data) : undefined;
    case 'Date': {
      if (typeof data !== 'string') return undefined;
      const d = parseDateTime(data);
      return d != null ? d.getDate() : undefined;
    }
    case 'Time': {
      if (typeof data !== 'string') return undefined;
      const t = parseDateTime(`0000-01-01T${data}`);
      if (t) (t as unknown as { timezoneOffset: unknown }).timezoneOffset = null;
      return t;
    }
    default:
      return undefined;
  }
}

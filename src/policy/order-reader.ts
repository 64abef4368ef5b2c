import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4';
import type { Coding, MedicationRequest } from 'fhir/r4';
import { ContentError } from '../platform/errors';

/** What a policy reads from the draft order, as FHIRPath (R4) in its definition in cards/. */
export interface OrderPaths {
  /** Codings that name the ordered drug (trigger codes are matched against them). */
  medicationCodes: string;
  /** Named text fields for card placeholders, e.g. { "drugName": "...", "dose": "..." }. */
  fields: Record<string, string>;
}

export interface OrderReader {
  medicationCodes(order: MedicationRequest): Coding[];
  /** Every field, as text (several values joined by "; "), or "" when the order has none. */
  fields(order: MedicationRequest): Record<string, string>;
}

type Compiled = (resource: unknown) => unknown[];

function compile(file: string, where: string, expression: unknown): Compiled {
  if (typeof expression !== 'string' || expression.trim() === '')
    throw new ContentError(file, `${where} must be a FHIRPath expression`);
  try {
    const fn = fhirpath.compile(expression, r4 as never) as unknown as (r: unknown) => unknown[];
    return (resource) => fn(resource);
  } catch (e) {
    throw new ContentError(file, `${where} is not valid FHIRPath: ${(e as Error).message}`);
  }
}

function isCoding(v: unknown): v is Coding {
  return (
    typeof v === 'object' &&
    v !== null &&
    (typeof (v as Coding).code === 'string' || typeof (v as Coding).system === 'string')
  );
}

function text(values: unknown[]): string {
  const parts = values
    .map((v) =>
      typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
        ? String(v).trim()
        : '',
    )
    .filter((s) => s !== '');
  return [...new Set(parts)].join('; ');
}

/** Compiles a policy's order paths once, at startup; a bad expression names the file and field. */
export function compileOrderReader(file: string, paths: OrderPaths | undefined): OrderReader {
  if (!paths || typeof paths !== 'object')
    throw new ContentError(
      file,
      'field "order" is required (FHIRPath for the medication codes and card fields)',
    );
  const codes = compile(file, 'field "order.medicationCodes"', paths.medicationCodes);
  if (!paths.fields || typeof paths.fields !== 'object')
    throw new ContentError(file, 'field "order.fields" must map names to FHIRPath');
  const fields = Object.entries(paths.fields).map(([name, expr]) => {
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(name))
      throw new ContentError(file, `field "order.fields.${name}": names are letters and digits`);
    return [name, compile(file, `field "order.fields.${name}"`, expr)] as const;
  });
  const safely = (fn: Compiled, order: MedicationRequest): unknown[] => {
    try {
      return fn(order);
    } catch {
      // A draft order the expression cannot walk (odd shapes from an EHR) simply has no value.
      return [];
    }
  };
  return {
    medicationCodes: (order) => safely(codes, order).filter(isCoding),
    fields: (order) =>
      Object.fromEntries(fields.map(([name, fn]) => [name, text(safely(fn, order))])),
  };
}

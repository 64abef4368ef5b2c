import type { Bundle, MedicationRequest, Task } from 'fhir/r4';
import { z } from 'zod';
import { parseShape } from '../platform/shape';
import {
  badRequest,
  checkLimits,
  checkRequestedVersion,
  DRAFT_ORDERS,
  hookRequest,
  text,
  type RequestLimits,
} from './parse';
import type { ServiceDefinition } from './service-definition';
import type { FhirAuthorization } from './types';

/** A local reference "Type/id". */
const REFERENCE = text(200).regex(/^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}$/, {
  error: 'must be a local reference such as "MedicationRequest/123"',
});

/** A Task resource (only its type is checked: the Tasks are read, not evaluated). */
const TASK = z.looseObject(
  { resourceType: z.literal('Task', { error: 'must be a Task' }) },
  { error: 'must be a Task' },
);

const TASKS = z.union([z.array(TASK), z.looseObject({ resourceType: z.literal('Bundle') })], {
  error: 'must be an array of Task resources (or a Bundle of them)',
});

/**
 * order-dispatch context (CDS Hooks order-dispatch 1.0, as CRD 2.2 uses it): the dispatched
 * orders by reference (or, as some clients send them, a Bundle of the orders), the performer, the
 * fulfillment Tasks. The older shape (CRD 2.0.1: `order` and `task`) is read too. Unknown fields
 * are ignored (CRD hook-23).
 */
const CONTEXT = z
  .object(
    {
      patientId: text().regex(/^[A-Za-z0-9\-.]{1,64}$/, {
        error: 'must be a FHIR id (letters, digits, "-" and ".", up to 64)',
      }),
      dispatchedOrders: z
        .union([z.array(REFERENCE).min(1), DRAFT_ORDERS], {
          error: 'must be a non-empty array of order references (or a Bundle of the orders)',
        })
        .optional(),
      order: REFERENCE.optional(),
      performer: text(2048).optional(),
      fulfillmentTasks: TASKS.optional(),
      task: TASK.optional(),
      encounterId: text().nullish(),
      userId: text().nullish(),
    },
    { error: 'must be an object' },
  )
  .refine((c) => c.dispatchedOrders !== undefined || c.order !== undefined, {
    error: 'is required (the orders being dispatched)',
    path: ['dispatchedOrders'],
  })
  .refine((c) => c.performer !== undefined, {
    error: 'is required (who will perform the orders)',
    path: ['performer'],
  });

function requestSchema(service: ServiceDefinition) {
  return hookRequest(service, CONTEXT);
}

/** A validated order-dispatch request: what was dispatched, before the orders are resolved. */
export interface OrderDispatchRequest {
  hookInstance: string;
  fhirServer?: string;
  fhirAuthorization?: FhirAuthorization;
  patientId: string;
  encounterId?: string;
  /** The dispatched orders' references, in the order sent ("MedicationRequest/123"). */
  dispatched: string[];
  /** The orders themselves when the context sent them (a Bundle), by reference. */
  sent: Map<string, MedicationRequest>;
  performer: string;
  fulfillmentTasks: Task[];
  prefetch: Record<string, unknown>;
  extension?: Record<string, unknown>;
}

const schemas = new WeakMap<ServiceDefinition, ReturnType<typeof requestSchema>>();

/** Validates an order-dispatch request; anything wrong is a 400 naming the field. */
export function parseOrderDispatchRequest(
  body: unknown,
  service: ServiceDefinition,
  limits?: RequestLimits,
): OrderDispatchRequest {
  let schema = schemas.get(service);
  if (!schema) schemas.set(service, (schema = requestSchema(service)));
  const { hookInstance, fhirServer, fhirAuthorization, context, prefetch, extension } = parseShape(
    schema,
    body,
    badRequest,
  );
  const sent = new Map<string, MedicationRequest>();
  let dispatched: string[];
  const orders = context.dispatchedOrders ?? [context.order as string];
  if (Array.isArray(orders)) dispatched = orders;
  else {
    const bundle = orders as unknown as Bundle;
    dispatched = (bundle.entry ?? []).flatMap((e) => {
      const r = e.resource;
      if (!r?.id) return [];
      const ref = `${r.resourceType}/${r.id}`;
      if (r.resourceType === 'MedicationRequest') sent.set(ref, r);
      return [ref];
    });
    if (dispatched.length === 0)
      throw badRequest('context.dispatchedOrders: no order with an id in the Bundle');
  }
  checkLimits(limits, 'context.dispatchedOrders', dispatched.length, prefetch);
  checkRequestedVersion(extension);
  const tasks = context.fulfillmentTasks ?? (context.task ? [context.task] : []);
  const fulfillmentTasks = (
    Array.isArray(tasks) ? tasks : ((tasks as unknown as Bundle).entry ?? []).map((e) => e.resource)
  ).filter((t): t is Task => (t as Task | undefined)?.resourceType === 'Task');
  return {
    hookInstance,
    ...(fhirServer ? { fhirServer } : {}),
    ...(fhirAuthorization ? { fhirAuthorization } : {}),
    patientId: context.patientId,
    ...(context.encounterId ? { encounterId: context.encounterId } : {}),
    dispatched,
    sent,
    performer: context.performer as string,
    fulfillmentTasks,
    prefetch: prefetch ?? {},
    ...(extension ? { extension } : {}),
  };
}

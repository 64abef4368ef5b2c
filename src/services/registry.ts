import { discoveryEntry } from '../cds/discovery';
import type { ServiceDefinition } from '../cds/service-definition';
import type { CdsResponse } from '../cds/types';
import type { CallContext } from './order-sign';

/** A CDS service: what discovery advertises, and the handler of its calls. */
export interface CdsService {
  definition: ServiceDefinition;
  handle(body: unknown, ctx: CallContext): Promise<CdsResponse>;
}

/** The services by id; discovery is their definitions. */
export class ServiceRegistry {
  private readonly byId: Map<string, CdsService>;

  constructor(services: CdsService[]) {
    this.byId = new Map(services.map((s) => [s.definition.id, s]));
  }

  get(id: string): CdsService | undefined {
    return this.byId.get(id);
  }

  discovery(): { services: ReturnType<typeof discoveryEntry>[] } {
    return { services: [...this.byId.values()].map((s) => discoveryEntry(s.definition)) };
  }
}

import type { ServiceDefinition } from './service-definition';

/**
 * The Da Vinci CRD versions (major.minor) whose shapes this service returns: CRD 2.2.1 and 2.0.1.
 * A request that names none (davinci-crd.requestedVersion) gets the 2.0.1 shape, as before.
 */
export const CRD_VERSIONS: readonly string[] = ['2.2', '2.0'];

/**
 * max-cards' advertised default: above what one call returns with the default limits (a card per
 * draft order and policy: 20 draft orders × 2 policies), so by default no card is withheld.
 */
export const DEFAULT_MAX_CARDS = 50;

/** One service's entry in the discovery document (CDS Hooks 2.0), with the CRD options we honour. */
export function discoveryEntry(service: ServiceDefinition) {
  return {
    hook: service.hook,
    id: service.id,
    title: service.title,
    description: service.description,
    ...(service.usageRequirements ? { usageRequirements: service.usageRequirements } : {}),
    // Only what every call needs (CRD 2.2 found-27/28); the rest is queried with the token.
    prefetch: service.advertise
      ? Object.fromEntries(service.advertise.map((k) => [k, service.prefetch[k] as string]))
      : service.prefetch,
    extension: {
      // The CRD versions of the shapes this service returns (major.minor: 2.2.1 and 2.0.1).
      'davinci-crd.version': [...CRD_VERSIONS],
      // One boolean per card type returned (CRD Response Types), and a card limit.
      'davinci-crd.configuration-options': [
        {
          code: 'coverage-info',
          type: 'boolean',
          name: 'Coverage information',
          description:
            'Prior-authorization criteria cards and the coverage-information annotation of the draft order. Send false to receive neither.',
          default: true,
        },
        {
          code: 'max-cards',
          type: 'integer',
          name: 'Maximum cards',
          description:
            'The most cards returned for one call; the most severe are kept (critical, then warning, then info).',
          default: DEFAULT_MAX_CARDS,
        },
      ],
    },
  };
}

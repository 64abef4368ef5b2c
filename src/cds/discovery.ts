import type { ServiceDefinition } from './service-definition';

/** One service's entry in the discovery document (CDS Hooks 2.0), with the CRD options we honour. */
export function discoveryEntry(service: ServiceDefinition) {
  return {
    hook: service.hook,
    id: service.id,
    title: service.title,
    description: service.description,
    ...(service.usageRequirements ? { usageRequirements: service.usageRequirements } : {}),
    prefetch: service.prefetch,
    extension: {
      'davinci-crd.configuration-options': [
        {
          code: 'coverage',
          type: 'boolean',
          name: 'Coverage information',
          description:
            'Annotate the draft order with coverage-information (a system action). Send false to turn it off.',
          default: true,
        },
      ],
    },
  };
}

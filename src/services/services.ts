import { orderSelectService } from '../cds/service-definition';
import type { Content } from './content';
import { handleOrderSign, type OrderSignDeps } from './order-sign';
import type { CdsService } from './registry';

/**
 * The CDS services of the content: order-sign, and its order-select sibling when
 * cards/service.json names one (the same steps on the selected draft orders, cards only).
 */
export function orderServices(content: Content, deps: OrderSignDeps): CdsService[] {
  const select = orderSelectService(content.service);
  const selectDeps = select ? { ...deps, service: select } : undefined;
  return [
    { definition: content.service, handle: (body, ctx) => handleOrderSign(deps, body, ctx) },
    ...(select && selectDeps
      ? [
          {
            definition: select,
            handle: (body: unknown, ctx: Parameters<CdsService['handle']>[1]) =>
              handleOrderSign(selectDeps, body, ctx),
          },
        ]
      : []),
  ];
}

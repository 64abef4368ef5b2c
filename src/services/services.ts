import { orderDispatchService, orderSelectService } from '../cds/service-definition';
import type { Content } from './content';
import { handleOrderDispatch } from './order-dispatch';
import { handleOrderSign, type OrderSignDeps } from './order-sign';
import type { CdsService } from './registry';

/**
 * The CDS services of the content: order-sign, and the order-select and order-dispatch siblings
 * cards/service.json names (the same steps on the selected draft orders, cards only; on the
 * dispatched orders, with the coverage annotation).
 */
export function orderServices(content: Content, deps: OrderSignDeps): CdsService[] {
  const select = orderSelectService(content.service);
  const dispatch = orderDispatchService(content.service);
  const services: CdsService[] = [
    { definition: content.service, handle: (body, ctx) => handleOrderSign(deps, body, ctx) },
  ];
  if (select) {
    const selectDeps = { ...deps, service: select };
    services.push({
      definition: select,
      handle: (body, ctx) => handleOrderSign(selectDeps, body, ctx),
    });
  }
  if (dispatch) {
    const dispatchDeps = { ...deps, service: dispatch };
    services.push({
      definition: dispatch,
      handle: (body, ctx) => handleOrderDispatch(dispatchDeps, body, ctx),
    });
  }
  return services;
}

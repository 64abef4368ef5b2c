import path from 'node:path';
import {
  loadServiceDefinition,
  withCoveredDrugs,
  type ServiceDefinition,
} from '../cds/service-definition';
import { loadEngine, type Engine } from '../engine/engine';
import { DEFAULT_CONTENT, type ContentPaths } from '../platform/paths';
import { loadPolicies, SERVICE_FILE, type Policy } from '../policy/load';
import { loadWording, type Wording } from '../render/wording';
import { buildDtrCatalog, type DtrCatalog } from '../dtr/catalog';

/** Everything loaded from the content folders, once, at startup. */
export interface Content {
  paths: ContentPaths;
  engine: Engine;
  policies: Policy[];
  service: ServiceDefinition;
  /** The service's own words on cards, CRD annotations and policy pages (cards/wording/wording.json). */
  wording: Wording;
  /** The DTR forms of the policies, their Libraries and ValueSets. */
  dtr: DtrCatalog;
}

/** Loads and cross-checks all content; anything wrong throws a ContentError naming the file and field. */
export function loadContent(paths: ContentPaths = DEFAULT_CONTENT): Content {
  const engine = loadEngine(paths);
  const raw = loadServiceDefinition(path.join(paths.cardsDir, SERVICE_FILE));
  const policies = loadPolicies(paths.cardsDir, engine, Object.keys(raw.prefetch));
  const service = withCoveredDrugs(
    raw,
    policies.map((p) => `${p.definition.drug} (${p.definition.document.number})`),
  );
  const wording = loadWording(paths.cardsDir);
  const dtr = buildDtrCatalog(paths, engine, policies);
  return { paths, engine, policies, service, wording, dtr };
}

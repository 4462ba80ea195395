// Where alias checks read the health they mirror: the agent's own state when the aliased node
// is this one (Consul's local alias), the catalog otherwise. Following Consul's CheckAlias, the
// node-level checks count too, so node maintenance turns every alias of the node critical.
import { aliasHealth, type AliasSource, type AliasedCheck, type CheckDefinition } from './checks';

export interface LocalHealthView {
  nodeName: string;
  hasService(id: string): boolean;
  /** Every local check with the service it is bound to ("" for node checks). */
  localChecks(): (AliasedCheck & { checkId: string; serviceId: string })[];
  onChange(listener: () => void): () => void;
}

export interface CatalogHealthView {
  nodeExists(node: string): boolean;
  serviceExists(node: string, serviceId: string): boolean;
  nodeChecks(node: string): (AliasedCheck & { checkId: string; serviceId: string })[];
  onChange(listener: () => void): () => void;
}

export function aliasSourceFor(
  def: CheckDefinition,
  local: LocalHealthView,
  catalog: CatalogHealthView,
): AliasSource {
  const serviceId = def.aliasService ?? '';
  const node = def.aliasNode ?? '';
  const relevant = (check: { checkId: string; serviceId: string }): boolean =>
    check.checkId !== def.id && (check.serviceId === '' || check.serviceId === serviceId);
  if (node === '' || node === local.nodeName) {
    return {
      read: () =>
        aliasHealth(local.localChecks().filter(relevant), {
          exists: serviceId === '' || local.hasService(serviceId),
          description: `Service ${JSON.stringify(serviceId)}`,
        }),
      subscribe: (onChange) => local.onChange(() => queueMicrotask(onChange)),
    };
  }
  return {
    read: () =>
      aliasHealth(catalog.nodeChecks(node).filter(relevant), {
        exists:
          catalog.nodeExists(node) && (serviceId === '' || catalog.serviceExists(node, serviceId)),
        description:
          serviceId === ''
            ? `Node ${JSON.stringify(node)}`
            : `Service ${JSON.stringify(serviceId)} on node ${JSON.stringify(node)}`,
      }),
    subscribe: (onChange) => catalog.onChange(onChange),
  };
}

// Dotted key paths (`acl.tokens.agent`) into nested configuration objects: read, write, delete.
import { isPlainObject } from './normalize';

type Tree = Record<string, unknown>;

export function getPath(tree: Readonly<Tree>, dotted: string): unknown {
  let node: unknown = tree;
  for (const part of dotted.split('.')) {
    if (!isPlainObject(node) || !Object.hasOwn(node, part)) return undefined;
    node = node[part];
  }
  return node;
}

/** Sets the value, creating (or replacing non-object) intermediate objects. */
export function setPath(tree: Tree, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let node = tree;
  for (const part of parts.slice(0, -1)) {
    const child = node[part];
    if (isPlainObject(child)) {
      node = child;
    } else {
      const created: Tree = {};
      node[part] = created;
      node = created;
    }
  }
  node[parts[parts.length - 1]] = value;
}

/** Removes the key; objects left empty by the removal go too. */
export function deletePath(tree: Tree, dotted: string): void {
  const [head, ...rest] = dotted.split('.');
  if (!Object.hasOwn(tree, head)) return;
  if (rest.length === 0) {
    delete tree[head];
    return;
  }
  const child = tree[head];
  if (!isPlainObject(child)) return;
  deletePath(child, rest.join('.'));
  if (Object.keys(child).length === 0) delete tree[head];
}

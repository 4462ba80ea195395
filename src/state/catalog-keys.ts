// Keys of the catalog tables, shared with the tables that point into them (sessions). Node
// names and check IDs are case-insensitive in Consul's tables, so keys fold case.

export const foldName = (name: string): string => name.toLowerCase();

export const nodeKey = (node: string): string => foldName(node);
/** Prefix of the services and checks keys of one node. */
export const nodePrefix = (node: string): string => `${foldName(node)}\0`;
export const checkKey = (node: string, checkID: string): string =>
  `${foldName(node)}\0${foldName(checkID)}`;

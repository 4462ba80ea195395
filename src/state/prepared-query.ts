// The prepared-queries table: rows by ID in `preparedQueries`, with secondary indexes by name
// (every named query and template), by template name (templates only, "" included) and by
// session. Semantics follow hashicorp/consul agent/consul/state/prepared_query.go: names are
// unique case-insensitively, may not alias another query's ID, and a template is compiled
// before it is stored.
import { compiledTemplateOf, compileTemplate, QueryTemplateError } from './prepared-query-template';
import {
  isQueryTemplate,
  looksLikeQueryId,
  type PreparedQuery,
  type PreparedQueryWrite,
} from './prepared-query-types';
import { tableIndex, type ReadTxn, type WriteTxn } from './tables';
import type { ReadResult } from './types';

/** A refused prepared-query write or lookup; the message is Consul's error text. */
export class PreparedQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PreparedQueryError';
  }
}

/** Consul's ErrQueryNotFound: no query has that ID or name (HTTP 404, DNS NXDOMAIN). */
export class QueryNotFoundError extends Error {
  constructor() {
    super('Query not found');
    this.name = 'QueryNotFoundError';
  }
}

/** Watch key of one query; list readers watch the whole table (prefix ""). */
export const preparedQueryWatchKey = (id: string): string => `i\0${id.toLowerCase()}`;

const idKey = (id: string): string => id.toLowerCase();
const nameKey = (name: string): string => name.toLowerCase();
const sessionKey = (session: string, id: string): string => `${session}\0${idKey(id)}`;

export function preparedQueriesTableIndex(tx: ReadTxn): number {
  return tableIndex(tx.tables, 'prepared-queries');
}

export function preparedQueryGet(tx: ReadTxn, id: string): ReadResult<PreparedQuery | null> {
  return {
    value: tx.tables.preparedQueries.get(idKey(id)) ?? null,
    index: preparedQueriesTableIndex(tx),
  };
}

/** Every query, sorted by ID. */
export function preparedQueryList(tx: ReadTxn): ReadResult<PreparedQuery[]> {
  const rows = [...tx.tables.preparedQueries.scanPrefix('')].map(([, row]) => row);
  return { value: rows, index: preparedQueriesTableIndex(tx) };
}

/**
 * The query `idOrName` names, rendered when it is a template (Consul's PreparedQueryResolve):
 * by ID (templates refused), else by exact name, else the template with the longest name
 * prefix of it. Null when none; throws when a template does not render.
 */
export function preparedQueryResolve(
  tx: ReadTxn,
  idOrName: string,
  segment: string,
): ReadResult<PreparedQuery | null> {
  const index = preparedQueriesTableIndex(tx);
  if (idOrName === '') throw new PreparedQueryError('Missing query ID');
  const { tables } = tx;
  if (looksLikeQueryId(idOrName)) {
    const byId = tables.preparedQueries.get(idKey(idOrName));
    if (byId !== undefined) {
      if (isQueryTemplate(byId)) {
        throw new PreparedQueryError(
          'prepared query templates can only be resolved up by name, not by ID',
        );
      }
      return { value: byId, index };
    }
  }
  const render = (id: string): ReadResult<PreparedQuery | null> => {
    const row = tables.preparedQueries.get(id);
    if (row === undefined) return { value: null, index };
    if (!isQueryTemplate(row)) return { value: row, index };
    try {
      return { value: compiledTemplateOf(row).render(idOrName, segment), index };
    } catch (error) {
      if (error instanceof QueryTemplateError) throw new PreparedQueryError(error.message);
      throw error;
    }
  };
  const lower = nameKey(idOrName);
  const exact = tables.preparedQueryNames.get(lower);
  if (exact !== undefined) return render(exact);
  for (let length = lower.length; length >= 0; length--) {
    const template = tables.preparedQueryTemplates.get(lower.slice(0, length));
    if (template !== undefined) return render(template);
  }
  return { value: null, index };
}

/**
 * Inserts or replaces a query (Consul's preparedQuerySetTxn): keeps the CreateIndex of the row
 * it replaces; refuses a name another query has, a name that is another query's ID, a second
 * unnamed template, an unknown session and a template that does not compile.
 */
export function preparedQuerySetTxn(tx: WriteTxn, write: PreparedQueryWrite): PreparedQuery {
  if (write.id === '') throw new PreparedQueryError('Missing query ID');
  const { tables } = tx;
  const existing = tables.preparedQueries.get(idKey(write.id));
  const isOther = (id: string | undefined): boolean =>
    id !== undefined && (existing === undefined || idKey(existing.id) !== id);
  if (write.name !== '') {
    if (isOther(tables.preparedQueryNames.get(nameKey(write.name)))) {
      throw new PreparedQueryError(`name '${write.name}' aliases an existing query name`);
    }
  } else if (isQueryTemplate(write) && isOther(tables.preparedQueryTemplates.get(''))) {
    throw new PreparedQueryError('a query template with an empty name already exists');
  }
  if (looksLikeQueryId(write.name) && tables.preparedQueries.get(idKey(write.name)) !== undefined) {
    throw new PreparedQueryError(`name '${write.name}' aliases an existing query ID`);
  }
  if (write.session !== '' && tables.sessions.get(write.session) === undefined) {
    throw new PreparedQueryError(`invalid session ${JSON.stringify(write.session)}`);
  }
  if (isQueryTemplate(write)) {
    try {
      compileTemplate(write);
    } catch (error) {
      if (!(error instanceof QueryTemplateError)) throw error;
      throw new PreparedQueryError(`failed compiling template: ${error.message}`);
    }
  }
  if (existing !== undefined) unindexTxn(tx, existing);
  const row: PreparedQuery = {
    ...structuredClone(write),
    createIndex: existing?.createIndex ?? tx.index,
    modifyIndex: tx.index,
  };
  tx.put(tables.preparedQueries, idKey(row.id), row);
  indexTxn(tx, row);
  changedTxn(tx, row.id);
  return row;
}

/** Deletes a query by ID; a missing one changes nothing. True when it existed. */
export function preparedQueryDeleteTxn(tx: WriteTxn, id: string): boolean {
  const row = tx.tables.preparedQueries.get(idKey(id));
  if (row === undefined) return false;
  unindexTxn(tx, row);
  tx.remove(tx.tables.preparedQueries, idKey(id));
  changedTxn(tx, id);
  return true;
}

/** Deletes every query bound to a session (it is being invalidated). */
export function deleteSessionQueriesTxn(tx: WriteTxn, session: string): void {
  const bound = [...tx.tables.preparedQuerySessions.scanPrefix(`${session}\0`)];
  for (const [, id] of bound) preparedQueryDeleteTxn(tx, id);
}

/** The secondary index rows of a query, for writes and for rebuilding them from a snapshot. */
export function preparedQueryIndexRows(row: PreparedQuery): {
  name: string | null;
  template: string | null;
  session: string | null;
} {
  return {
    name: row.name === '' ? null : nameKey(row.name),
    template: isQueryTemplate(row) ? nameKey(row.name) : null,
    session: row.session === '' ? null : sessionKey(row.session, row.id),
  };
}

function indexTxn(tx: WriteTxn, row: PreparedQuery): void {
  const { name, template, session } = preparedQueryIndexRows(row);
  const id = idKey(row.id);
  if (name !== null) tx.put(tx.tables.preparedQueryNames, name, id);
  if (template !== null) tx.put(tx.tables.preparedQueryTemplates, template, id);
  if (session !== null) tx.put(tx.tables.preparedQuerySessions, session, id);
}

function unindexTxn(tx: WriteTxn, row: PreparedQuery): void {
  const { name, template, session } = preparedQueryIndexRows(row);
  if (name !== null) tx.remove(tx.tables.preparedQueryNames, name);
  if (template !== null) tx.remove(tx.tables.preparedQueryTemplates, template);
  if (session !== null) tx.remove(tx.tables.preparedQuerySessions, session);
}

function changedTxn(tx: WriteTxn, id: string): void {
  tx.touchIndex('prepared-queries');
  tx.changed(tx.watches.preparedQueries, preparedQueryWatchKey(id));
}

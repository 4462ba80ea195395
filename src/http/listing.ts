// Answering a read of the catalog/health API: run the view as a blocking query (headers
// included) and send what it built as JSON.
//
// A view reads the store eagerly (that gives the index) but shapes its JSON only when asked,
// so that an answer already encoded for the same request at the same index is sent again as
// it is. Safe because a view's index rises whenever anything it read changes (the state
// store's blocking-query contract); it matters because Prometheus, consul-template and woken
// blocking queries ask the same large question (1,000 instances ≈ 1 MB of JSON) over and over.
import type { FastifyReply, FastifyRequest } from 'fastify';

import type { AgentRuntime } from '../server';
import type { ReadResult } from '../state';
import { FILTERED_TO_NOTHING, requestAcl } from './acl-request';
import { blockingRead, type QueryOptions, type StoreWatchSet } from './blocking';
import type { JsonValue } from './json';
import { encodeJsonSliced } from './json-slices';
import { sendEncodedJson, wantsPretty } from './respond';

/** A store read with its JSON shaping deferred. */
export type View = ReadResult<() => JsonValue>;

/** Query parameters that change how or when a read is answered, not what it answers. */
const ANSWER_NEUTRAL = new Set([
  'index',
  'wait',
  'stale',
  'consistent',
  'leader',
  'cached',
  'pretty',
]);

const MAX_CACHED_ANSWERS = 256;
const MAX_CACHED_BYTES = 64 * 1024 * 1024;

/** Bytes, not a string: turning ~1 MB of text into bytes again would cost as much as a hit. */
type EncodedAnswer = Buffer | readonly Buffer[];

interface CachedAnswer {
  index: number;
  body: EncodedAnswer;
  bytes: number;
}

/** Encoded answers by request (least recently used first), bounded by count and size. */
class AnswerCache {
  private readonly answers = new Map<string, CachedAnswer>();
  /** Answers being encoded (in slices): the same question asked meanwhile waits for it. */
  private readonly encoding = new Map<string, { index: number; body: Promise<EncodedAnswer> }>();
  private bytes = 0;

  /** The cached answer, or the one `encode` makes (once, however many ask at the same time). */
  async answer(
    key: string,
    index: number,
    encode: () => Promise<EncodedAnswer>,
  ): Promise<EncodedAnswer> {
    const cached = this.get(key, index);
    if (cached !== undefined) return cached;
    const pending = this.encoding.get(key);
    if (pending !== undefined && pending.index === index) return pending.body;
    const body = encode();
    this.encoding.set(key, { index, body });
    try {
      const encoded = await body;
      this.set(key, index, encoded);
      return encoded;
    } finally {
      if (this.encoding.get(key)?.body === body) this.encoding.delete(key);
    }
  }

  private get(key: string, index: number): EncodedAnswer | undefined {
    const hit = this.answers.get(key);
    if (hit === undefined || hit.index !== index) return undefined;
    this.answers.delete(key);
    this.answers.set(key, hit);
    return hit.body;
  }

  private set(key: string, index: number, body: EncodedAnswer): void {
    this.drop(key);
    const bytes = Buffer.isBuffer(body) ? body.length : body.reduce((n, b) => n + b.length, 0);
    if (bytes > MAX_CACHED_BYTES / 4) return;
    this.answers.set(key, { index, body, bytes });
    this.bytes += bytes;
    for (const oldest of this.answers.keys()) {
      if (this.answers.size <= MAX_CACHED_ANSWERS && this.bytes <= MAX_CACHED_BYTES) break;
      this.drop(oldest);
    }
  }

  private drop(key: string): void {
    const old = this.answers.get(key);
    if (old === undefined) return;
    this.answers.delete(key);
    this.bytes -= old.bytes;
  }
}

const cache = new WeakMap<AgentRuntime, AnswerCache>();

export async function sendView(
  runtime: AgentRuntime,
  request: FastifyRequest,
  reply: FastifyReply,
  options: QueryOptions,
  view: (watchSet: StoreWatchSet) => View,
): Promise<void> {
  const { value, index } = await blockingRead(runtime, reply, options, view);
  const pretty = wantsPretty(request, runtime.config.prettyJson);
  let answers = cache.get(runtime);
  if (answers === undefined) cache.set(runtime, (answers = new AnswerCache()));
  const key = answerKey(
    request,
    pretty,
    runtime.store.acl.generation(),
    runtime.store.coordinatesIndex(),
  );
  const acl = requestAcl(request);
  // Cached per token (answerKey), so an answer is filtered before it is cached.
  // (Catalog and health lists never answer 404 when filtered empty: they answer [].)
  const shaped = (): JsonValue => {
    if (acl === null) return value();
    const visible = acl.filterAnswer(value());
    return visible === FILTERED_TO_NOTHING ? [] : visible;
  };
  const body = await answers.answer(key, index, () => encodeJsonSliced(shaped(), pretty));
  sendEncodedJson(request, reply, body);
}

/** The request as far as it decides the answer: path, answer-relevant params, token, layout. */
function answerKey(
  request: FastifyRequest,
  pretty: boolean,
  aclGeneration: number,
  coordinatesIndex: number,
): string {
  const url = request.url;
  const mark = url.indexOf('?');
  const path = mark < 0 ? url : url.slice(0, mark);
  const params = new URLSearchParams(mark < 0 ? '' : url.slice(mark + 1));
  const kept: string[] = [];
  for (const [name, value] of params) {
    // ?near orders by coordinates, which move without the listing's own index.
    if (name === 'near') kept.push(`near=${value}@${coordinatesIndex}`);
    else if (!ANSWER_NEUTRAL.has(name)) kept.push(`${name}=${value}`);
  }
  kept.sort();
  // The token decides what ACLs let through: never share answers across tokens, nor across
  // changes to tokens, policies or roles (the answer's own index would not move).
  const token = request.headers['x-consul-token'] ?? request.headers.authorization ?? '';
  return `${pretty ? 'p' : 'c'} ${String(token)} ${aclGeneration} ${path}?${kept.join('&')}`;
}

// The typed method registry of the server port. A method is a name plus the functions that
// check what arrives off the wire, so that both ends hold typed values and nothing is cast.

export interface RpcMethod<Args, Reply> {
  /** `Endpoint.Method`, as Consul names them (`KVS.Apply`, `Status.Leader`). */
  readonly name: string;
  /** Checks decoded arguments on the server; throws (naming the field) when they are wrong. */
  parseArgs(raw: unknown): Args;
  /** Checks a decoded reply on the client. */
  parseReply(raw: unknown): Reply;
}

export function defineMethod<Args, Reply>(
  name: string,
  parseArgs: (raw: unknown) => Args,
  parseReply: (raw: unknown) => Reply,
): RpcMethod<Args, Reply> {
  if (name.length === 0 || name.length > MAX_METHOD_NAME) {
    throw new RangeError(`rpc method name "${name}" must be 1-${MAX_METHOD_NAME} characters`);
  }
  return { name, parseArgs, parseReply };
}

export const MAX_METHOD_NAME = 128;

/** What a handler knows about the call besides its arguments. */
export interface CallMeta {
  method: string;
  /** `ip:port` of the caller. */
  remoteAddress: string;
  /** Epoch ms by which the caller stops waiting, or null without a deadline. */
  deadline: number | null;
}

/** `signal` aborts when the caller cancels, its deadline passes or its connection drops. */
export type MethodHandler<Args, Reply> = (
  args: Args,
  signal: AbortSignal,
  meta: CallMeta,
) => Reply | Promise<Reply>;

type Invoker = (raw: unknown, signal: AbortSignal, meta: CallMeta) => Promise<unknown>;

/** Raised to the caller for a method nobody registered (Go's net/rpc words). */
export class UnknownMethodError extends Error {
  override name = 'UnknownMethodError';
  constructor(readonly method: string) {
    super(`rpc: can't find method ${method}`);
  }
}

export class MethodRegistry {
  private readonly invokers = new Map<string, Invoker>();

  register<Args, Reply>(method: RpcMethod<Args, Reply>, handler: MethodHandler<Args, Reply>): void {
    if (this.invokers.has(method.name)) {
      throw new Error(`rpc method ${method.name} is already registered`);
    }
    this.invokers.set(method.name, async (raw, signal, meta) =>
      handler(method.parseArgs(raw), signal, meta),
    );
  }

  unregister(name: string): void {
    this.invokers.delete(name);
  }

  /** Runs the handler of `method`; rejects with UnknownMethodError when there is none. */
  invoke(method: string, raw: unknown, signal: AbortSignal, meta: CallMeta): Promise<unknown> {
    const invoker = this.invokers.get(method);
    if (invoker === undefined) return Promise.reject(new UnknownMethodError(method));
    return invoker(raw, signal, meta);
  }
}

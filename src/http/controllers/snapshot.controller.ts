// /v1/snapshot (agent/snapshot_endpoint.go): GET streams the state as Consul's archive with the
// index it was taken at; PUT restores an uploaded archive on every server. The upload is read as
// a stream for as long as it takes (no read deadline), never held whole in memory.
import type { Readable } from 'node:stream';

import { Controller, Get, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

import { SnapshotArchiveError } from '../../server';
import { checkDatacenter, parseConsistency, setLeaderHeaders } from '../blocking';
import { exemptFromReadDeadline } from '../connections';
import { HttpContext } from '../context';
import { HttpError } from '../errors';
import { queryOf } from '../query';
import { sendEmpty, sendStream } from '../respond';

@Controller('v1/snapshot')
export class SnapshotController {
  constructor(private readonly http: HttpContext) {}

  @Get()
  async save(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    const query = queryOf(request);
    checkDatacenter(query, runtime);
    const stale = parseConsistency(query) === 'stale';
    const saved = await runtime.snapshots.save(stale);
    setLeaderHeaders(reply, runtime);
    reply.header('x-consul-index', String(saved.index));
    sendStream(reply, 'application/x-gzip', saved.archive);
  }

  @Put()
  async restore(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { runtime } = this.http;
    checkDatacenter(queryOf(request), runtime);
    const release = exemptFromReadDeadline(request.raw.socket);
    try {
      await runtime.snapshots.restore(bodyChunks(request.raw));
    } catch (err) {
      // Consul answers a refused archive with 500 and the reason; the rest of the body is not
      // read, so the connection cannot carry another request.
      if (err instanceof SnapshotArchiveError) {
        throw new HttpError(500, err.message, !request.raw.readableEnded);
      }
      throw err;
    } finally {
      release();
    }
    sendEmpty(request, reply, 200);
  }
}

/**
 * The request body chunk by chunk. Not the stream's own iterator: leaving that early destroys
 * the socket, and a refused archive must still be answered on it.
 */
async function* bodyChunks(stream: Readable): AsyncGenerator<Uint8Array> {
  for (;;) {
    const chunk = stream.read() as Buffer | null;
    if (chunk !== null) {
      yield chunk;
      continue;
    }
    if (stream.readableEnded) return;
    await new Promise<void>((resolve, reject) => {
      const done = (error?: Error): void => {
        stream
          .off('readable', onReadable)
          .off('end', onEnd)
          .off('error', done)
          .off('close', onClose);
        if (error === undefined) resolve();
        else reject(error);
      };
      const onReadable = (): void => done();
      const onEnd = (): void => done();
      const onClose = (): void =>
        done(stream.readableEnded ? undefined : new Error('the client closed the connection'));
      stream.on('readable', onReadable).on('end', onEnd).on('error', done).on('close', onClose);
    });
  }
}

// The web UI under ui_config.content_path: the files of the built single-page app (dist/ui,
// made by `npm run build`) or of ui_config.dir. A path under it that names no file is a page of
// the app (history routing: /ui/dc1/kv/a/b/ is a bookmark), answered with index.html, which
// gets a <base href> of the content path so that its relative assets load from any depth.
import { readFile, stat } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { FastifyReply, FastifyRequest } from 'fastify';

import type { AgentConfig } from '../config';
import { acceptsGzip } from './respond';

const gzipAsync = promisify(gzip);

/** Where `npm run build` writes the app: dist/ui beside dist/src. */
export const BUILT_UI_DIR = join(__dirname, '..', '..', 'ui');

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
  woff2: 'font/woff2',
  txt: 'text/plain; charset=utf-8',
  map: 'application/json',
};

interface UiFile {
  mtimeMs: number;
  type: string;
  body: Buffer;
  gzipped: Buffer;
}

const files = new Map<string, UiFile>();

/**
 * Answers a GET or HEAD under the content path (or the content path without its slash, which
 * is redirected). Returns false when the request is not the UI's.
 */
export function serveUi(
  config: AgentConfig,
  request: FastifyRequest,
  reply: FastifyReply,
): boolean {
  if (!config.ui || (request.method !== 'GET' && request.method !== 'HEAD')) return false;
  const { contentPath } = config.uiConfig;
  const url = request.url;
  const mark = url.indexOf('?');
  const path = mark < 0 ? url : url.slice(0, mark);
  if (path === contentPath.slice(0, -1)) {
    reply.code(301).header('location', contentPath).send();
    return true;
  }
  if (!path.startsWith(contentPath)) return false;
  const root = config.uiConfig.dir ?? BUILT_UI_DIR;
  void answer(config, root, path.slice(contentPath.length), request, reply).catch(
    (error: unknown) => {
      reply
        .code(500)
        .header('content-type', 'text/plain; charset=utf-8')
        .send(`web UI: ${error instanceof Error ? error.message : String(error)}`);
    },
  );
  return true;
}

async function answer(
  config: AgentConfig,
  root: string,
  relative: string,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  let name: string;
  try {
    name = decodeURIComponent(relative);
  } catch {
    name = '';
  }
  const wanted = name === '' ? null : await fileUnder(root, name);
  // Anything that looks like a file of the app (assets/…, favicon.svg) must exist; other paths
  // are pages of the app.
  if (wanted === null && /^assets\/|\.[a-z0-9]+$/i.test(name)) {
    reply.code(404).header('content-type', 'text/plain; charset=utf-8').send('Not found');
    return;
  }
  const file = wanted ?? (await loadIndex(config, root));
  if (file === null) {
    reply
      .code(404)
      .header('content-type', 'text/plain; charset=utf-8')
      .send(`the web UI is not built: ${join(root, 'index.html')} is missing (run npm run build)`);
    return;
  }
  const immutable = wanted !== null && name.startsWith('assets/');
  reply
    .code(200)
    .header('content-type', file.type)
    .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
    .header('vary', 'Accept-Encoding');
  if (acceptsGzip(request)) reply.header('content-encoding', 'gzip').send(file.gzipped);
  else reply.send(file.body);
}

/** The file at `name` under `root`, or null (missing, a directory, or outside the root). */
async function fileUnder(root: string, name: string): Promise<UiFile | null> {
  const full = normalize(join(root, name));
  if (!full.startsWith(normalize(root) + sep)) return null;
  return loadFile(full, full, (body) => body);
}

async function loadIndex(config: AgentConfig, root: string): Promise<UiFile | null> {
  const full = join(root, 'index.html');
  const settings = uiSettings(config);
  return loadFile(full, `${full}\u0000${settings}`, (body) => withSettings(body, config, settings));
}

async function loadFile(
  full: string,
  key: string,
  transform: (body: Buffer) => Buffer,
): Promise<UiFile | null> {
  let mtimeMs: number;
  try {
    const info = await stat(full);
    if (!info.isFile()) return null;
    mtimeMs = info.mtimeMs;
  } catch {
    return null;
  }
  const cached = files.get(key);
  if (cached !== undefined && cached.mtimeMs === mtimeMs) return cached;
  const body = transform(await readFile(full));
  const extension = full.slice(full.lastIndexOf('.') + 1).toLowerCase();
  const file: UiFile = {
    mtimeMs,
    type: CONTENT_TYPES[extension] ?? 'application/octet-stream',
    body,
    gzipped: await gzipAsync(body),
  };
  files.set(key, file);
  return file;
}

function uiSettings(config: AgentConfig): string {
  return JSON.stringify({
    contentPath: config.uiConfig.contentPath,
    datacenter: config.datacenter,
    aclsEnabled: config.acl.enabled,
  });
}

/** index.html with the content path as its base and the agent's datacenter for the app. */
function withSettings(body: Buffer, config: AgentConfig, settings: string): Buffer {
  const head =
    `<base href="${escapeHtml(config.uiConfig.contentPath)}">` +
    `<meta name="consulate-ui-settings" content="${escapeHtml(settings)}">`;
  const html = body.toString('utf8');
  const at = html.indexOf('<head>');
  if (at < 0) return body;
  return Buffer.from(html.slice(0, at + 6) + head + html.slice(at + 6));
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/"/g, '&quot;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

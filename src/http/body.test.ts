import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isWellFormedContentType } from './body';

// Fastify's own parser, which answered these before PUT/POST/DELETE/PATCH skipped it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const FastifyContentType = require('fastify/lib/content-type') as {
  from(header: string): { isValid: boolean };
};

const HEADERS = [
  'application/json',
  'text/plain; charset=utf-8',
  'Application/JSON',
  ' a/b ',
  'a/b;',
  'a/b; x="y',
  'a/b ; x=y',
  'a /b',
  'a/ b',
  'a/b c',
  'foo',
  'foo; a=b',
  '/b',
  'a/',
  '',
  'undefined',
  'a/b/c',
  'multipart/form-data; boundary=----x',
  '*/*',
  'a\t/b',
];

describe('content types', () => {
  it('judges a Content-Type well-formed exactly when Fastify does', () => {
    for (const header of HEADERS) {
      assert.equal(
        isWellFormedContentType(header),
        FastifyContentType.from(header).isValid,
        `Content-Type ${JSON.stringify(header)}`,
      );
    }
  });
});

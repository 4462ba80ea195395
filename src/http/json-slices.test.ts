import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import fc from 'fast-check';

import { encodeJson, jsonRows, type JsonValue } from './json';
import { encodeJsonSliced } from './json-slices';

async function sliced(value: JsonValue, pretty: boolean): Promise<string> {
  const encoded = await encodeJsonSliced(value, pretty);
  return (Buffer.isBuffer(encoded) ? encoded : Buffer.concat(encoded)).toString();
}

const leaf: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  fc.string({ unit: 'grapheme' }),
  fc.constantFrom('<a href="x">&</a>', '\u2028\u2029', '\n\t"\\', ''),
);

// Shapes like the API's answers: wide outer levels (so that they are walked), objects with
// absent (undefined) members, empty containers, and lazily shaped rows.
const value: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 8 }),
    fc.dictionary(fc.string(), fc.option(tie('value'), { nil: undefined }), { maxKeys: 6 }),
  ),
})).value;

const wide: fc.Arbitrary<JsonValue> = fc.oneof(
  fc.array(value, { minLength: 520, maxLength: 700 }),
  fc
    .array(value, { minLength: 520, maxLength: 700 })
    .map((rows) => jsonRows(rows, (row) => ({ Row: row, Absent: undefined }))),
  fc.record({
    Results: fc.array(value, { minLength: 70, maxLength: 600 }),
    Errors: fc.constant(null),
    Index: fc.integer(),
  }),
  fc.dictionary(fc.string(), value, { minKeys: 520, maxKeys: 600 }),
  fc.array(fc.array(value, { minLength: 65, maxLength: 80 }), { minLength: 8, maxLength: 10 }),
);

describe('encodeJsonSliced', () => {
  it('gives exactly the bytes of encodeJson, compact and pretty, for any value', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(value, wide), fc.boolean(), async (input, pretty) => {
        assert.equal(await sliced(input, pretty), encodeJson(input, pretty));
      }),
      { numRuns: 150 },
    );
  });

  it('lays out empty and sparse outer containers as Go does', async () => {
    const rows = Array.from({ length: 600 }, (_, i) => ({ A: i, B: undefined }));
    for (const pretty of [false, true]) {
      assert.equal(await sliced(rows, pretty), encodeJson(rows, pretty));
      const nested = { Empty: [], None: {}, Gone: undefined, Rows: rows };
      assert.equal(await sliced(nested, pretty), encodeJson(nested, pretty));
    }
  });

  it('yields to the event loop while encoding a large value', async () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => ({ Key: `key/${i}`, Flags: 2n ** 60n }));
    let turns = 0;
    let encoding = true;
    const count = (): void => {
      turns++;
      if (encoding) setImmediate(count);
    };
    setImmediate(count);
    const encoded = await encodeJsonSliced(
      jsonRows(rows, (row) => row),
      false,
    );
    encoding = false;
    assert.ok(Array.isArray(encoded), 'a large value comes back in slices');
    assert.ok(turns > 1, `the event loop turned ${turns} time(s) while encoding`);
  });
});

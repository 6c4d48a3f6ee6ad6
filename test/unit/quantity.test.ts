import { describe, expect, it } from '@jest/globals';
import { MAX_QTY, parseQuantity } from '../../src/domain/quantity.js';

const DIGITS_40 = '1234567890'.repeat(4);
const DIGITS_400 = '9'.repeat(400);

describe('parseQuantity (SPEC §8: one parser for every source)', () => {
  it.each<[string, unknown, number]>([
    ['a whole number', 5, 5],
    ['zero', 0, 0],
    ['-0 (written as 0, never "-0")', -0, 0],
    ['the string "-0"', '-0', 0],
    ['a fraction, floored', 2.9, 2],
    ['a negative, as 0', -3, 0],
    ['a negative fraction, as 0', '-2.5', 0],
    ['a digit string with spaces', ' 12 ', 12],
    ['a leading plus', '+3', 3],
    ['a bare fraction', '.5', 0],
    ['a trailing point', '7.', 7],
    ['the largest quantity 2^31-1', MAX_QTY, MAX_QTY],
    ['2^31-1 as a string', '2147483647', MAX_QTY],
    ['just below 2^31, floored into range', '2147483647.99', MAX_QTY],
    ['a large negative within int32, as 0', '-2147483648', 0],
  ])('accepts %s', (_what, value, qty) => {
    const q = parseQuantity(value);
    expect(q).toEqual({ ok: true, qty });
    if (q.ok) expect(Object.is(q.qty, -0)).toBe(false);
  });

  it.each<[string, unknown, string]>([
    ['2^31', 2147483648, 'quantity 2147483648 is out of range (0 … 2147483647)'],
    ['2^32+1', 4294967297, 'quantity 4294967297 is out of range (0 … 2147483647)'],
    ['99999999999 as a string', '99999999999', 'quantity "99999999999" is out of range (0 … 2147483647)'],
    ['1e20', 1e20, 'quantity 100000000000000000000 is out of range (0 … 2147483647)'],
    ['Infinity (a 400-digit JSON number)', JSON.parse(DIGITS_400) as number, 'quantity Infinity is out of range (0 … 2147483647)'],
    ['-Infinity', -Infinity, 'quantity -Infinity is out of range (0 … 2147483647)'],
    ['40 digits', DIGITS_40, `quantity "${DIGITS_40.slice(0, 39)}… (42 characters) is out of range (0 … 2147483647)`],
    ['400 digits', DIGITS_400, `quantity "${'9'.repeat(39)}… (402 characters) is out of range (0 … 2147483647)`],
    ['a negative 40 digits', `-${DIGITS_40}`, `quantity "-${DIGITS_40.slice(0, 38)}… (43 characters) is out of range (0 … 2147483647)`],
    ['NaN', NaN, 'quantity NaN is not a number'],
    ['the string NaN', 'NaN', 'non-numeric quantity "NaN"'],
    ['the string Infinity', 'Infinity', 'non-numeric quantity "Infinity"'],
    ['an exponent', '1e400', 'non-numeric quantity "1e400"'],
    ['text', 'In stock', 'non-numeric quantity "In stock"'],
    ['a decimal comma', '1,5', 'non-numeric quantity "1,5"'],
    ['thousands separators', '1 000', 'non-numeric quantity "1 000"'],
    ['a boolean', true, 'non-numeric quantity true'],
    ['an object', { n: 1 }, 'non-numeric quantity {"n":1}'],
    ['long text, cut', 'x'.repeat(100), `non-numeric quantity "${'x'.repeat(39)}… (102 characters)`],
  ])('rejects %s, naming the value', (_what, value, reason) => {
    expect(parseQuantity(value)).toEqual({ ok: false, missing: false, reason });
  });

  it.each<[string, unknown]>([['undefined', undefined], ['null', null], ['an empty string', ''], ['blanks', '  ']])(
    'reports %s as missing, for the source to decide', (_what, value) => {
      expect(parseQuantity(value, 'stock_qty')).toEqual({ ok: false, missing: true, reason: 'no stock_qty' });
    },
  );

  it('names the field it was given in every reason', () => {
    expect(parseQuantity('x', 'stock_qty')).toEqual({ ok: false, missing: false, reason: 'non-numeric stock_qty "x"' });
    expect(parseQuantity(3e9, 'unallocated_stock')).toEqual({ ok: false, missing: false, reason: 'unallocated_stock 3000000000 is out of range (0 … 2147483647)' });
  });

  it('never throws, whatever the value', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    for (const value of [circular, 10n, Symbol('q'), () => 1, [1], new Date(0)]) {
      const q = parseQuantity(value);
      expect(q.ok).toBe(false);
    }
  });
});

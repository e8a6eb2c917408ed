import { describe, expect, it } from 'vitest';
import { WEIGHT_RANGE } from '../../src/shared/prompt.ts';
import { parsePromptAttention } from './prompt-attention.ts';

const parse = (prompt: string) => parsePromptAttention(prompt).pieces.map(({ text, weight }) => [text, weight]);
const notices = (prompt: string) => parsePromptAttention(prompt).notices;

describe("parsePromptAttention: the examples of A1111's docstring", () => {
  it('normal text', () => {
    expect(parse('normal text')).toEqual([['normal text', 1.0]]);
  });

  it('an (important) word', () => {
    expect(parse('an (important) word')).toEqual([['an ', 1.0], ['important', 1.1], [' word', 1.0]]);
  });

  it('(unbalanced', () => {
    expect(parse('(unbalanced')).toEqual([['unbalanced', 1.1]]);
  });

  it('\\(literal\\]', () => {
    expect(parse('\\(literal\\]')).toEqual([['(literal]', 1.0]]);
  });

  it('(unnecessary)(parens)', () => {
    expect(parse('(unnecessary)(parens)')).toEqual([['unnecessaryparens', 1.1]]);
  });

  it('a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).', () => {
    expect(parse('a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).')).toEqual([
      ['a ', 1.0],
      ['house', 1.5730000000000004],
      [' ', 1.1],
      ['on', 1.0],
      [' a ', 1.1],
      ['hill', 0.55],
      [', sun, ', 1.1],
      ['sky', 1.4641000000000006],
      ['.', 1.1],
    ]);
  });
});

describe('parsePromptAttention: the rest of the syntax', () => {
  it('divides by 1.1 per square bracket and multiplies nested brackets', () => {
    expect(parse('[a] [[b]] ((c))')).toEqual([['a', 1 / 1.1], [' ', 1], ['b', 1 / 1.1 / 1.1], [' ', 1], ['c', 1.1 * 1.1]]);
    expect(parse('((a:2):3)')).toEqual([['a', 6]]);
  });

  it('takes explicit weights with spaces, signs, and leading or trailing points', () => {
    expect(parse('(a: 1.5 )(b:+2)(c:.5)(d:2.)')).toEqual([['a', 1.5], ['b', 2], ['c', 0.5], ['d', 2]]);
    expect(parse('(a:-5)')).toEqual([['a', -5]]);
  });

  it('keeps literal brackets and backslashes, and drops a lone backslash as A1111 does', () => {
    expect(parse('\\(a\\) \\[b\\] c\\\\d')).toEqual([['(a) [b] c\\d', 1]]);
    expect(parse('a\\b')).toEqual([['ab', 1]]);
  });

  it('reads a weight with nothing open, and closers with nothing open, as text', () => {
    expect(parse('a:1.3) b) c]')).toEqual([['a:1.3) b) c]', 1]]);
    expect(notices('a) b]')).toEqual([
      { kind: 'unmatched', bracket: ')', count: 1 },
      { kind: 'unmatched', bracket: ']', count: 1 },
    ]);
  });

  it('weighs what follows an unclosed bracket and says so', () => {
    expect(parse('a [b (c')).toEqual([['a ', 1], ['b ', 1 / 1.1], ['c', 1.1 / 1.1]]);
    expect(notices('a [b (c ((d')).toEqual([
      { kind: 'unclosed', bracket: '(', count: 3 },
      { kind: 'unclosed', bracket: '[', count: 1 },
    ]);
  });

  it('multiplies brackets of both kinds that cross', () => {
    expect(parse('(a[b)c]')).toEqual([['a', 1.1], ['b', 1.1 / 1.1], ['c', 1 / 1.1]]);
  });

  it('leaves a BREAK marker, taking the whitespace around it, only for the whole word', () => {
    expect(parse('a cat BREAK a dog')).toEqual([['a cat', 1], ['BREAK', -1], ['a dog', 1]]);
    expect(parse('BREAKFAST, aBREAK, BREAK_, break')).toEqual([['BREAKFAST, aBREAK, BREAK_, break', 1]]);
    expect(parse('(red) BREAK\nblue')).toEqual([['red', 1.1], ['', 1], ['BREAK', -1], ['blue', 1]]);
  });

  it('gives an empty prompt one empty piece', () => {
    expect(parse('')).toEqual([['', 1]]);
    expect(parse('()[]')).toEqual([['', 1]]);
  });
});

describe('parsePromptAttention: bad input', () => {
  it('reads (a:1e9) and (a:abc) as A1111 does: the colon and what follows are text, weighed 1.1', () => {
    expect(parse('(a:1e9)')).toEqual([['a:1e9', 1.1]]);
    expect(parse('(a:abc)')).toEqual([['a:abc', 1.1]]);
    expect(notices('(a:abc)')).toEqual([{ kind: 'not-a-weight', text: ':abc' }]);
  });

  it('reads a weight Python cannot parse (where A1111 fails) as text too', () => {
    expect(parse('(a:1.2.3)')).toEqual([['a:1.2.3', 1.1]]);
    expect(parse('(a:.)')).toEqual([['a:.', 1.1]]);
  });

  it(`clamps weights to ${WEIGHT_RANGE.min}..${WEIGHT_RANGE.max} and says so`, () => {
    expect(parse('(a:1000000000) (b:-50) (c:-5)')).toEqual([['a', 10], [' ', 1], ['b', -10], [' ', 1], ['c', -5]]);
    expect(notices('(a:1000000000) (b:-50)')).toEqual([{ kind: 'clamped', weight: 1e9, to: 10, count: 2 }]);
    // 400 digits overflow to Infinity, and 0 * Infinity is NaN: both end up in range.
    expect(parse(`((a:0):${'9'.repeat(400)}) (b:${'9'.repeat(400)})`)).toEqual([['a', 1], [' ', 1], ['b', 10]]);
  });

  it('parses 1,000 levels of nesting, closed and unclosed, without recursion', () => {
    const closed = `${'('.repeat(1000)}deep${')'.repeat(1000)}`;
    expect(parse(closed)).toEqual([['deep', 10]]);
    expect(notices(closed)).toEqual([{ kind: 'clamped', weight: expect.closeTo(1.1 ** 1000, -28), to: 10, count: 1 }]);
    expect(parse(`${'['.repeat(1000)}faint`)).toEqual([['faint', expect.closeTo(0, 40)]]);
    const balanced = `${'(['.repeat(1000)}even${'])'.repeat(1000)}`;
    expect(parse(balanced)).toEqual([['even', expect.closeTo(1, 9)]]);
  });

  it('keeps every character of a long prompt with text at every level', () => {
    const words = Array.from({ length: 5000 }, (_, i) => `w${i}`);
    const prompt = words.map((word) => `(${word} `).join('') + ')'.repeat(5000);
    const pieces = parsePromptAttention(prompt).pieces;
    expect(pieces.map((piece) => piece.text).join('')).toBe(words.map((word) => `${word} `).join(''));
    expect(pieces[0].weight).toBeCloseTo(1.1, 12);
    expect(pieces.at(-1)!.weight).toBe(10);
  });
});

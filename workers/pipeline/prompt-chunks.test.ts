import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_CHUNKS } from '../../src/shared/prompt.ts';
import { analysePrompt } from './prompt-analysis.ts';
import { chunkLimit, readPrompt } from './prompt-chunks.ts';
import { planText } from './prompt-conditioning.ts';
import { HAVE_CLIP, readRealClip, requireRealClip } from './real-clip.test-support.ts';
import { ClipTokenizer } from './tokenizer.ts';

const BOS = 49406;
const EOS = 49407;
const A = 320; // "a</w>"
const COMMA = 267; // ",</w>"

requireRealClip('real-CLIP prompt chunk tests');

describe.skipIf(!HAVE_CLIP)('A1111 chunking on the real CLIP vocabulary', () => {
  let clip: ClipTokenizer;
  let sd2: ClipTokenizer;
  const counts = (prompt: string, limit = chunkLimit(undefined)) => readPrompt(clip, prompt, limit).chunks.map((chunk) => chunk.tokens.length);

  beforeAll(() => {
    const { vocab, merges } = readRealClip();
    clip = ClipTokenizer.fromFiles(vocab, merges);
    sd2 = ClipTokenizer.fromFiles(vocab, merges, { padTokenId: 0 });
  });

  it('keeps a prompt of up to 75 tokens in one chunk, marked plain, with the ids encode() gives', () => {
    for (const prompt of ['a photo of a cat', 'a '.repeat(75), '', 'a cat: sitting']) {
      const reading = readPrompt(clip, prompt);
      expect(reading.plain, prompt).toBe(true);
      expect(reading.chunks).toHaveLength(1);
      expect(Array.from(clip.frame(reading.chunks[0].tokens))).toEqual(Array.from(clip.encode(prompt)));
    }
    expect(readPrompt(clip, '(a) cat').plain).toBe(false);
    expect(readPrompt(clip, 'a\\(cat\\)').plain).toBe(false);
  });

  it('counts 75 tokens per chunk and starts the next at token 76', () => {
    expect(counts('a '.repeat(75))).toEqual([75]);
    expect(counts('a '.repeat(76))).toEqual([75, 1]);
    expect(counts('a '.repeat(200))).toEqual([75, 75, 50]);
  });

  it('moves the text after the last comma within the final 20 tokens into the next chunk', () => {
    // The comma is token 60 (index 59): 75 - 59 = 16 <= 20.
    const prompt = `${'a '.repeat(59)}, ${'a '.repeat(30)}`;
    const { chunks } = readPrompt(clip, prompt);
    expect(chunks.map((chunk) => chunk.tokens.length)).toEqual([60, 30]);
    expect(chunks[0].tokens.at(-1)).toBe(COMMA);
    // A comma 25 tokens before the end is too far back: the chunk is cut at 75.
    expect(counts(`${'a '.repeat(50)}, ${'a '.repeat(40)}`)).toEqual([75, 16]);
  });

  it('puts a comma that arrives at token 76 at the start of the next chunk', () => {
    const { chunks } = readPrompt(clip, `${'a '.repeat(75)}, a`);
    expect(chunks.map((chunk) => chunk.tokens)).toEqual([Array(75).fill(A), [COMMA, A]]);
  });

  it('starts a new chunk at BREAK, an empty one when the prompt starts with it', () => {
    expect(counts('a cat BREAK a dog')).toEqual([2, 2]);
    expect(counts('BREAK a dog')).toEqual([0, 2]);
    expect(counts('a cat BREAK')).toEqual([2]);
  });

  it('tokenizes each piece of equal weight alone, as A1111 does', () => {
    const { chunks } = readPrompt(clip, 'photo(graph)');
    expect(chunks[0].tokens).toEqual([...clip.tokenize('photo'), ...clip.tokenize('graph')]);
    expect(clip.tokenize('photograph')).toHaveLength(1);
    expect(chunks[0].weights).toEqual([1, 1.1]);
  });

  it('gives each token its weight', () => {
    const { chunks } = readPrompt(clip, 'a (red:1.5) [cat]');
    expect(chunks[0].tokens).toEqual(clip.tokenize('a red cat'));
    expect(chunks[0].weights).toEqual([1, 1.5, 1 / 1.1]);
  });

  it(`uses at most ${MAX_CHUNKS} chunks of a 5,000-token prompt and says so`, () => {
    const reading = readPrompt(clip, 'a '.repeat(5000));
    expect(reading.chunks).toHaveLength(67);
    expect(reading.used).toBe(MAX_CHUNKS);
    expect(reading.notices).toEqual([{ kind: 'cut', used: MAX_CHUNKS, total: 67, reason: 'limit' }]);
  });

  it('uses only the first 75 tokens for a UNet fixed at 77, without moving text after a comma', () => {
    const fixed = chunkLimit(77);
    expect(fixed).toEqual({ chunks: 1, fixed: true });
    const reading = readPrompt(clip, `${'a '.repeat(59)}, ${'a '.repeat(30)}`, fixed);
    expect(reading.chunks.map((chunk) => chunk.tokens.length)).toEqual([75, 15]);
    expect(reading.used).toBe(1);
    expect(reading.notices).toEqual([{ kind: 'cut', used: 1, total: 2, reason: 'fixed-export' }]);
  });

  it('shows the form a count per chunk, the weighted pieces and the words around the cut', () => {
    const prompt = `(masterpiece:1.2), ${'a '.repeat(71)}red fox in the snow BREAK at night`;
    const analysis = analysePrompt(clip, prompt, chunkLimit(77));
    expect(analysis.chunks).toEqual([
      { tokens: 75, used: true },
      { tokens: 3, used: false },
      { tokens: 2, used: false },
    ]);
    expect(analysis.pieces[0]).toEqual({ text: 'masterpiece', weight: 1.2 });
    expect(analysis.cut).toEqual({ kept: 'a a a a red fox', dropped: 'in the snow' });
    expect(analysis.notices).toEqual([{ kind: 'cut', used: 1, total: 3, reason: 'fixed-export' }]);
    expect(analysePrompt(clip, 'a cat', chunkLimit(undefined))).toEqual({ pieces: [{ text: 'a cat', weight: 1 }], chunks: [{ tokens: 2, used: true }], notices: [] });
  });

  describe('planText', () => {
    it("keeps diffusers' ids for plain prompts: [negative, prompt], each encode()d", () => {
      const plan = planText(clip, ['blurry', 'a photo of a cat']);
      expect(plan).toEqual({ kind: 'plain', ids: new Int32Array([...clip.encode('blurry'), ...clip.encode('a photo of a cat')]), batch: 2 });
    });

    it('frames every chunk with start and end and pads the shorter prompt with empty chunks', () => {
      const plan = planText(sd2, ['(blurry)', 'a '.repeat(80)]);
      if (plan.kind !== 'chunked') throw new Error('expected chunks');
      expect([plan.batch, plan.chunks, plan.ids.length]).toEqual([2, 2, 4 * 77]);
      const row = (r: number) => Array.from(plan.ids.subarray(r * 77, (r + 1) * 77));
      const weights = (r: number) => Array.from(plan.weights.subarray(r * 77, (r + 1) * 77));
      expect(row(0)).toEqual([BOS, ...clip.tokenize('blurry'), EOS, ...Array(74).fill(0)]);
      expect(weights(0)).toEqual([1, Math.fround(1.1), ...Array(75).fill(1)]);
      expect(row(1)).toEqual([BOS, EOS, ...Array(75).fill(0)]);
      expect(row(2)).toEqual([BOS, ...Array(75).fill(A), EOS]);
      expect(row(3)).toEqual([BOS, ...Array(5).fill(A), EOS, ...Array(70).fill(0)]);
      expect(weights(3).every((weight) => weight === 1)).toBe(true);
    });

    it('fills a fixed export to its chunk count even for a plain prompt', () => {
      expect(planText(clip, ['a cat'], chunkLimit(77)).kind).toBe('plain');
      const plan = planText(clip, ['a cat'], chunkLimit(154));
      expect(plan.kind === 'chunked' && plan.chunks).toBe(2);
    });
  });
});

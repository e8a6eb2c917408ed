import { beforeAll, describe, expect, it } from 'vitest';
import { TokenizerFileError } from '../../src/shared/errors.ts';
import { tokenizerFiles } from '../../scripts/tiny-model/tokenizer.ts';
import { HAVE_CLIP, readRealClip, requireRealClip } from './real-clip.test-support.ts';
import { ClipTokenizer, padTokenIdFromConfig } from './tokenizer.ts';

const BOS = 49406;
const EOS = 49407;

/** GPT-2's byte -> char table, written independently of the module under test. */
function byteChar(byte: number): string {
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  if (printable(byte)) return String.fromCharCode(byte);
  let offset = 0;
  for (let b = 0; b < byte; b++) if (!printable(b)) offset++;
  return String.fromCharCode(256 + offset);
}

/** `[bos, ...body, eos]` padded to `length`. */
function padded(body: number[], pad = EOS, length = 77, bos = BOS, eos = EOS): number[] {
  const ids = [bos, ...body, eos];
  while (ids.length < length) ids.push(pad);
  return ids;
}

requireRealClip('real-CLIP tokenizer tests');

describe.skipIf(!HAVE_CLIP)('ClipTokenizer on the real CLIP vocabulary', () => {
  let vocabJson: string;
  let mergesTxt: string;
  let clip: ClipTokenizer;
  /** Ids of vocab entries, failing if one is missing, so expectations name real tokens. */
  const ids = (...tokens: string[]) =>
    tokens.map((token) => {
      const id = clip.vocab.get(token);
      expect(id, `vocab.json has ${JSON.stringify(token)}`).toBeTypeOf('number');
      return id!;
    });
  const body = (text: string) => {
    const all = Array.from(clip.encode(text));
    return all.slice(1, all.indexOf(EOS, 1));
  };
  /** Undo the byte mapping, to prove the ids spell the input's UTF-8 bytes. */
  const decode = (tokenIds: number[]) => {
    const byToken = new Map([...Array(256).keys()].map((b) => [byteChar(b), b]));
    const byId = new Map([...clip.vocab].map(([token, id]) => [id, token]));
    const chars = [...tokenIds.map((id) => byId.get(id)!.replace('</w>', '')).join('')];
    return new TextDecoder().decode(new Uint8Array(chars.map((c) => byToken.get(c)!)));
  };

  beforeAll(() => {
    ({ vocab: vocabJson, merges: mergesTxt } = readRealClip());
    clip = ClipTokenizer.fromFiles(vocabJson, mergesTxt);
  });

  it('reads the special tokens from vocab.json', () => {
    expect(clip.bosTokenId).toBe(BOS);
    expect(clip.eosTokenId).toBe(EOS);
    expect(clip.padTokenId).toBe(EOS);
    expect(clip.maxLength).toBe(77);
    expect(clip.vocab.size).toBe(49408);
  });

  it('encodes "a photo of a cat" as CLIP does, padded with <|endoftext|>', () => {
    const out = clip.encode('a photo of a cat');
    expect(out).toBeInstanceOf(Int32Array);
    expect(Array.from(out)).toEqual(padded([320, 1125, 539, 320, 2368]));
    expect(ids('a</w>', 'photo</w>', 'of</w>', 'cat</w>')).toEqual([320, 1125, 539, 2368]);
  });

  it('pads with 0 ("!") for SD 2.x-style tokenizers', () => {
    const sd2 = ClipTokenizer.fromFiles(vocabJson, mergesTxt, { padTokenId: 0 });
    expect(ids('!')).toEqual([0]);
    expect(Array.from(sd2.encode('a photo of a cat'))).toEqual(padded([320, 1125, 539, 320, 2368], 0));
  });

  it('encodes an empty or blank prompt as bos, eos and padding', () => {
    expect(Array.from(clip.encode(''))).toEqual(padded([]));
    expect(Array.from(clip.encode(' \n\t '))).toEqual(padded([]));
  });

  it('truncates to 75 tokens, keeping eos at index 76', () => {
    const sd2 = ClipTokenizer.fromFiles(vocabJson, mergesTxt, { padTokenId: 0 });
    const out = Array.from(sd2.encode('a '.repeat(100)));
    expect(out).toHaveLength(77);
    expect(out[0]).toBe(BOS);
    expect(out.slice(1, 76)).toEqual(Array(75).fill(320));
    expect(out[76]).toBe(EOS);
    // 74 tokens fit with room for one pad.
    const fits = Array.from(sd2.encode('a '.repeat(74)));
    expect(fits.slice(74)).toEqual([320, EOS, 0]);
  });

  it('truncates by token, not by word', () => {
    const word = body('supercalifragilistic');
    expect(word).toEqual(ids('super', 'cali', 'frag', 'ili', 'stic</w>'));
    const out = Array.from(clip.encode('a '.repeat(73) + 'supercalifragilistic'));
    expect(out.slice(74)).toEqual([word[0], word[1], EOS]);
  });

  it('splits punctuation into its own tokens', () => {
    expect(body('Hello, world!!')).toEqual(ids('hello</w>', ',</w>', 'world</w>', '!!</w>'));
    expect(body('Hello, world!!')).toEqual([3306, 267, 1002, 748]);
  });

  it("splits contractions and single digits as CLIP's pattern does", () => {
    expect(body("It's a dog's life, don't you think?")).toEqual(
      ids('it</w>', "'s</w>", 'a</w>', 'dog</w>', "'s</w>", 'life</w>', ',</w>', 'don</w>', "'t</w>", 'you</w>', 'think</w>', '?</w>'),
    );
    expect(body('8k, HDR, (1girl:1.2)')).toEqual(
      ids('8</w>', 'k</w>', ',</w>', 'hdr</w>', ',</w>', '(</w>', '1</w>', 'girl</w>', ':</w>', '1</w>', '.</w>', '2</w>', ')</w>'),
    );
  });

  it('lowercases, including accented capitals', () => {
    expect(body('A PHOTO OF A CAT')).toEqual(body('a photo of a cat'));
    expect(body('CAFÉ')).toEqual(body('café'));
  });

  it('maps accented letters through their UTF-8 bytes, after NFC', () => {
    expect(body('café')).toEqual(ids('caf\u00c3\u00a9</w>'));
    expect(body('café')).toEqual([15304]);
    expect(body('cafe\u0301')).toEqual([15304]); // decomposed é
  });

  it('encodes emoji and CJK as byte-level tokens that spell the input', () => {
    expect(body('a 🐱 on a 🚀')).toEqual([320, 22979, 525, 320, 13542]);
    expect(ids('ðŁĲ±</w>', 'ðŁļĢ</w>')).toEqual([22979, 13542]);
    expect(body('👍🏽')).toEqual(ids('ðŁĳįðŁı½</w>'));
    const cjk = body('一只猫');
    expect(cjk).toEqual(ids('ä¸', 'Ģ', 'åı', 'ª', 'ç', 'Į', '«</w>'));
    expect(decode(cjk)).toBe('一只猫');
    expect(decode(body('猫の写真'))).toBe('猫の写真');
  });

  it('collapses whitespace of every kind, and strips it at the ends', () => {
    const cat = body('a photo of a cat');
    expect(body('  a\n\n photo\t\tof   a cat  ')).toEqual(cat);
    expect(body('\u00a0a\u3000photo\u2028of a\u00a0cat\u00a0')).toEqual(cat);
  });

  it('unescapes HTML entities, twice, as basic_clean does', () => {
    expect(body('salt &amp; pepper')).toEqual(ids('salt</w>', '&</w>', 'pepper</w>'));
    expect(body('fish &amp;amp; chips')).toEqual(body('fish & chips'));
    expect(body('it&#39;s')).toEqual(ids('it</w>', "'s</w>"));
    expect(body('R&amp;D &lt;3')).toEqual(body('r&d <3'));
    expect(body('&copy 2024 &eacute;t&eacute;')).toEqual(body('© 2024 été'));
    expect(body('&nosuchentity;')).toEqual(body('& nosuchentity ;')); // unknown names stay text
    expect(body('&notice')).toEqual(body('¬ice')); // Python's legacy-prefix rule: "&not" needs no ";"
  });

  it('maps special-token text to the special ids, in any case', () => {
    expect(body('<|startoftext|>hi')).toEqual([BOS, ...ids('hi</w>')]);
    expect(Array.from(clip.encode('hi <|ENDOFTEXT|>')).slice(0, 4)).toEqual([BOS, ...ids('hi</w>'), EOS, EOS]);
  });

  it('returns a fresh array each call, so callers may write into it', () => {
    const first = clip.encode('a photo of a cat');
    first.fill(-1);
    expect(Array.from(clip.encode('a photo of a cat'))).toEqual(padded([320, 1125, 539, 320, 2368]));
  });

  it('finds the pad id named in the real SD tokenizer configs', () => {
    expect(padTokenIdFromConfig(clip.vocab, '{"pad_token": "!"}')).toBe(0);
    expect(padTokenIdFromConfig(clip.vocab, '{"pad_token": "<|endoftext|>"}')).toBe(EOS);
  });

  it('cuts a prompt longer than 77 tokens and ends it with the end token', () => {
    const prompt = 'masterpiece, best quality, a highly detailed oil painting of a red fox sitting in a snowy forest at sunset, '.repeat(3);
    const ids = clip.encode(prompt);
    expect(ids.length).toBe(77);
    expect(ids[76]).toBe(EOS);
  });
});

/** 256 byte symbols, their `</w>` forms, a few merges, then the two specials: the tiny model's layout. */
function synthetic(merges: [string, string][]): { vocab: string; merges: string } {
  const tokens = [...Array(256).keys()].map(byteChar);
  tokens.push(...tokens.map((t) => `${t}</w>`), ...merges.map(([a, b]) => a + b), '<|startoftext|>', '<|endoftext|>');
  return {
    vocab: JSON.stringify(Object.fromEntries(tokens.map((t, id) => [t, id]))),
    merges: `#version: 0.2\n${merges.map((m) => m.join(' ')).join('\n')}\n`,
  };
}

describe('ClipTokenizer on a tiny synthetic vocabulary', () => {
  const MERGES: [string, string][] = [['c', 'a'], ['ca', 't</w>'], ['h', 'i</w>']];
  const files = synthetic(MERGES);
  // ids: byte b -> b, byte b + </w> -> 256 + b, merges 512.., then bos 515, eos 516
  const tiny = ClipTokenizer.fromFiles(files.vocab, files.merges, { maxLength: 8 });
  const at = (text: string) => Array.from(tiny.encode(text));

  it('uses the merges and the special tokens wherever vocab.json puts them', () => {
    expect([tiny.bosTokenId, tiny.eosTokenId, tiny.padTokenId]).toEqual([515, 516, 516]);
    expect(at('cat')).toEqual(padded([513], 516, 8, 515, 516));
    expect(at('Cab HI')).toEqual(padded([512, 256 + 0x62, 514], 516, 8, 515, 516));
  });

  it('falls back to single bytes for anything unmerged, including multi-byte UTF-8', () => {
    expect(at('é')).toEqual(padded([0xc3, 256 + 0xa9], 516, 8, 515, 516));
    expect(at('dog')).toEqual(padded([0x64, 0x6f, 256 + 0x67], 516, 8, 515, 516));
  });

  it('truncates to maxLength - 2 tokens', () => {
    expect(at('cat cat cat cat cat cat cat')).toEqual([515, 513, 513, 513, 513, 513, 513, 516]);
  });

  it("skips merges.txt's first line even when it is a merge, as HF does", () => {
    const headerless = ClipTokenizer.fromFiles(files.vocab, 'c a\nca t</w>\n');
    expect(Array.from(headerless.encode('cat')).slice(0, 5)).toEqual([515, 0x63, 0x61, 256 + 0x74, 516]);
  });

  it('accepts CRLF line endings in merges.txt', () => {
    const crlf = ClipTokenizer.fromFiles(files.vocab, files.merges.replaceAll('\n', '\r\n'), { maxLength: 8 });
    expect(Array.from(crlf.encode('cat hi'))).toEqual(Array.from(tiny.encode('cat hi')));
  });

  it('rejects a maxLength with no room for bos and eos', () => {
    expect(() => ClipTokenizer.fromFiles(files.vocab, files.merges, { maxLength: 1 })).toThrow(RangeError);
  });

  it("encodes the built-in tiny model's prompt words as single tokens", () => {
    const model = tokenizerFiles();
    const vocab = model['tokenizer/vocab.json'];
    const built = ClipTokenizer.fromFiles(vocab, model['tokenizer/merges.txt']);
    const words = ['a', 'photo', 'of', 'the', 'cat'];
    const expected = words.map((w) => built.vocab.get(`${w}</w>`)!);
    expect(expected.every((id) => id !== undefined)).toBe(true);
    expect(Array.from(built.encode('A photo of the cat')).slice(0, 7)).toEqual([built.bosTokenId, ...expected, built.eosTokenId]);
    const pad = padTokenIdFromConfig(built.vocab, model['tokenizer/tokenizer_config.json'], model['tokenizer/special_tokens_map.json']);
    expect(pad).toBe(built.eosTokenId);
  });
});

describe('tokenizer file errors', () => {
  const good = synthetic([['c', 'a']]);
  const fails = (vocab: string, merges: string, file: string, reason: RegExp) => {
    let error: unknown;
    try {
      ClipTokenizer.fromFiles(vocab, merges);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TokenizerFileError);
    expect(error).toMatchObject({ code: 'tokenizer-file', file });
    expect((error as TokenizerFileError).reason).toMatch(reason);
    expect((error as TokenizerFileError).message).toContain(file);
  };
  const withVocab = (edit: (vocab: Record<string, unknown>) => void) => {
    const vocab = JSON.parse(good.vocab) as Record<string, unknown>;
    edit(vocab);
    return JSON.stringify(vocab);
  };

  it('names vocab.json when it is not JSON or not an object', () => {
    fails('{"a": 1', good.merges, 'vocab.json', /not valid JSON/);
    fails('[1, 2]', good.merges, 'vocab.json', /not a JSON object/);
    fails('null', good.merges, 'vocab.json', /not a JSON object/);
  });

  it('names the token whose id is not a non-negative integer', () => {
    fails(withVocab((v) => (v.zebra = '7')), good.merges, 'vocab.json', /"zebra".*"7"/);
    fails(withVocab((v) => (v.zebra = 1.5)), good.merges, 'vocab.json', /"zebra"/);
    fails(withVocab((v) => (v.zebra = -1)), good.merges, 'vocab.json', /"zebra"/);
  });

  it('names the missing special token', () => {
    fails(withVocab((v) => delete v['<|startoftext|>']), good.merges, 'vocab.json', /<\|startoftext\|>/);
    fails(withVocab((v) => delete v['<|endoftext|>']), good.merges, 'vocab.json', /<\|endoftext\|>/);
  });

  it('names the malformed merges.txt line by number', () => {
    fails(good.vocab, '#version: 0.2\nc a\nabc\n', 'merges.txt', /line 3\b.*"abc"/);
    fails(good.vocab, '#version: 0.2\nc a\na b c\n', 'merges.txt', /line 3\b/);
    fails(good.vocab, '#version: 0.2\n\nc a\n', 'merges.txt', /line 2\b/);
  });
});

describe('padTokenIdFromConfig', () => {
  const vocab = new Map([
    ['!', 0],
    ['<|startoftext|>', 49406],
    ['<|endoftext|>', 49407],
  ]);

  it('is undefined when no file names a pad token', () => {
    expect(padTokenIdFromConfig(vocab)).toBeUndefined();
    expect(padTokenIdFromConfig(vocab, '{"model_max_length": 77}', '{"bos_token": "<|startoftext|>"}')).toBeUndefined();
    expect(padTokenIdFromConfig(vocab, '{"pad_token": null}')).toBeUndefined();
  });

  it('accepts a string or an AddedToken-style object', () => {
    expect(padTokenIdFromConfig(vocab, '{"pad_token": "!"}')).toBe(0);
    const added = { __type: 'AddedToken', content: '<|endoftext|>', lstrip: false, normalized: true, rstrip: false, single_word: false };
    expect(padTokenIdFromConfig(vocab, JSON.stringify({ pad_token: added }))).toBe(49407);
    expect(padTokenIdFromConfig(vocab, undefined, JSON.stringify({ pad_token: { content: '!' } }))).toBe(0);
  });

  it('lets special_tokens_map.json override, unless the config has added_tokens_decoder', () => {
    expect(padTokenIdFromConfig(vocab, '{"pad_token": "<|endoftext|>"}', '{"pad_token": "!"}')).toBe(0);
    expect(padTokenIdFromConfig(vocab, '{"bos_token": "<|startoftext|>"}', '{"pad_token": "!"}')).toBe(0);
    const modern = JSON.stringify({ pad_token: '<|endoftext|>', added_tokens_decoder: {} });
    expect(padTokenIdFromConfig(vocab, modern, '{"pad_token": "!"}')).toBe(49407);
  });

  it('names the file when the pad token is unusable', () => {
    expect(() => padTokenIdFromConfig(vocab, '{"pad_token": "<pad>"}')).toThrow(TokenizerFileError);
    expect(() => padTokenIdFromConfig(vocab, '{"pad_token": "<pad>"}')).toThrow(/tokenizer_config\.json.*"<pad>" is not in vocab\.json/);
    expect(() => padTokenIdFromConfig(vocab, undefined, '{"pad_token": 0}')).toThrow(/special_tokens_map\.json.*neither a string/);
    expect(() => padTokenIdFromConfig(vocab, '{pad_token: "!"}')).toThrow(/tokenizer_config\.json.*not valid JSON/);
  });
});

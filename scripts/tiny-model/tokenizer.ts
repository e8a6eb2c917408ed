/** CLIP's special tokens, last in the vocabulary. */
export const START_TOKEN = '<|startoftext|>';
export const END_TOKEN = '<|endoftext|>';

// Words a prompt is likely to use; BPE is trained on them so they become single tokens.
const WORDS = `a an the of in on with and at by from under over near
photo photograph painting portrait picture drawing sketch render image art style
cat cats dog dogs bird horse fish fox owl tree trees flower flowers house city mountain mountains
river sea ocean sky sun moon star stars forest field road car boat ship train
man woman girl boy child person people face eyes hair hand
red orange yellow green blue purple pink brown black white gray grey gold silver
dark light bright big small tiny old young beautiful cute happy sad
sunset sunrise night day morning evening winter summer autumn spring snow rain cloud clouds
water fire stone wood glass metal space planet castle garden street beach lake hill
highly detailed high quality digital oil watercolor landscape abstract realistic
cinematic lighting sitting standing running flying wearing hat astronaut riding
table window room book apple coffee cup bread cake`.split(/\s+/);

/** GPT-2's reversible byte -> printable character map, in CLIP's vocabulary order. */
export function bytesToUnicode(): Map<number, string> {
  const printable: number[] = [];
  const ranges: [number, number][] = [[0x21, 0x7e], [0xa1, 0xac], [0xae, 0xff]];
  for (const [lo, hi] of ranges) for (let b = lo; b <= hi; b++) printable.push(b);
  const map = new Map<number, string>(printable.map((b) => [b, String.fromCharCode(b)]));
  let extra = 0;
  for (let b = 0; b < 256; b++) if (!map.has(b)) map.set(b, String.fromCharCode(256 + extra++));
  return map;
}

/**
 * Byte-pair merges learnt from WORDS: repeatedly merge the most frequent adjacent pair (ties broken
 * alphabetically, for determinism) until every word is a single token.
 */
export function trainMerges(words: readonly string[] = WORDS): [string, string][] {
  const pieces = words.map((word) => [...word.slice(0, -1)].concat(`${word.slice(-1)}</w>`));
  const merges: [string, string][] = [];
  for (;;) {
    const counts = new Map<string, number>();
    for (const symbols of pieces) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = `${symbols[i]} ${symbols[i + 1]}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    if (counts.size === 0) return merges;
    const [best] = [...counts].sort(([ka, a], [kb, b]) => b - a || (ka < kb ? -1 : 1))[0];
    const [left, right] = best.split(' ') as [string, string];
    merges.push([left, right]);
    for (const symbols of pieces) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        if (symbols[i] === left && symbols[i + 1] === right) symbols.splice(i, 2, left + right);
      }
    }
  }
}

/** Tokens in id order, laid out like CLIP's: bytes, bytes + `</w>`, merge results, then the two specials. */
export function vocabularyTokens(merges: readonly [string, string][]): string[] {
  const bytes = [...bytesToUnicode().values()];
  return [...bytes, ...bytes.map((b) => `${b}</w>`), ...merges.map(([a, b]) => a + b), START_TOKEN, END_TOKEN];
}

/** The four tokenizer files, as CLIPTokenizer expects them. */
export function tokenizerFiles(): Record<string, string> {
  const merges = trainMerges();
  const tokens = vocabularyTokens(merges);
  // Written by hand: JSON.stringify would hoist the digit keys ("0".."9") out of id order.
  const vocab = `{${tokens.map((token, id) => `${JSON.stringify(token)}:${id}`).join(',')}}`;
  const specials = { bos_token: START_TOKEN, eos_token: END_TOKEN, pad_token: END_TOKEN, unk_token: END_TOKEN };
  const config = { ...specials, add_prefix_space: false, do_lower_case: true, errors: 'replace', model_max_length: 77, tokenizer_class: 'CLIPTokenizer' };
  return {
    'tokenizer/vocab.json': `${vocab}\n`,
    'tokenizer/merges.txt': `#version: 0.2\n${merges.map((pair) => pair.join(' ')).join('\n')}\n`,
    'tokenizer/tokenizer_config.json': `${JSON.stringify(config, null, 2)}\n`,
    'tokenizer/special_tokens_map.json': `${JSON.stringify(specials, null, 2)}\n`,
  };
}

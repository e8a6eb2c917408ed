/**
 * AUTOMATIC1111's emphasis syntax (`parse_prompt_attention` in its
 * modules/prompt_parser.py): `(text)` x1.1, `[text]` /1.1, `(text:1.3)`,
 * nesting multiplies, an unclosed bracket weighs everything after it, an
 * unmatched closer is text, `\(` `\)` `\[` `\]` `\\` are literal, a lone `\`
 * vanishes, and `BREAK` leaves a marker that starts a new chunk.
 */
import { isBreak, WEIGHT_RANGE, type PromptNotice, type WeightedText } from '../../src/shared/prompt.ts';

const ROUND = 1.1;
const SQUARE = 1 / 1.1;

/**
 * A1111's tokens, in its order. The weight is stricter than its `[+-]?[.\d]+`:
 * "1.2.3" or "." make Python's float() raise there, so they read as text here,
 * like any other colon that is not followed by a number.
 */
const ATTENTION = /\\\(|\\\)|\\\[|\\\]|\\\\|\\|\(|\[|:\s*([+-]?(?:\d+\.?\d*|\.\d+))\s*\)|\)|\]|[^\\()[\]:]+|:/g;

/** Python's `\s*\bBREAK\b\s*`: its word characters are Unicode letters, digits and `_`. */
const BREAK = /\s*(?<![\p{L}\p{N}_])BREAK(?![\p{L}\p{N}_])\s*/u;

/** A bracket pair: multiplies the pieces `start..end-1` that existed when it closed. */
interface Span {
  start: number;
  end: number;
  multiplier: number;
}

export interface ParsedPrompt {
  /** Runs of equal weight, merged as A1111 merges them; a `BREAK` marker is `{ text: 'BREAK', weight: -1 }`. */
  pieces: WeightedText[];
  notices: PromptNotice[];
}

/**
 * Parses emphasis as A1111 does, in time linear in the prompt's length: no
 * recursion, and each piece's weight is a product along two stacks (round and
 * square brackets each nest) instead of A1111's re-multiplication of every
 * piece after an opening bracket at each close. The products are taken outer
 * bracket first rather than in closing order, which can differ from A1111 in
 * the last bit of a float64 weight; the text encoder sees float32 weights.
 */
export function parsePromptAttention(prompt: string): ParsedPrompt {
  const pieces: WeightedText[] = [];
  const spans = { round: [] as Span[], square: [] as Span[] };
  const open = { round: [] as number[], square: [] as number[] };
  const unmatched = { ')': 0, ']': 0 };
  const notices: PromptNotice[] = [];
  const close = (kind: 'round' | 'square', multiplier: number) => {
    spans[kind].push({ start: open[kind].pop()!, end: pieces.length, multiplier });
  };

  for (const match of prompt.matchAll(ATTENTION)) {
    const [token, weight] = match;
    if (token[0] === '\\') pieces.push({ text: token.slice(1), weight: 1 });
    else if (token === '(') open.round.push(pieces.length);
    else if (token === '[') open.square.push(pieces.length);
    else if (weight !== undefined && open.round.length > 0) close('round', Number(weight));
    else if (token === ')' && open.round.length > 0) close('round', ROUND);
    else if (token === ']' && open.square.length > 0) close('square', SQUARE);
    else {
      if (token === ')' || token === ']') unmatched[token]++;
      else if (token === ':' && open.round.length > 0) notAWeight(prompt, match.index, notices);
      pushText(token, pieces);
    }
  }
  for (const start of open.round) spans.round.push({ start, end: pieces.length, multiplier: ROUND });
  for (const start of open.square) spans.square.push({ start, end: pieces.length, multiplier: SQUARE });

  const weights = pieces.map((piece) => piece.weight);
  multiplyNested(weights, spans.round);
  multiplyNested(weights, spans.square);
  for (const [bracket, list] of [['(', open.round], ['[', open.square]] as const) {
    if (list.length > 0) notices.push({ kind: 'unclosed', bracket, count: list.length });
  }
  for (const bracket of [')', ']'] as const) {
    if (unmatched[bracket] > 0) notices.push({ kind: 'unmatched', bracket, count: unmatched[bracket] });
  }
  const merged = mergeRuns(pieces.map((piece, i) => ({ text: piece.text, weight: weights[i] })));
  return { pieces: clampWeights(merged, notices), notices };
}

/** Text, split at each `BREAK` into the marker A1111 uses. */
function pushText(text: string, pieces: WeightedText[]): void {
  const parts = text.split(BREAK);
  for (const [i, part] of parts.entries()) {
    if (i > 0) pieces.push({ text: 'BREAK', weight: -1 });
    pieces.push({ text: part, weight: 1 });
  }
}

/** Names what followed a colon inside `( )` that was not a weight; the first three are enough to say. */
function notAWeight(prompt: string, colon: number, notices: PromptNotice[]): void {
  if (notices.filter((notice) => notice.kind === 'not-a-weight').length >= 3) return;
  const tail = prompt.slice(colon, colon + 24);
  const end = tail.search(/[()[\]]/);
  notices.push({ kind: 'not-a-weight', text: end < 0 ? tail : tail.slice(0, end) });
}

/**
 * Multiplies each piece by every span covering it. Spans of one bracket kind
 * nest (a stack pairs them), so a sweep with a stack of running products
 * takes each piece once. Spans come in closing order; among those that start
 * at the same piece, a later one encloses an earlier one, so pushing them
 * latest first pushes the outermost first.
 */
function multiplyNested(weights: number[], spans: readonly Span[]): void {
  const byStart = new Map<number, Span[]>();
  for (let i = spans.length - 1; i >= 0; i--) {
    const span = spans[i];
    if (span.start >= span.end) continue;
    const list = byStart.get(span.start);
    if (list) list.push(span);
    else byStart.set(span.start, [span]);
  }
  const stack: { end: number; product: number }[] = [];
  for (let p = 0; p < weights.length; p++) {
    while (stack.length > 0 && stack[stack.length - 1].end <= p) stack.pop();
    for (const span of byStart.get(p) ?? []) {
      stack.push({ end: span.end, product: (stack.length > 0 ? stack[stack.length - 1].product : 1) * span.multiplier });
    }
    if (stack.length > 0) weights[p] *= stack[stack.length - 1].product;
  }
}

/** A1111 merges neighbours of identical weight into one piece, which is then tokenized as one text. */
function mergeRuns(pieces: WeightedText[]): WeightedText[] {
  if (pieces.length === 0) return [{ text: '', weight: 1 }];
  const out: WeightedText[] = [{ ...pieces[0] }];
  for (let i = 1; i < pieces.length; i++) {
    const last = out[out.length - 1];
    if (last.weight === pieces[i].weight) last.text += pieces[i].text;
    else out.push({ ...pieces[i] });
  }
  return out;
}

function clampWeights(pieces: WeightedText[], notices: PromptNotice[]): WeightedText[] {
  let first: { weight: number; to: number } | undefined;
  let count = 0;
  const out = pieces.map((piece) => {
    if (isBreak(piece)) return piece;
    const { weight } = piece;
    const to = Number.isNaN(weight) ? 1 : Math.min(WEIGHT_RANGE.max, Math.max(WEIGHT_RANGE.min, weight));
    if (to === weight) return piece;
    first ??= { weight, to };
    count++;
    return { text: piece.text, weight: to };
  });
  if (first) notices.push({ kind: 'clamped', ...first, count });
  return out;
}

/**
 * CLIP's byte-level BPE tokenizer, matching Hugging Face's slow `CLIPTokenizer`
 * as Stable Diffusion pipelines call it:
 * `tokenizer(prompt, padding="max_length", max_length=77, truncation=True)`.
 * Text cleaning follows CLIP's `basic_clean` without ftfy: NFC, HTML entities
 * unescaped twice, whitespace collapsed, lowercased.
 */
import { TokenizerFileError } from '../../src/shared/errors.ts';

const BOS = '<|startoftext|>';
const EOS = '<|endoftext|>';

/** HF keeps merges 1..48894 (`[1 : 49152 - 256 - 2 + 1]`): line 0 is the `#version` header. */
const MAX_MERGES = 49152 - 256 - 2;

/** Python `regex` \s is Unicode White_Space; JS \s would also take U+FEFF. */
const PRETOKENIZE =
  /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\p{White_Space}\p{L}\p{N}]+/giu;
const WHITESPACE = /\p{White_Space}+/gu;
/** Python's strip() also takes U+001C..U+001F, which White_Space lacks; JS trim() would take U+FEFF. */
const EDGES = /^[ \x1c-\x1f]+|[ \x1c-\x1f]+$/g;

/** GPT-2's byte -> printable char table, so no byte becomes whitespace or a control char in BPE. */
const BYTE_CHARS: readonly string[] = (() => {
  const chars: string[] = new Array(256);
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    chars[b] = String.fromCharCode(printable ? b : next++);
  }
  return chars;
})();

const CHAR_BYTES: ReadonlyMap<string, number> = new Map(BYTE_CHARS.map((char, byte) => [char, byte]));

const utf8 = new TextEncoder();

export interface ClipTokenizerOptions {
  /** Defaults to the `<|endoftext|>` id (SD 1.x); SD 2.x and Turbo pad with 0 (`"!"`). */
  padTokenId?: number;
  /** Defaults to 77, CLIP's context length. */
  maxLength?: number;
}

/** A CLIP tokenizer built from a model's `vocab.json` and `merges.txt`. */
export class ClipTokenizer {
  readonly bosTokenId: number;
  readonly eosTokenId: number;
  readonly padTokenId: number;
  readonly maxLength: number;
  /** Word (bytes already mapped to chars) -> ids; HF caches the same way, and prompts repeat words. */
  private readonly cache = new Map<string, readonly number[]>();
  /** Id -> token, built on the first `decode`. */
  private byId: string[] | undefined;

  private constructor(
    /** Token -> id, as in vocab.json. */
    readonly vocab: ReadonlyMap<string, number>,
    private readonly ranks: ReadonlyMap<string, number>,
    options: ClipTokenizerOptions,
  ) {
    this.bosTokenId = vocab.get(BOS)!;
    this.eosTokenId = vocab.get(EOS)!;
    this.padTokenId = options.padTokenId ?? this.eosTokenId;
    this.maxLength = options.maxLength ?? 77;
    if (!Number.isInteger(this.maxLength) || this.maxLength < 2) {
      throw new RangeError(`maxLength must be an integer >= 2, got ${this.maxLength}`);
    }
    if (!Number.isInteger(this.padTokenId)) throw new RangeError(`padTokenId must be an integer, got ${this.padTokenId}`);
  }

  /** Parses the two files; throws `TokenizerFileError` naming the file and the fault. */
  static fromFiles(vocabJson: string, mergesTxt: string, options: ClipTokenizerOptions = {}): ClipTokenizer {
    return new ClipTokenizer(parseVocab(vocabJson), parseMerges(mergesTxt), options);
  }

  /** `maxLength` ids: bos, the prompt's tokens (truncated), eos, then padding. */
  encode(text: string): Int32Array {
    return this.frame(this.tokenize(text, this.maxLength - 2));
  }

  /** The prompt's token ids without bos and eos, untruncated unless `limit` is given. */
  tokenize(text: string, limit = Infinity): number[] {
    const ids: number[] = [];
    for (const [word] of clean(text).matchAll(PRETOKENIZE)) {
      for (const id of this.bpe(word)) {
        if (ids.length >= limit) return ids;
        ids.push(id);
      }
    }
    return ids;
  }

  /** bos, `tokens` (at most `maxLength - 2`), eos, then padding: what the text encoder takes. */
  frame(tokens: readonly number[]): Int32Array {
    const ids = new Int32Array(this.maxLength).fill(this.padTokenId);
    const n = Math.min(tokens.length, this.maxLength - 2);
    ids[0] = this.bosTokenId;
    for (let i = 0; i < n; i++) ids[1 + i] = tokens[i];
    ids[1 + n] = this.eosTokenId;
    return ids;
  }

  /** Token ids back to (cleaned, lowercased) text, for showing where a prompt is cut. */
  decode(tokens: readonly number[]): string {
    const bytes: number[] = [];
    for (const id of tokens) {
      const token = this.tokens()[id] ?? '';
      for (const char of token.replace(/<\/w>$/, ' ')) bytes.push(char === ' ' ? 0x20 : (CHAR_BYTES.get(char) ?? 0x3f));
    }
    return new TextDecoder().decode(new Uint8Array(bytes)).trim();
  }

  private tokens(): string[] {
    if (!this.byId) {
      this.byId = [];
      for (const [token, id] of this.vocab) this.byId[id] = token;
    }
    return this.byId;
  }

  private bpe(word: string): readonly number[] {
    // Special tokens go straight to their ids, as HF's pre-seeded cache does.
    if (word === BOS) return [this.bosTokenId];
    if (word === EOS) return [this.eosTokenId];
    let chars = '';
    for (const byte of utf8.encode(word)) chars += BYTE_CHARS[byte];
    const cached = this.cache.get(chars);
    if (cached) return cached;

    const symbols = Array.from(chars);
    symbols[symbols.length - 1] += '</w>';
    while (symbols.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < symbols.length - 1; i++) {
        const rank = this.ranks.get(symbols[i] + ' ' + symbols[i + 1]);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best < 0) break;
      // Merge every occurrence of the winning pair, left to right, like HF.
      const first = symbols[best];
      const second = symbols[best + 1];
      let out = best;
      for (let i = best; i < symbols.length; i++) {
        if (i < symbols.length - 1 && symbols[i] === first && symbols[i + 1] === second) {
          symbols[out++] = first + second;
          i++;
        } else {
          symbols[out++] = symbols[i];
        }
      }
      symbols.length = out;
    }

    // HF maps an unknown symbol to unk, which CLIP sets to <|endoftext|>.
    const ids = symbols.map((s) => this.vocab.get(s) ?? this.eosTokenId);
    if (this.cache.size >= 10_000) this.cache.clear(); // a long-lived worker sees unbounded prompts
    this.cache.set(chars, ids);
    return ids;
  }
}

/**
 * The pad token id a model's optional tokenizer files ask for, or undefined when
 * they name none (then the default, `<|endoftext|>`, applies).
 */
export function padTokenIdFromConfig(
  vocab: ReadonlyMap<string, number>,
  tokenizerConfigJson?: string,
  specialTokensMapJson?: string,
): number | undefined {
  const config = parseJsonObject('tokenizer_config.json', tokenizerConfigJson);
  const map = parseJsonObject('special_tokens_map.json', specialTokensMapJson);
  // HF lets special_tokens_map.json override, unless the config is the newer kind
  // with `added_tokens_decoder`, in which case the map is not read at all.
  const sources: [string, Record<string, unknown> | undefined][] =
    config?.added_tokens_decoder !== undefined
      ? [['tokenizer_config.json', config]]
      : [['special_tokens_map.json', map], ['tokenizer_config.json', config]];
  for (const [file, json] of sources) {
    const pad = json?.pad_token;
    if (pad === undefined || pad === null) continue;
    const token = isObject(pad) ? pad.content : pad;
    if (typeof token !== 'string') throw new TokenizerFileError(file, 'pad_token is neither a string nor {content: string}');
    const id = vocab.get(token);
    if (id === undefined) throw new TokenizerFileError(file, `pad_token ${JSON.stringify(token)} is not in vocab.json`);
    return id;
  }
  return undefined;
}

function parseJsonObject(file: string, text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new TokenizerFileError(file, 'is not valid JSON');
  }
  if (!isObject(json)) throw new TokenizerFileError(file, 'is not a JSON object');
  return json;
}

function parseVocab(text: string): Map<string, number> {
  const json = parseJsonObject('vocab.json', text)!;
  const vocab = new Map<string, number>();
  for (const token of Object.keys(json)) {
    const id = json[token];
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 0x7fffffff) {
      throw new TokenizerFileError('vocab.json', `token ${JSON.stringify(token)} has id ${JSON.stringify(id)}, not a non-negative int32`);
    }
    vocab.set(token, id);
  }
  for (const special of [BOS, EOS]) {
    if (!vocab.has(special)) throw new TokenizerFileError('vocab.json', `lacks the special token ${special}`);
  }
  return vocab;
}

function parseMerges(text: string): Map<string, number> {
  // HF: read().strip().split("\n"), then drop line 0 unconditionally as the header.
  const lines = text.trim().split('\n');
  const ranks = new Map<string, number>();
  const end = Math.min(lines.length, MAX_MERGES + 1);
  for (let i = 1; i < end; i++) {
    let pair = lines[i];
    const space = pair.indexOf(' ');
    // Fast path for the usual "a b"; anything else (CRLF, tabs, runs of spaces) gets split like Python's split().
    if (space <= 0 || space === pair.length - 1 || pair.indexOf(' ', space + 1) >= 0 || pair.charCodeAt(pair.length - 1) <= 32) {
      const parts = pair.trim().split(/\s+/);
      if (parts.length !== 2 || parts[0] === '') {
        throw new TokenizerFileError('merges.txt', `line ${i + 1} is not two space-separated symbols: ${JSON.stringify(lines[i])}`);
      }
      pair = parts[0] + ' ' + parts[1];
    }
    // A repeated pair keeps its later rank, as HF's dict(zip(...)) does.
    ranks.set(pair, i - 1);
  }
  return ranks;
}

/** CLIP's basic_clean (ftfy skipped, but NFC kept: ftfy and HF's fallback both apply it) + whitespace_clean + lower. */
function clean(text: string): string {
  const unescaped = unescapeHtml(unescapeHtml(text.normalize('NFC')));
  return unescaped.replace(WHITESPACE, ' ').replace(EDGES, '').toLowerCase();
}

/** Python `html.unescape` for numeric references and the entities prompts actually carry. */
function unescapeHtml(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/gu, (match, ref: string) => {
    if (ref[0] === '#') {
      const hex = ref[1] === 'x' || ref[1] === 'X';
      const code = parseInt(ref.slice(hex ? 2 : 1), hex ? 16 : 10);
      if (code === 0) return '\ufffd';
      if (code === 0x0d) return '\r';
      if (code >= 0x80 && code <= 0x9f) return CP1252[code - 0x80];
      if ((code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff) return '\ufffd';
      if (isInvalidCodePoint(code)) return '';
      return String.fromCodePoint(code);
    }
    const named = ENTITIES.get(ref);
    if (named !== undefined) return named;
    // Python falls back to the longest legacy (no-semicolon) prefix: "&ampx" -> "&x".
    for (let len = ref.length - 1; len > 1; len--) {
      const prefix = ENTITIES.get(ref.slice(0, len));
      if (prefix !== undefined) return prefix + ref.slice(len);
    }
    return match;
  });
}

/** html's `_invalid_charrefs`: browsers read &#128;..&#159; as windows-1252. */
const CP1252 =
  '\u20ac\x81\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\x8d\u017d\x8f' +
  '\x90\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\x9d\u017e\u0178';

function isInvalidCodePoint(code: number): boolean {
  return (
    (code >= 0x01 && code <= 0x08) ||
    code === 0x0b ||
    (code >= 0x0e && code <= 0x1f) ||
    code === 0x7f ||
    (code >= 0xfdd0 && code <= 0xfdef) ||
    (code & 0xfffe) === 0xfffe
  );
}

/**
 * HTML5's legacy names (the ones that also match without ";": Latin-1 in code-point
 * order, plus a few aliases) and a handful of common modern ones; the rest of the
 * 2,231 are left as text.
 */
const ENTITIES: ReadonlyMap<string, string> = (() => {
  const latin1 =
    'nbsp iexcl cent pound curren yen brvbar sect uml copy ordf laquo not shy reg macr deg plusmn sup2 sup3 ' +
    'acute micro para middot cedil sup1 ordm raquo frac14 frac12 frac34 iquest Agrave Aacute Acirc Atilde Auml ' +
    'Aring AElig Ccedil Egrave Eacute Ecirc Euml Igrave Iacute Icirc Iuml ETH Ntilde Ograve Oacute Ocirc Otilde ' +
    'Ouml times Oslash Ugrave Uacute Ucirc Uuml Yacute THORN szlig agrave aacute acirc atilde auml aring aelig ' +
    'ccedil egrave eacute ecirc euml igrave iacute icirc iuml eth ntilde ograve oacute ocirc otilde ouml divide ' +
    'oslash ugrave uacute ucirc uuml yacute thorn yuml';
  const legacy: [string, string][] = latin1.split(' ').map((name, i) => [name, String.fromCharCode(0xa0 + i)]);
  legacy.push(['amp', '&'], ['AMP', '&'], ['lt', '<'], ['LT', '<'], ['gt', '>'], ['GT', '>']);
  legacy.push(['quot', '"'], ['QUOT', '"'], ['COPY', '\xa9'], ['REG', '\xae']);
  const modern: [string, string][] = [
    ['apos', "'"], ['hellip', '\u2026'], ['mdash', '\u2014'], ['ndash', '\u2013'], ['lsquo', '\u2018'],
    ['rsquo', '\u2019'], ['ldquo', '\u201c'], ['rdquo', '\u201d'], ['bull', '\u2022'], ['euro', '\u20ac'],
    ['trade', '\u2122'], ['hearts', '\u2665'], ['star', '\u2606'], ['rarr', '\u2192'], ['larr', '\u2190'],
  ];
  const map = new Map<string, string>();
  for (const [name, value] of legacy) map.set(name, value).set(name + ';', value);
  for (const [name, value] of modern) map.set(name + ';', value);
  return map;
})();

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

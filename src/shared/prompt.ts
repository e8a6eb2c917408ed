/**
 * Prompts as AUTOMATIC1111 reads them: emphasis, `BREAK` and 75-token chunks.
 * The types both sides use; the parser and chunker are in `workers/pipeline/`.
 */
import type { ModelSource } from './model.ts';

/** A run of prompt text and the weight its tokens get. */
export interface WeightedText {
  text: string;
  weight: number;
}

/** Tokens of one chunk (start and end token not counted), as A1111's counter shows them. */
export const CHUNK_TOKENS = 75;

/**
 * Per-token weights are clamped to this range: A1111 has none, but a weight
 * like 1.1^1000 overflows float32 and turns the image into NaN.
 */
export const WEIGHT_RANGE = { min: -10, max: 10 } as const;

/**
 * Chunks a prompt may use (600 tokens). A1111 has no limit, but every chunk
 * lengthens the UNet's cross-attention: 67 chunks of a 5,000-token prompt at
 * 512x512 need over 1 GB per attention map.
 */
export const MAX_CHUNKS = 8;

/** What the parser or chunker did that the writer may not expect; the form says it. */
export type PromptNotice =
  /** `(` or `[` never closed: A1111 weighs everything after it, to the end. */
  | { kind: 'unclosed'; bracket: '(' | '['; count: number }
  /** `)` or `]` with nothing open: kept as text. */
  | { kind: 'unmatched'; bracket: ')' | ']'; count: number }
  /** `(a:abc)`: what follows the colon is not a plain number, so it stays text and the brackets weigh 1.1. */
  | { kind: 'not-a-weight'; text: string }
  /** Weights outside `WEIGHT_RANGE` (or not a number) were clamped. */
  | { kind: 'clamped'; weight: number; to: number; count: number }
  /** Only the first `used` of `total` chunks reach the UNet. */
  | { kind: 'cut'; used: number; total: number; reason: 'limit' | 'fixed-export' };

/** One chunk as the form counts it. */
export interface ChunkCount {
  tokens: number;
  /** False for chunks beyond what the model or `MAX_CHUNKS` allows: they are cut. */
  used: boolean;
}

/** A prompt as the engine will read it, for the form. */
export interface PromptAnalysis {
  pieces: WeightedText[];
  chunks: ChunkCount[];
  notices: PromptNotice[];
  /** Where the prompt is cut, as tokenized text: the last words kept and the first words dropped. */
  cut?: { kept: string; dropped: string };
}

/** True for the marker `BREAK` leaves in the parsed prompt (A1111 keeps it as text "BREAK" with weight -1). */
export const isBreak = (piece: WeightedText): boolean => piece.text === 'BREAK' && piece.weight === -1;

/** One sentence per notice, for the form. */
export function describePromptNotice(notice: PromptNotice): string {
  switch (notice.kind) {
    case 'unclosed':
      return `${times(notice.count)} "${notice.bracket}" never closed: everything after it weighs ${notice.bracket === '(' ? '×1.1' : '÷1.1'}, as in AUTOMATIC1111.`;
    case 'unmatched':
      return `${times(notice.count)} "${notice.bracket}" with nothing open: read as text.`;
    case 'not-a-weight':
      return `"${notice.text}" is not a weight (a plain number like 1.3), so it is read as text and its brackets weigh ×1.1.`;
    case 'clamped': {
      const was = Number.isNaN(notice.weight) ? 'not a number' : String(notice.weight);
      return `${notice.count === 1 ? 'A weight' : `${notice.count} weights`} (${was}) clamped to ${notice.to}: weights range from ${WEIGHT_RANGE.min} to ${WEIGHT_RANGE.max}.`;
    }
    case 'cut':
      return notice.reason === 'fixed-export'
        ? `This model's UNet export takes exactly 77 text tokens: only the first chunk (${CHUNK_TOKENS} tokens) is used.`
        : `Only the first ${notice.used} of ${notice.total} chunks are used (at most ${MAX_CHUNKS * CHUNK_TOKENS} tokens).`;
  }
}

const times = (count: number) => (count === 1 ? 'One' : String(count));

/**
 * The prompt worker's API (`workers/prompt.worker.ts`): it reads a model's
 * tokenizer once and reads prompts as the engine will, so the form can count
 * tokens per chunk while the user types, whatever the diffusion worker does.
 */
export interface PromptApi {
  /** One analysis per prompt; `fixedTextLength` is what loading the model found (`LoadedModelFacts`). */
  analyse(source: ModelSource, prompts: string[], fixedTextLength?: number): Promise<PromptAnalysis[]>;
}

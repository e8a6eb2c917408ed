import type { ModelSource } from '../src/shared/model.ts';
import { readOptionalText, readText } from './model-files.ts';
import { ClipTokenizer, padTokenIdFromConfig } from './pipeline/tokenizer.ts';

/** The model's CLIP tokenizer, padding with the token its config names (`!` for SD 2.x). */
export async function loadTokenizer(source: ModelSource): Promise<ClipTokenizer> {
  const [vocab, merges, config, specialTokens] = await Promise.all([
    readText(source, 'tokenizer/vocab.json'),
    readText(source, 'tokenizer/merges.txt'),
    readOptionalText(source, 'tokenizer/tokenizer_config.json'),
    readOptionalText(source, 'tokenizer/special_tokens_map.json'),
  ]);
  const tokenizer = ClipTokenizer.fromFiles(vocab, merges);
  const padTokenId = padTokenIdFromConfig(tokenizer.vocab, config, specialTokens);
  return padTokenId === undefined ? tokenizer : ClipTokenizer.fromFiles(vocab, merges, { padTokenId });
}

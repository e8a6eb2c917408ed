import { describe, expect, it } from 'vitest';
import { tokenizerFiles } from '../scripts/tiny-model/tokenizer.ts';
import type { ModelSource } from '../src/shared/model.ts';
import { ClipTokenizer } from './pipeline/tokenizer.ts';
import { createPromptService } from './prompt-service.ts';

const files = tokenizerFiles();
const tiny = () => ClipTokenizer.fromFiles(files['tokenizer/vocab.json'], files['tokenizer/merges.txt']);
const source = (id: string) => ({ kind: 'url', baseUrl: `http://x/${id}/`, manifest: { id } }) as unknown as ModelSource;

describe('createPromptService', () => {
  it('reads the tokenizer once per model and analyses every prompt', async () => {
    const loads: string[] = [];
    const service = createPromptService(async (from) => {
      loads.push(from.manifest.id);
      return tiny();
    });
    const [prompt, negative] = await service.analyse(source('a'), ['a photo of a (cat:1.5)', ''], undefined);
    expect(prompt.chunks).toEqual([{ tokens: 5, used: true }]);
    expect(prompt.pieces.at(-1)).toEqual({ text: 'cat', weight: 1.5 });
    expect(negative.chunks).toEqual([{ tokens: 0, used: true }]);
    await service.analyse(source('a'), ['a cat'], undefined);
    await service.analyse(source('b'), ['a cat'], 77);
    expect(loads).toEqual(['a', 'b']);
  });

  it('cuts at the first chunk for a UNet fixed at 77 tokens', async () => {
    const service = createPromptService(async () => tiny());
    const [analysis] = await service.analyse(source('a'), ['a '.repeat(80)], 77);
    expect(analysis.chunks).toEqual([
      { tokens: 75, used: true },
      { tokens: 5, used: false },
    ]);
    expect(analysis.cut).toEqual({ kept: 'a a a a a a', dropped: 'a a a a a' });
  });

  it('tries the tokenizer files again after a failed read', async () => {
    let fail = true;
    const service = createPromptService(async () => {
      if (fail) throw new Error('offline');
      return tiny();
    });
    await expect(service.analyse(source('a'), ['x'], undefined)).rejects.toThrow('offline');
    fail = false;
    await expect(service.analyse(source('a'), ['x'], undefined)).resolves.toHaveLength(1);
  });
});

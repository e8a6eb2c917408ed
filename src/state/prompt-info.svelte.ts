import type { Remote } from 'comlink';
import { spawnPromptWorker } from '../engine/prompt-client.ts';
import type { ModelSource } from '../shared/model.ts';
import type { PromptAnalysis, PromptApi } from '../shared/prompt.ts';

interface Request {
  source: ModelSource;
  prompt: string;
  negativePrompt: string;
  fixedTextLength?: number;
}

/**
 * The prompt and negative prompt as the engine will read them, for the form.
 * One question is in flight at a time and only the newest waits, so typing
 * fast never queues work in the prompt worker.
 */
class PromptInfo {
  prompt = $state.raw<PromptAnalysis | undefined>();
  negativePrompt = $state.raw<PromptAnalysis | undefined>();
  /** Why there are no counts: the tokenizer files could not be read. */
  error = $state.raw<string | undefined>();

  #worker: Remote<PromptApi> | undefined;
  #next: Request | undefined;
  #busy = false;

  /** Analyses these prompts soon; the answer lands in `prompt` and `negativePrompt`. */
  request(next: Request): void {
    this.#next = next;
    if (!this.#busy) void this.#drain();
  }

  async #drain(): Promise<void> {
    this.#busy = true;
    while (this.#next) {
      const { source, prompt, negativePrompt, fixedTextLength } = this.#next;
      this.#next = undefined;
      try {
        [this.prompt, this.negativePrompt] = await (this.#worker ??= spawnPromptWorker()).analyse(source, [prompt, negativePrompt], fixedTextLength);
        this.error = undefined;
      } catch (error) {
        this.prompt = this.negativePrompt = undefined;
        this.error = error instanceof Error ? error.message : String(error);
      }
    }
    this.#busy = false;
  }
}

export const promptInfo = new PromptInfo();

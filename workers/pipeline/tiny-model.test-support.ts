/**
 * The tiny generated model as the pipeline's unit tests use it: its sessions
 * on ORT's wasm backend, all held, wrapped as the worker wraps them.
 */
import * as ort from 'onnxruntime-web';
import { tinyModelFiles, type TinyModelShape } from '../../scripts/make-tiny-model.ts';
import { modelNetworks, networkPath, perNetwork, type NetworkName } from '../../src/shared/networks.ts';
import { allResident, createComponentSession, describeUnet, describeVaeEncoder, wrapSessions, type RuntimeOptions } from '../runtime/components.ts';
import type { DiffusionModel } from './generate.ts';
import { chunkLimit } from './prompt-chunks.ts';
import { parseSchedulerConfig } from './schedulers/index.ts';
import { ClipTokenizer } from './tokenizer.ts';

ort.env.wasm.numThreads = 1;
export const wasmRuntime = { ort, backend: 'wasm' } as unknown as RuntimeOptions;

/** The tiny model's files and a loader for its pipeline model. */
export function tinyModel(variant = 1, shape: TinyModelShape = {}) {
  const files = tinyModelFiles(variant, shape);
  const text = (path: string) => new TextDecoder().decode(files.get(path)!);
  const createSession = (name: NetworkName) => createComponentSession(wasmRuntime, name, files.get(networkPath(name))!);
  return {
    files,
    createSession,
    async load(): Promise<DiffusionModel> {
      const created: Partial<Record<NetworkName, ort.InferenceSession>> = {};
      for (const name of modelNetworks([...files.keys()])) created[name] = await createSession(name);
      const sessions = perNetwork((name) => created[name]);
      const unet = describeUnet(sessions.unet);
      return {
        components: wrapSessions(wasmRuntime, allResident(sessions), { unet, encoder: sessions.vaeEncoder && describeVaeEncoder(sessions.vaeEncoder) }),
        tokenizer: ClipTokenizer.fromFiles(text('tokenizer/vocab.json'), text('tokenizer/merges.txt')),
        textLimit: chunkLimit(unet.fixedTextLength),
        schedulerConfig: parseSchedulerConfig(JSON.parse(text('scheduler/scheduler_config.json'))),
        vaeScalingFactor: 0.18215,
      };
    },
  };
}

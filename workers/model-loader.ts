/**
 * Loads a model into the worker: its tokenizer, its scheduler config and one
 * ORT session per network, read from where its `ModelSource` says. The engine
 * decides when; this module knows how.
 */
import type { LoadedModelFacts } from '../src/shared/engine-api.ts';
import { parsePythonJson } from '../src/shared/json-check.ts';
import type { ModelSource } from '../src/shared/model.ts';
import { modelNetworks, NETWORKS, networkPath, perNetwork, type NetworkName } from '../src/shared/networks.ts';
import type { Progress } from '../src/shared/progress.ts';
import { externalDataOf, readPreviewDecoder, readText, readWeightsFile } from './model-files.ts';
import { loadTokenizer } from './model-tokenizer.ts';
import { chunkLimit } from './pipeline/prompt-chunks.ts';
import { parseSchedulerConfig } from './pipeline/schedulers/index.ts';
import type { DiffusionModel } from './pipeline/generate.ts';
import {
  allResident,
  createComponentSession,
  describeUnet,
  describeVaeEncoder,
  keepOnGpu,
  oneAtATime,
  releaseSession,
  wrapSessions,
  type ComponentSessions,
  type RuntimeOptions,
  type SessionFacts,
} from './runtime/components.ts';
import { createPreviewDecoder, type LoadedPreviewDecoder } from './runtime/preview-decoder.ts';

async function loadSchedulerConfig(source: ModelSource) {
  const path = 'scheduler/scheduler_config.json';
  return parseSchedulerConfig(parsePythonJson(await readText(source, path), path));
}

type Session = Awaited<ReturnType<typeof createComponentSession>>;

/** A model with its sessions created, as the engine keeps it resident. */
export interface LoadedModel extends DiffusionModel {
  source: ModelSource;
  facts: LoadedModelFacts;
  lowMemory: boolean;
  sessions: ComponentSessions;
  previewDecoder?: LoadedPreviewDecoder;
  /** The file `previewDecoder` was created from, as JSON. */
  previewFrom?: string;
}

/**
 * Creates one component's session. The graph's and the external data's bytes
 * live only in this call, so they are collectable as soon as ORT has
 * copied them: ORT keeps no reference (docs/ort-web.md, "Loading weights").
 * ORT's JSPI build takes stored weights as a Blob and reads them one at a
 * time, so the UNet's 3.46 GB of external data and the text encoder's 1.36 GB
 * graph never sit in memory at once.
 * Text embeddings stay on the GPU only while the text encoder stays alive.
 */
async function loadComponent(rt: RuntimeOptions, source: ModelSource, name: NetworkName, lowMemory: boolean) {
  const path = networkPath(name);
  const start = performance.now();
  const asBlob = rt.ortBuild === 'jspi';
  const graph = await readWeightsFile(source, path, asBlob);
  const external = externalDataOf(source, path);
  const files = await Promise.all(external.map(async (file) => ({ name: file.name, data: await readWeightsFile(source, file.path, asBlob) })));
  const readMs = performance.now() - start;
  const extra = name === 'textEncoder' && !lowMemory ? keepOnGpu(rt, NETWORKS.textEncoder.output) : {};
  const session = await createComponentSession(rt, name, graph, extra, files);
  return { session, readMs, bytes: (graph instanceof Blob ? graph.size : graph.length) + external.reduce((sum, file) => sum + file.size, 0), ms: performance.now() - start };
}

/**
 * The order the model's sessions are created in: as the pipeline runs them,
 * except that low-memory mode, which checks every network once and releases
 * each, ends with the text encoder, needed first, and keeps it alive. The VAE
 * encoder is one more network where the model has one.
 */
function loadOrder(source: ModelSource, lowMemory: boolean): NetworkName[] {
  const [first, ...rest] = modelNetworks(source.manifest.files.map((file) => file.path));
  return lowMemory ? [...rest, first] : [first, ...rest];
}

/** The same model files: a model deleted and added again under its id may have others. */
export const sameModel = (a: ModelSource, b: ModelSource) => a.kind === b.kind && JSON.stringify(a.manifest) === JSON.stringify(b.manifest);

export async function releaseModels(models: LoadedModel[]): Promise<void> {
  for (const model of models) {
    await model.components.release();
    await model.previewDecoder?.release();
  }
}

/**
 * Creates or releases the model's preview decoder as its source now says (a
 * preview decoder downloaded or deleted since the model loaded). Low-memory
 * mode has none: it holds one network at a time, and swapping the decoder in
 * at each step would create the UNet again every step; the latent
 * approximation stands in (docs/previews.md).
 */
export async function syncPreviewDecoder(rt: RuntimeOptions, model: LoadedModel, source: ModelSource): Promise<void> {
  const wanted = model.lowMemory ? undefined : source.previewDecoder;
  const from = wanted && JSON.stringify(wanted);
  if (from === model.previewFrom) return;
  const old = model.previewDecoder;
  model.previewDecoder = model.previewFrom = undefined;
  await old?.release();
  if (!wanted) return;
  model.previewDecoder = await createPreviewDecoder(rt, await readPreviewDecoder(wanted), model.components.timings);
  model.previewFrom = from;
}

/**
 * Reads a model's tokenizer and scheduler config and creates its sessions:
 * all held, or (low-memory mode) each checked once and then created one
 * at a time as the pipeline needs it, `onSwap` told before each.
 */
export async function createModel(
  rt: RuntimeOptions,
  source: ModelSource,
  lowMemory: boolean,
  onProgress: (progress: Progress) => void,
  onSwap: (network: NetworkName) => void,
): Promise<LoadedModel> {
  const [tokenizer, schedulerConfig] = await Promise.all([loadTokenizer(source), loadSchedulerConfig(source)]);
  const order = loadOrder(source, lowMemory);
  const from = source.kind === 'store' ? 'indexeddb' : 'network';
  const created: Partial<Record<NetworkName, Session>> = {};
  const described: Partial<SessionFacts> = {};
  try {
    // One component at a time, so at most one component's staging memory is alive.
    for (const [index, name] of order.entries()) {
      const { session, ms, readMs, bytes } = await loadComponent(rt, source, name, lowMemory);
      if (name === 'unet') described.unet = describeUnet(session, source.manifest.unetInChannels);
      if (name === 'vaeEncoder') described.encoder = describeVaeEncoder(session);
      if (lowMemory && name !== 'textEncoder') await releaseSession(session);
      else created[name] = session;
      onProgress({ phase: 'load', component: name, index: index + 1, count: order.length, ms, readMs, bytes, from });
    }
  } catch (error) {
    for (const session of Object.values(created)) await releaseSession(session);
    throw error;
  }
  const sessions = lowMemory
    ? oneAtATime(
        async (name) => {
          onSwap(name);
          return (await loadComponent(rt, source, name, true)).session;
        },
        { name: 'textEncoder', session: created.textEncoder! },
      )
    : allResident(perNetwork((name) => created[name]));
  const facts = { unet: described.unet!, encoder: described.encoder };
  return {
    source,
    lowMemory,
    sessions,
    components: wrapSessions(rt, sessions, facts),
    tokenizer,
    facts: {
      fixedTextLength: facts.unet.fixedTextLength,
      imageInput: facts.encoder && { encoder: facts.encoder, inpaintingUnet: facts.unet.sampleChannels !== 4 },
    },
    textLimit: chunkLimit(facts.unet.fixedTextLength),
    schedulerConfig,
    vaeScalingFactor: source.manifest.vaeScalingFactor,
  };
}

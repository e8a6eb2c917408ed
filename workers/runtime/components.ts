import type * as OrtModule from 'onnxruntime-web';
import { ModelFileError } from '../../src/shared/errors.ts';
import type { Backend, OrtBuild } from '../../src/shared/backend.ts';
import type { UnetInChannels } from '../../src/shared/model.ts';
import { NETWORK_NAMES, NETWORKS, networkOutputs, networkPath, type EncoderOutput, type NetworkName, type PerNetwork } from '../../src/shared/networks.ts';
import type { DiffusionComponents, TextEmbeddings } from '../pipeline/components.ts';
import { blobSource, bytesSource, relativeLocation, scanOnnx, type ByteSource } from '../store/onnx-scan.ts';
import { guidanceScaleEmbedding } from '../pipeline/guidance-embedding.ts';
import { EMBEDDED_WEIGHTS, moveEmbeddedWeights } from './embedded-weights.ts';
import { ortAssets, runtimeStartError } from './runtime-start.ts';
import { createSerialQueue, ortQueue } from './serial.ts';
import { sessionOptions } from './session-options.ts';
import { paceUploads, weightsBlob } from './weights-blob.ts';

type Ort = typeof OrtModule;
type Session = OrtModule.InferenceSession;

export interface RuntimeOptions {
  ort: Ort;
  /** Which build `ort` is: only JSPI's reads external data given as a Blob in slices. */
  ortBuild: OrtBuild;
  backend: Backend;
  device?: GPUDevice;
}

/**
 * An external-data file as ORT takes it: `name` relative to the graph's folder,
 * `data` its bytes, or a Blob where the build reads one in slices (asyncify's
 * reads it whole, which Chromium refuses over 2 GiB; docs/ort-web.md,
 * "Loading weights").
 */
export interface ExternalDataFile {
  name: string;
  data: Uint8Array | Blob;
}

/**
 * Pairs each external-data location the graph records with a file, before ORT
 * sees it: after a failed external-data load the native WebGPU EP refuses
 * every later session (docs/ort-web.md, "One queue for every call"), so a
 * missing file must fail here.
 */
async function externalDataOption(path: string, graph: ByteSource, files: readonly ExternalDataFile[]) {
  const { externalData } = await scanOnnx(graph, path);
  return externalData.map((location) => {
    const file = files.find((candidate) => relativeLocation(candidate.name) === relativeLocation(location));
    if (!file) throw new ModelFileError(path, `needs the external-data file "${location}" beside it, which the model does not have`);
    // ORT matches `path` against the location string exactly as the graph records it.
    return { path: location, data: file.data };
  });
}

/**
 * A file whose weights ORT reads from a Blob goes to it as a `weightsBlob`,
 * its uploads paced on WebGPU; one session's files share the pace.
 */
function paced(runtime: RuntimeOptions): (file: ExternalDataFile) => ExternalDataFile {
  const beforeWeight = runtime.device && paceUploads(runtime.device);
  return ({ name, data }) => ({ name, data: data instanceof Blob ? weightsBlob(data, beforeWeight) : data });
}

/** A graph the pipeline runs: where it lives and the inputs and output the pipeline uses. */
export interface SessionSpec {
  path: string;
  inputs: readonly string[];
  output: string;
  /** Names the graph may give its output instead (see `NetworkSpec.otherOutputs`). */
  otherOutputs?: readonly string[];
}

/** One of the model's networks' sessions; see `createSession`. */
export const createComponentSession = (
  runtime: RuntimeOptions,
  name: NetworkName,
  file: Uint8Array | Blob,
  extra: OrtModule.InferenceSession.SessionOptions = {},
  externalFiles: readonly ExternalDataFile[] = [],
): Promise<Session> => createSession(runtime, { ...NETWORKS[name], path: networkPath(name) }, file, extra, externalFiles);

/**
 * Creates one session from the graph (bytes, or a Blob where the build reads
 * its weights from one) and its external data, and checks it has what the
 * pipeline feeds and reads. The create runs in `ortQueue`.
 */
export async function createSession(
  runtime: RuntimeOptions,
  spec: SessionSpec,
  file: Uint8Array | Blob,
  extra: OrtModule.InferenceSession.SessionOptions = {},
  externalFiles: readonly ExternalDataFile[] = [],
): Promise<Session> {
  const { path } = spec;
  const source = file instanceof Blob ? blobSource(file) : bytesSource(file);
  const moved = await moveEmbeddedWeights(source);
  const files = moved ? [...externalFiles, { name: EMBEDDED_WEIGHTS, data: file }] : externalFiles;
  const externalData = await externalDataOption(path, moved ? bytesSource(moved) : source, files.map(paced(runtime)));
  // Scanned first, so a file that is not ONNX is named before it is read whole; one with no weights inside is small.
  const graph = moved ?? (file instanceof Blob ? new Uint8Array(await file.arrayBuffer()) : file);
  let session: Session;
  try {
    session = await ortQueue(() =>
      runtime.ort.InferenceSession.create(graph, { ...sessionOptions(runtime.backend, runtime.device), ...extra, ...(externalData.length > 0 ? { externalData } : {}) }),
    );
  } catch (error) {
    throw (await runtimeStartError(error, ortAssets(runtime.ort))) ?? new ModelFileError(path, `is not a usable ONNX model (${(error as Error).message})`);
  }
  const missing = spec.inputs.find((input) => !session.inputNames.includes(input));
  const outputs = [spec.output, ...(spec.otherOutputs ?? [])];
  const problem = missing
    ? `lacks the input "${missing}" (it has ${session.inputNames.join(', ')})`
    : outputs.some((output) => session.outputNames.includes(output))
      ? undefined
      : `lacks the output "${outputs.join('" or "')}" (it has ${session.outputNames.join(', ')})`;
  if (problem) {
    await releaseSession(session);
    throw new ModelFileError(path, problem);
  }
  return session;
}

export const releaseSession = (session: Session): Promise<void> => ortQueue(() => session.release());

/** What the pipeline must know of a UNet's inputs, read once so low-memory mode can release the UNet between jobs. */
export interface UnetInputs {
  timestepType: 'float32' | 'int64';
  /** diffusers' ONNX pipeline feeds a single timestep where the export fixed the batch to 1. */
  singleTimestep: boolean;
  /** LCM-distilled UNets take the guidance scale embedded, as [batch, time_cond_proj_dim]. */
  guidanceDim?: number;
  /** Text tokens the export fixes `encoder_hidden_states` to (77: one chunk); absent where it takes any length. */
  fixedTextLength?: number;
  /** 4, or 9 for inpainting UNets; where the export leaves the dimension open, what the manifest says, else 4. */
  sampleChannels: number;
}

/** Reads the UNet's inputs; `declaredChannels` is the manifest's `unetInChannels`, which a graph that fixes the dimension must match. */
export function describeUnet(unet: Pick<Session, 'inputMetadata'>, declaredChannels?: UnetInChannels): UnetInputs {
  const timestep = unet.inputMetadata.find((m) => m.name === 'timestep');
  const guidance = unet.inputMetadata.find((m) => m.name === 'timestep_cond');
  const text = unet.inputMetadata.find((m) => m.name === 'encoder_hidden_states');
  const textLength = text?.isTensor ? text.shape[1] : undefined;
  const sample = unet.inputMetadata.find((m) => m.name === 'sample');
  const channels = sample?.isTensor ? sample.shape[1] : undefined;
  if (typeof channels === 'number' && declaredChannels !== undefined && channels !== declaredChannels) {
    throw new ModelFileError(networkPath('unet'), `takes ${channels} input channels where the model's manifest says ${declaredChannels} (unetInChannels)`);
  }
  return {
    sampleChannels: typeof channels === 'number' ? channels : (declaredChannels ?? 4),
    timestepType: timestep?.isTensor && timestep.type === 'float32' ? 'float32' : 'int64',
    singleTimestep: Boolean(timestep?.isTensor && timestep.shape[0] === 1),
    guidanceDim: guidance ? (guidance.isTensor && typeof guidance.shape[1] === 'number' ? guidance.shape[1] : 256) : undefined,
    fixedTextLength: typeof textLength === 'number' ? textLength : undefined,
  };
}

/** Which of its two kinds a VAE encoder export is, told by its output's name. */
export function describeVaeEncoder(encoder: Session): EncoderOutput {
  return encoder.outputNames.includes(NETWORKS.vaeEncoder.output) ? 'distribution' : 'sample';
}

function timestepTensor(ort: Ort, unet: UnetInputs, timestep: number, batch: number): OrtModule.Tensor {
  const count = unet.singleTimestep ? 1 : batch;
  if (unet.timestepType === 'float32') return new ort.Tensor('float32', new Float32Array(count).fill(timestep), [count]);
  // numpy's astype(int64), as diffusers does, truncates fractional timesteps.
  return new ort.Tensor('int64', new BigInt64Array(count).fill(BigInt(Math.trunc(timestep))), [count]);
}

/** What the pipeline must know of a model's sessions, read once at load: low-memory mode releases them between uses. */
export interface SessionFacts {
  unet: UnetInputs;
  /** Absent for a model without a VAE encoder. */
  encoder?: EncoderOutput;
}

/** Where the wrapped sessions come from: all held, or one at a time (low-memory mode). */
export interface ComponentSessions {
  /** The session for `name`, created first (after releasing another) when it is not alive. */
  use(name: NetworkName): Promise<Session>;
  /** Components whose sessions are alive now. */
  alive(): NetworkName[];
  release(): Promise<void>;
}

/** All three sessions, created up front and held until released. */
export function allResident(sessions: PerNetwork<Session>): ComponentSessions {
  let held: Partial<Record<NetworkName, Session>> = sessions;
  return {
    use: async (name) => held[name] ?? Promise.reject(new Error(`The ${name} session was released`)),
    alive: () => NETWORK_NAMES.filter((name) => held[name] !== undefined),
    async release() {
      const all = Object.values(held);
      held = {};
      for (const session of all) await releaseSession(session);
    },
  };
}

/**
 * At most one session alive: using another component releases the current one
 * before `load` creates the next, so peak GPU memory is the largest component
 * rather than the sum. `first` is the session alive to begin with.
 */
export function oneAtATime(load: (name: NetworkName) => Promise<Session>, first: { name: NetworkName; session: Session }): ComponentSessions {
  let current: { name: NetworkName; session: Session } | undefined = first;
  const swaps = createSerialQueue();
  const drop = async () => {
    const old = current;
    current = undefined;
    if (old) await releaseSession(old.session);
  };
  return {
    use: (name) =>
      swaps(async () => {
        if (current?.name === name) return current.session;
        await drop();
        const session = await load(name);
        current = { name, session };
        return session;
      }),
    alive: () => (current ? [current.name] : []),
    release: () => swaps(drop),
  };
}

/**
 * Wraps the sessions as the pipeline's `DiffusionComponents`. Under WebGPU
 * with all sessions held, the text embeddings stay where the text encoder left
 * them (on the GPU) for all steps; the UNet output is read back each step for
 * the scheduler.
 */
export function wrapSessions(runtime: RuntimeOptions, sessions: ComponentSessions, { unet, encoder }: SessionFacts): DiffusionComponents {
  const { ort } = runtime;
  const timings = { sessionRunMs: 0, unetRuns: 0 };
  const timedRun = async (name: NetworkName, feeds: Record<string, OrtModule.Tensor>) => {
    const session = await sessions.use(name);
    const output = networkOutputs(name).find((candidate) => session.outputNames.includes(candidate))!;
    return ortQueue(async () => {
      const start = performance.now();
      const result = await session.run(feeds, [output]);
      timings.sessionRunMs += performance.now() - start;
      return result[output];
    });
  };
  // getData(true) downloads GPU outputs and frees them: undisposed outputs leak (docs/ort-web.md, "GPU outputs").
  const readFloat32 = async (tensor: OrtModule.Tensor) => (await tensor.getData(true)) as Float32Array;

  return {
    timings,
    embedsGuidance: unet.guidanceDim !== undefined,
    unetChannels: unet.sampleChannels,
    imageEncoder: encoder && {
      output: encoder,
      encode: async (image, shape) => readFloat32(await timedRun('vaeEncoder', { sample: new ort.Tensor('float32', image, shape) })),
    },
    async encodeText(ids, batch): Promise<TextEmbeddings> {
      const input = new ort.Tensor('int32', ids, [batch, ids.length / batch]);
      const tensor = await timedRun('textEncoder', { input_ids: input });
      return { batch, tensor, dispose: () => tensor.dispose() };
    },
    async encodeTextRows(ids, rows) {
      const input = new ort.Tensor('int32', ids, [rows, ids.length / rows]);
      return readFloat32(await timedRun('textEncoder', { input_ids: input }));
    },
    textFromCpu(data, batch, length) {
      const tensor = new ort.Tensor('float32', data, [batch, length, data.length / (batch * length)]);
      return { batch, tensor, dispose: () => tensor.dispose() };
    },
    async predictNoise(sample, shape, timestep, text, guidance) {
      timings.unetRuns++;
      const feeds: Record<string, OrtModule.Tensor> = {
        sample: new ort.Tensor('float32', sample, shape),
        timestep: timestepTensor(ort, unet, timestep, shape[0]),
        encoder_hidden_states: text.tensor as OrtModule.Tensor,
      };
      if (unet.guidanceDim !== undefined) {
        feeds.timestep_cond = new ort.Tensor('float32', guidanceScaleEmbedding(guidance, unet.guidanceDim, shape[0]), [shape[0], unet.guidanceDim]);
      }
      return readFloat32(await timedRun('unet', feeds));
    },
    async decode(latents, shape) {
      return readFloat32(await timedRun('vaeDecoder', { latent_sample: new ort.Tensor('float32', latents, shape) }));
    },
    release: () => sessions.release(),
  };
}

/** Session options that keep one output on the GPU between runs. */
export function keepOnGpu(runtime: RuntimeOptions, output: string): OrtModule.InferenceSession.SessionOptions {
  return runtime.backend === 'webgpu' ? { preferredOutputLocation: { [output]: 'gpu-buffer' } } : {};
}

/**
 * The ONNX networks of a diffusers-layout model that Hearth runs: one entry
 * each, under the one name code, progress and the catalog use. A new network
 * (a VAE encoder, a preview decoder) is one more entry with `required: false`;
 * manifests, the catalog, memory estimates and labels follow from here.
 */

export interface NetworkSpec {
  /** The diffusers folder: the graph is `<folder>/model.onnx`, its external data beside it. */
  folder: string;
  /** The name users read in the status, the report and the memory advice. */
  label: string;
  /** What the pipeline feeds and reads; a graph that lacks one is refused at load. */
  inputs: readonly string[];
  output: string;
  /**
   * Names an export may give its output instead of `output`; the pipeline
   * reads whichever the graph has, and what it is tells the pipeline what it gets.
   */
  otherOutputs?: readonly string[];
  /** Text-to-image needs it: a manifest or catalog variant without it is refused. */
  required: boolean;
}

export const NETWORKS = {
  textEncoder: { folder: 'text_encoder', label: 'text encoder', inputs: ['input_ids'], output: 'last_hidden_state', required: true },
  unet: { folder: 'unet', label: 'UNet', inputs: ['sample', 'timestep', 'encoder_hidden_states'], output: 'out_sample', required: true },
  vaeDecoder: { folder: 'vae_decoder', label: 'VAE decoder', inputs: ['latent_sample'], output: 'sample', required: true },
  // Its two kinds of export are told apart by their output's name: see EncoderOutput.
  vaeEncoder: { folder: 'vae_encoder', label: 'VAE encoder', inputs: ['sample'], output: 'latent_parameters', otherOutputs: ['latent_sample'], required: false },
} as const satisfies Record<string, NetworkSpec>;

export type NetworkName = keyof typeof NETWORKS;

/**
 * What a VAE encoder export gives: the latent distribution's parameters (mean
 * and log-variance, 8 channels; optimum's `latent_parameters`), which the
 * pipeline samples with the job's generator, or a sample (4 channels;
 * `latent_sample` of diffusers' old conversion script), often drawn inside
 * the graph from a random source the seed does not fix.
 */
export type EncoderOutput = 'distribution' | 'sample';


/** The networks a model must have. */
export type RequiredNetwork = { [N in NetworkName]: (typeof NETWORKS)[N]['required'] extends true ? N : never }[NetworkName];

/** One value for each network a model has: every required one, an optional one only where the model has it. */
export type PerNetwork<T> = Record<RequiredNetwork, T> & Partial<Record<NetworkName, T>>;

/** The required ones in the order text-to-image runs them, then the optional ones. */
export const NETWORK_NAMES = Object.keys(NETWORKS) as NetworkName[];

export const REQUIRED_NETWORKS = NETWORK_NAMES.filter((name): name is RequiredNetwork => NETWORKS[name].required);

/** The output names a graph of `name` may have, the usual one first. */
export const networkOutputs = (name: NetworkName): readonly string[] => {
  const spec: NetworkSpec = NETWORKS[name];
  return [spec.output, ...(spec.otherOutputs ?? [])];
};

/** The networks a model with these files has: every required one, and each optional one whose graph is among them. */
export const modelNetworks = (paths: readonly string[]): NetworkName[] =>
  NETWORK_NAMES.filter((name) => NETWORKS[name].required || paths.includes(networkPath(name)));

/** Whether a model with these files can start from a picture (image to image, inpainting): it needs a VAE encoder. */
export const startsFromPicture = (paths: readonly string[]): boolean => paths.includes(networkPath('vaeEncoder'));

/** The graph's path in a model's files. */
export const networkPath = (name: NetworkName): string => `${NETWORKS[name].folder}/model.onnx`;

/** The network as users read it: `textEncoder` is "text encoder". */
export const networkLabel = (name: NetworkName): string => NETWORKS[name].label;

/** The network whose folder holds `path` (`unet/model.onnx_data` is the UNet's), if any. */
export const networkOf = (path: string): NetworkName | undefined => NETWORK_NAMES.find((name) => path.startsWith(`${NETWORKS[name].folder}/`));

/** Bytes of each network's files (graph plus external data) among `files`, found by folder; 0 for a network not among them. */
export function networkBytes(files: readonly { path: string; bytes: number }[]): { network: NetworkName; bytes: number }[] {
  return NETWORK_NAMES.map((network) => ({ network, bytes: files.filter((file) => networkOf(file.path) === network).reduce((sum, file) => sum + file.bytes, 0) }));
}

/**
 * Builds one value per network: `make` gives `undefined` for an optional
 * network the model lacks. The check that every required network got a value
 * is the one place the `PerNetwork` shape is asserted.
 */
export function perNetwork<T>(make: (name: NetworkName) => T | undefined): PerNetwork<T> {
  const values: Partial<Record<NetworkName, T>> = {};
  for (const name of NETWORK_NAMES) {
    const value = make(name);
    if (value !== undefined) values[name] = value;
    else if (NETWORKS[name].required) throw new Error(`No value for the ${networkLabel(name)}, which every model needs`);
  }
  return values as PerNetwork<T>;
}

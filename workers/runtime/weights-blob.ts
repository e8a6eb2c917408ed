/**
 * Stored weights as ORT's JSPI build reads them: a Blob of which ORT takes one
 * slice per weight, streams it into a scratch buffer and uploads it
 * (docs/ort-web.md, "Loading weights"). Two things about those reads matter
 * here, and this Blob sees to both.
 */

/** What waits before the next weight is read; given that weight's size in bytes. */
export type BeforeWeight = (bytes: number) => Promise<void>;

/**
 * A Blob that keeps the streams of its slices referenced for as long as it
 * lives, and lets `beforeWeight` hold back each slice's first read. Chromium
 * collects a stream that nothing but its pending read refers to, and the read
 * then never settles: that hung a create for good. ORT holds the Blob itself
 * until the create ends.
 */
class WeightsBlob extends Blob {
  readonly #streams: ReadableStream[] = [];

  constructor(
    parts: BlobPart[],
    readonly beforeWeight?: BeforeWeight,
  ) {
    super(parts);
  }

  override slice(start?: number, end?: number, contentType?: string): Blob {
    const part = super.slice(start, end, contentType);
    const { beforeWeight } = this;
    const streams = this.#streams;
    part.stream = function () {
      const stream = beforeWeight ? heldBack(Blob.prototype.stream.call(this), beforeWeight(this.size)) : Blob.prototype.stream.call(this);
      streams.push(stream);
      return stream;
    };
    return part;
  }
}

/** `blob` for ORT to read weights from; see `WeightsBlob`. */
export const weightsBlob = (blob: Blob, beforeWeight?: BeforeWeight): Blob => new WeightsBlob([blob], beforeWeight);

/**
 * A byte stream of `inner` whose reads wait for `ready`. Reads go straight into
 * the reader's own buffer, as ORT's BYOB reads of the Blob itself would.
 */
function heldBack(inner: ReadableStream<Uint8Array<ArrayBuffer>>, ready: Promise<void>): ReadableStream<Uint8Array<ArrayBuffer>> {
  let reader: ReadableStreamBYOBReader;
  return new ReadableStream({
    type: 'bytes',
    // A default reader then gets chunks of this size; ORT's BYOB reader brings its own buffer.
    autoAllocateChunkSize: 1 << 20,
    async start() {
      await ready;
      reader = inner.getReader({ mode: 'byob' });
    },
    async pull(controller) {
      const request = controller.byobRequest!;
      const view = request.view!;
      const { value, done } = await reader.read(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
      // The read took the request's buffer and hands it back in `value`, empty at the end.
      if (done) controller.close();
      request.respondWithNewView(value!);
    },
    cancel: (reason) => reader?.cancel(reason),
  });
}

// Staging buffers in flight at once: enough to keep the GPU busy while the next weights are read.
const PACE_BYTES = 64 * 1024 * 1024;

/**
 * Waits, after every `PACE_BYTES` of weights, until `device` has done the work
 * submitted so far. ORT uploads each weight through a staging buffer of its
 * size and destroys it at once, but Chromium and the GPU process free it only
 * when the copy is done; unchecked, a model's uploads outrun the copies and
 * the staging memory piles up in both processes (docs/real-size.md, "Memory
 * at load").
 */
export function paceUploads(device: GPUDevice): BeforeWeight {
  let since = 0;
  return async (bytes) => {
    if (since >= PACE_BYTES) {
      since = 0;
      await device.queue.onSubmittedWorkDone();
    }
    since += bytes;
  };
}

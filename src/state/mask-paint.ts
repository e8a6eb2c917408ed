/**
 * The mask painter's model: strokes of round brush stamps onto a one-byte-a-
 * pixel mask at the job's size (255 repaints, 0 keeps), with undo of the last
 * stroke, clear and invert. Pure, so it is tested in Node; the canvas only
 * shows it.
 */

export interface MaskPoint {
  x: number;
  y: number;
}

/** Stamps a disc of `radius` pixels at every pixel step from `from` to `to`. */
export function paintSegment(mask: Uint8Array, width: number, height: number, from: MaskPoint, to: MaskPoint, radius: number, value: number): void {
  const steps = Math.max(1, Math.ceil(Math.hypot(to.x - from.x, to.y - from.y)));
  for (let s = 0; s <= steps; s++) {
    const cx = from.x + ((to.x - from.x) * s) / steps;
    const cy = from.y + ((to.y - from.y) * s) / steps;
    for (let y = Math.max(0, Math.floor(cy - radius)); y <= Math.min(height - 1, Math.ceil(cy + radius)); y++) {
      for (let x = Math.max(0, Math.floor(cx - radius)); x <= Math.min(width - 1, Math.ceil(cx + radius)); x++) {
        if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 <= radius * radius) mask[y * width + x] = value;
      }
    }
  }
}

/** A mask being painted: strokes, and the mask before each, for undo. */
export class MaskCanvas {
  readonly data: Uint8Array<ArrayBuffer>;
  #undo: Uint8Array<ArrayBuffer>[] = [];
  #last: MaskPoint | undefined;

  constructor(
    readonly width: number,
    readonly height: number,
    data?: Uint8Array<ArrayBuffer>,
  ) {
    this.data = data ? data.slice() : new Uint8Array(width * height);
  }

  get canUndo(): boolean {
    return this.#undo.length > 0;
  }

  /** Starts a stroke of the brush (`erase` keeps instead of repainting). */
  begin(point: MaskPoint, radius: number, erase: boolean): void {
    this.#remember();
    this.#last = point;
    paintSegment(this.data, this.width, this.height, point, point, radius, erase ? 0 : 255);
  }

  /** Continues the stroke begun last. */
  extend(point: MaskPoint, radius: number, erase: boolean): void {
    if (!this.#last) return;
    paintSegment(this.data, this.width, this.height, this.#last, point, radius, erase ? 0 : 255);
    this.#last = point;
  }

  end(): void {
    this.#last = undefined;
  }

  clear(): void {
    this.#remember();
    this.data.fill(0);
  }

  invert(): void {
    this.#remember();
    for (let i = 0; i < this.data.length; i++) this.data[i] = 255 - this.data[i];
  }

  /** Takes back the last stroke, clear or invert. */
  undo(): void {
    const previous = this.#undo.pop();
    if (previous) this.data.set(previous);
  }

  /** Whether any pixel is to be repainted. */
  get painted(): boolean {
    return this.data.some((value) => value >= 128);
  }

  #remember(): void {
    // A few steps back are enough for "undo the last stroke", and bound the memory a 768×768 mask costs (590 KB each).
    if (this.#undo.length >= 20) this.#undo.shift();
    this.#undo.push(this.data.slice());
  }
}

import { DEFAULT_MASK_BLUR, DEFAULT_STRENGTH, IMAGE_INPUT_LIMITS, type ImageInput, type InputImage } from '../shared/image-input.ts';
import { MaskCanvas } from './mask-paint.ts';
import { loadRecord, saveRecord } from './persist.ts';
import { flattenOnWhite, maskFromRgba, rescaleMask, sourceRect, type PictureFit } from './picture-fit.ts';

const INPUT_KEY = 'input';

/** The picture as the user gave it; kept whole so a change of size or fit starts from it again. */
interface Source {
  blob: Blob;
  name: string;
  width: number;
  height: number;
}

/** What is saved, so a reload finds the picture and the mask in the form. */
interface SavedInput {
  source: Source;
  fit: PictureFit;
  strength: number;
  maskBlur: number;
  inpaint: boolean;
  mask?: { width: number; height: number; data: Uint8Array<ArrayBuffer> };
}

const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** A picture drawn at a job's size, and the size it had. */
interface Fitted {
  rgba: Uint8ClampedArray<ArrayBuffer>;
  sourceWidth: number;
  sourceHeight: number;
}

/** Decodes `blob` once and draws the part `fit` takes at `width`×`height`; the decoded bitmap is closed at once, however large. */
async function drawFitted(blob: Blob, width: number, height: number, fit: PictureFit): Promise<Fitted> {
  const bitmap = await createImageBitmap(blob);
  try {
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d');
    if (!context) throw new Error('the browser gave no 2D canvas');
    const rect = sourceRect(bitmap, { width, height }, fit);
    context.imageSmoothingQuality = 'high';
    context.drawImage(bitmap, rect.x, rect.y, rect.width, rect.height, 0, 0, width, height);
    return { rgba: context.getImageData(0, 0, width, height).data, sourceWidth: bitmap.width, sourceHeight: bitmap.height };
  } finally {
    bitmap.close();
  }
}

/** The picture a job starts from and its mask, as the form holds them: fitted to the job's size, saved on every change. */
class InputImageState {
  source = $state.raw<Source | undefined>();
  /** The picture at the job's size, flattened onto white. */
  image = $state.raw<InputImage | undefined>();
  fit = $state<PictureFit>('crop');
  strength = $state(DEFAULT_STRENGTH);
  maskBlur = $state(DEFAULT_MASK_BLUR);
  /** Repaint only the masked region. */
  inpaint = $state(false);
  mask = $state.raw<MaskCanvas | undefined>();
  /** Bumped on every brush stroke, so views of the mask redraw. */
  maskVersion = $state(0);
  message = $state.raw<{ ok: boolean; text: string } | undefined>();
  /** The fit the current `image` was drawn with. */
  #fittedAs: PictureFit | undefined;
  /** Counts pictures given and removed, so one that finishes decoding after a newer one (or a removal) is dropped. */
  #picked = 0;

  /** Takes a file, a pasted image or a gallery PNG as the picture; a file that is no readable image leaves the current one. */
  async setPicture(blob: Blob, name: string, width: number, height: number): Promise<void> {
    const picked = ++this.#picked;
    let fitted: Fitted;
    try {
      fitted = await drawFitted(blob, width, height, this.fit);
    } catch (error) {
      if (picked !== this.#picked) return;
      const kind = blob.type ? ` (${blob.type})` : '';
      this.message = { ok: false, text: `${name}${kind} is not an image this browser can read (${describe(error)}); the input is unchanged.` };
      return;
    }
    if (picked !== this.#picked) return;
    this.source = { blob, name, width: fitted.sourceWidth, height: fitted.sourceHeight };
    this.mask = undefined;
    this.#show(fitted.rgba, width, height);
  }

  /** Fits the picture (and moves the mask) to the job's size; the form calls it whenever size or fit change. */
  async fitTo(width: number, height: number): Promise<void> {
    const source = this.source;
    if (!source) return;
    if (this.image?.width === width && this.image.height === height && this.#fittedAs === this.fit) return;
    let fitted: Fitted;
    try {
      fitted = await drawFitted(source.blob, width, height, this.fit);
    } catch (error) {
      this.message = { ok: false, text: `${source.name} could not be drawn at ${width}×${height} (${describe(error)}).` };
      return;
    }
    if (source !== this.source) return;
    this.#show(fitted.rgba, width, height);
  }

  /** Makes `rgba`, the source drawn at `width`×`height`, the job's picture, moves the mask to it and says what was done. */
  #show(rgba: Uint8ClampedArray<ArrayBuffer>, width: number, height: number): void {
    const source = this.source!;
    const flat = flattenOnWhite(rgba);
    this.image = { width, height, rgba: flat.rgba };
    this.#fittedAs = this.fit;
    const mask = this.mask;
    if (mask && (mask.width !== width || mask.height !== height)) this.mask = new MaskCanvas(width, height, rescaleMask(mask.data, mask, { width, height }));
    const notes = [`${source.name}: ${source.width}×${source.height}`];
    if (source.width !== width || source.height !== height) notes.push(`${this.fit === 'crop' ? 'cropped and scaled' : 'resized'} to ${width}×${height}`);
    if (flat.hadAlpha) notes.push('its transparent pixels were filled with white, as AUTOMATIC1111 does');
    this.message = { ok: true, text: `${notes.join(', ')}.` };
    this.save();
  }

  async setFit(fit: PictureFit, width: number, height: number): Promise<void> {
    this.fit = fit;
    await this.fitTo(width, height);
  }

  /** Takes a mask image (white repaints), scaled to the picture's size. */
  async setMaskImage(blob: Blob, name: string): Promise<void> {
    const image = this.image;
    if (!image) return;
    try {
      const fitted = await drawFitted(blob, image.width, image.height, 'resize');
      const size = `${fitted.sourceWidth}×${fitted.sourceHeight}`;
      const data = maskFromRgba(fitted.rgba);
      this.mask = new MaskCanvas(image.width, image.height, data);
      this.inpaint = true;
      const scaled = size === `${image.width}×${image.height}` ? '' : `, scaled from ${size} to ${image.width}×${image.height}`;
      this.message = { ok: true, text: `Mask from ${name}${scaled}.` };
      this.maskVersion++;
      this.save();
    } catch (error) {
      this.message = { ok: false, text: `${name} is not an image this browser can read (${describe(error)}); the mask is unchanged.` };
    }
  }

  /** The mask to paint on, made blank at the picture's size when there is none. */
  paintable(): MaskCanvas | undefined {
    const image = this.image;
    if (!image) return undefined;
    if (!this.mask || this.mask.width !== image.width || this.mask.height !== image.height) this.mask = new MaskCanvas(image.width, image.height);
    return this.mask;
  }

  /** After a stroke, clear, invert or undo. */
  maskChanged(): void {
    this.maskVersion++;
    this.save();
  }

  /** Strength and mask blur from a PNG's parameters; the picture is not in a PNG, so it stays. */
  applyParameters(values: { strength?: number; maskBlur?: number } | undefined): void {
    if (values?.strength !== undefined) this.strength = values.strength;
    if (values?.maskBlur !== undefined) this.maskBlur = values.maskBlur;
    this.save();
  }

  remove(): void {
    this.#picked++;
    this.source = undefined;
    this.image = undefined;
    this.mask = undefined;
    this.inpaint = false;
    this.message = undefined;
    this.save();
  }

  /**
   * What a job takes, when the form has a picture; undefined for text to image.
   * Copies, so a stroke after Generate does not change the queued job.
   */
  forJob(): ImageInput | undefined {
    const image = this.image;
    if (!image) return undefined;
    const input: ImageInput = { image: { ...image, rgba: image.rgba.slice() }, strength: this.strength, maskBlur: this.maskBlur };
    if (this.inpaint && this.mask) input.mask = { width: this.mask.width, height: this.mask.height, data: this.mask.data.slice() };
    return input;
  }

  save(): void {
    const source = this.source;
    if (!source) {
      void saveRecord(INPUT_KEY, null);
      return;
    }
    const mask = this.mask && { width: this.mask.width, height: this.mask.height, data: this.mask.data.slice() };
    const saved: SavedInput = { source, fit: this.fit, strength: this.strength, maskBlur: this.maskBlur, inpaint: this.inpaint, mask };
    void saveRecord(INPUT_KEY, saved);
  }

  /** Brings back the picture and mask of the last session, fitted to the form's size. */
  async restore(width: number, height: number): Promise<void> {
    const record = await loadRecord(INPUT_KEY);
    const saved = record && typeof record === 'object' && 'value' in record ? (record.value as Partial<SavedInput> | null) : undefined;
    if (!saved?.source || !(saved.source.blob instanceof Blob)) return;
    const { strength, maskBlur } = IMAGE_INPUT_LIMITS;
    if (typeof saved.strength === 'number' && saved.strength >= strength.min && saved.strength <= strength.max) this.strength = saved.strength;
    if (Number.isInteger(saved.maskBlur) && saved.maskBlur! >= maskBlur.min && saved.maskBlur! <= maskBlur.max) this.maskBlur = saved.maskBlur!;
    this.fit = saved.fit === 'resize' ? 'resize' : 'crop';
    this.inpaint = saved.inpaint === true;
    const mask = saved.mask;
    if (mask && mask.data instanceof Uint8Array && mask.data.length === mask.width * mask.height) this.mask = new MaskCanvas(mask.width, mask.height, mask.data);
    this.source = saved.source;
    await this.fitTo(width, height);
  }
}

export const inputImage = new InputImageState();

/**
 * Notices when the device fails to allocate memory. ORT's native EP creates
 * buffers without an error scope, so an allocation that does not fit surfaces
 * only as an uncaptured `GPUOutOfMemoryError` on the device, while ORT goes on
 * with an unusable buffer (docs/ort-web.md, "The device").
 */
export function watchOutOfMemory(device: GPUDevice): { take(): boolean } {
  let failed = false;
  device.addEventListener('uncapturederror', (event) => {
    if ((event as GPUUncapturedErrorEvent).error instanceof GPUOutOfMemoryError) failed = true;
  });
  return {
    /** Whether an allocation failed since the last call. */
    take() {
      const result = failed;
      failed = false;
      return result;
    },
  };
}

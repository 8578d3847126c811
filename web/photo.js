// Photos and scans of a digit: decoded by the browser and handed to core as RGBA pixels. Core's
// ink_from_photo does the rest (polarity, uneven paper, specks, threshold), as it does for the CLI.
const MAX_SIDE = 800;  // core works at 400 px at most; this keeps the copy to the worker small

export async function decodeImage(file) {
  try {
    return await createImageBitmap(file);
  } catch {
    throw new Error(`'${file.name}' is not an image this browser can decode`);
  }
}

// {rgba: Uint8ClampedArray, width, height} of an image, scaled down to MAX_SIDE if larger.
export function rgbaFromImage(image) {
  const s = Math.min(1, MAX_SIDE / Math.max(image.width, image.height));
  const width = Math.max(1, Math.round(image.width * s));
  const height = Math.max(1, Math.round(image.height * s));
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(image, 0, 0, width, height);
  return { rgba: ctx.getImageData(0, 0, width, height).data, width, height };
}

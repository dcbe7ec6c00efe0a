// Blurhash (https://blurha.sh) placeholders, decoded onto a small canvas.

import { h } from './dom.js';


const B83 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~';
const decode83 = (text) => [...text].reduce((value, char) => value * 83 + B83.indexOf(char), 0);
const toLinear = (value) => {
  const v = value / 255;
  return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
};
const toSrgb = (value) => {
  const v = Math.min(1, Math.max(0, value));
  return Math.round((v <= 0.0031308 ? v * 12.92 : 1.055 * v ** (1 / 2.4) - 0.055) * 255);
};
const signedSquare = (value) => Math.sign(value) * value * value;

function decodeBlurhash(hash, width, height) {
  const sizeFlag = decode83(hash[0]);
  const nx = (sizeFlag % 9) + 1;
  const ny = Math.floor(sizeFlag / 9) + 1;
  if (hash.length !== 4 + 2 * nx * ny) throw new Error('invalid blurhash');
  const maxAc = (decode83(hash[1]) + 1) / 166;
  const dc = decode83(hash.slice(2, 6));
  const colors = [[toLinear(dc >> 16), toLinear((dc >> 8) & 255), toLinear(dc & 255)]];
  for (let i = 1; i < nx * ny; i++) {
    const ac = decode83(hash.slice(4 + i * 2, 6 + i * 2));
    const quantised = [Math.floor(ac / 361), Math.floor(ac / 19) % 19, ac % 19];
    colors.push(quantised.map((q) => signedSquare((q - 9) / 9) * maxAc));
  }
  const pixels = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r = 0, g = 0, b = 0;
      for (let j = 0; j < ny; j++) {
        for (let i = 0; i < nx; i++) {
          const basis = Math.cos((Math.PI * x * i) / width) * Math.cos((Math.PI * y * j) / height);
          const [cr, cg, cb] = colors[i + j * nx];
          r += cr * basis; g += cg * basis; b += cb * basis;
        }
      }
      const at = 4 * (x + y * width);
      pixels.set([toSrgb(r), toSrgb(g), toSrgb(b), 255], at);
    }
  }
  return pixels;
}

export function blurhashCanvas(hash) {
  const canvas = h('canvas', { class: 'blurhash', width: 32, height: 32, 'aria-hidden': 'true' });
  try {
    canvas.getContext('2d').putImageData(new ImageData(decodeBlurhash(hash, 32, 32), 32, 32), 0, 0);
  } catch { /* a bad hash leaves the plain background */ }
  return canvas;
}


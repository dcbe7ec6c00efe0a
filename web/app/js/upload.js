// Sending a file to a presigned upload target (the API's requestUpload), with progress.

import { mutate } from './api.js';
import { humanSize } from './dom.js';

const BY_EXTENSION = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp',
  heic: 'image/heic', gif: 'image/gif', mp4: 'video/mp4', mov: 'video/quicktime' };

export const contentTypeOf = (file) => file.type || BY_EXTENSION[file.name.split('.').pop().toLowerCase()] || '';

// XMLHttpRequest rather than fetch: it reports upload progress
function sendFile(target, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(target.method, target.url);
    xhr.upload.onprogress = (event) => event.lengthComputable && onProgress(event.loaded / event.total);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve();
      let message = `Upload failed (${xhr.status})`;
      try { message = JSON.parse(xhr.responseText).error.message; } catch { /* not our JSON */ }
      return reject(new Error(message));
    };
    xhr.onerror = () => reject(new Error('Upload failed: network error'));
    if (target.method === 'PUT') {
      for (const { name, value } of target.headers) xhr.setRequestHeader(name, value);
      xhr.send(file);
    } else {
      const form = new FormData();
      for (const { name, value } of target.fields) form.append(name, value);
      form.append('file', file); // last: storage services ignore fields after the file
      xhr.send(form);
    }
  });
}

/** Uploads `file`; resolves to its upload id. Errors name the file and its size. */
export async function uploadFile(file, onProgress = () => {}) {
  let ticket;
  try {
    ticket = (await mutate('requestUpload', { type: contentTypeOf(file), size: file.size })).upload;
  } catch (error) {
    throw new Error(`${file.name} (${humanSize(file.size)}): ${error.message}`);
  }
  await sendFile(ticket.target, file, onProgress);
  onProgress(1);
  return ticket.id;
}

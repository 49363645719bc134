import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Where an upload's bytes live. Postgres by default (the `upload.data` column, written with the
 * row: every instance sees every file); with STORAGE_DIR, a local directory (one file per upload,
 * named by its id), for a single instance or a shared mount.
 */
export interface FileStore {
  /** Bytes to store in the row itself (Postgres), or null when written here. */
  put(id: string, data: Buffer): Promise<Buffer | null>;
  /** The bytes, given those the row holds. */
  get(id: string, inRow: () => Promise<Buffer | null>): Promise<Buffer | null>;
  remove(ids: readonly string[]): Promise<void>;
}

export const postgresStore: FileStore = {
  put: async (_id, data) => data,
  get: (_id, inRow) => inRow(),
  remove: async () => undefined, // the rows hold the bytes: deleting them deletes the files
};

export function diskStore(dir: string): FileStore {
  const file = (id: string) => path.join(dir, id);
  return {
    async put(id, data) {
      await fs.mkdir(dir, { recursive: true });
      const temporary = `${file(id)}.part`;
      await fs.writeFile(temporary, data);
      await fs.rename(temporary, file(id));
      return null;
    },
    async get(id) {
      return fs.readFile(file(id)).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return null;
        throw error;
      });
    },
    async remove(ids) {
      await Promise.all(ids.map((id) => fs.rm(file(id), { force: true })));
    },
  };
}

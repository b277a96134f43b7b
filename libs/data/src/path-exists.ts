import { access } from 'node:fs/promises';

/** True when `path` exists (any type); permission problems surface later, at the actual read. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

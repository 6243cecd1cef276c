import { mergeConfig } from '../node-config.js';
import type { FolderConfigLayer } from '../project-config.js';

/** Folder-config layers resolved per folder, memoized (10,000 models share a few dozen folders). */
export class FolderConfigs {
  private readonly byPath = new Map<string, Record<string, unknown>>();
  private readonly memo = new Map<string, Record<string, unknown>>();
  constructor(layers: readonly FolderConfigLayer[]) {
    for (const layer of layers)
      this.byPath.set(layer.path, mergeConfig(this.byPath.get(layer.path) ?? {}, layer.config));
  }
  /** The config of everything in `folders`, with a leaf layer for the node's own name when written. */
  resolve(folders: readonly string[], name?: string): Record<string, unknown> {
    const key = folders.join('/');
    let config = this.memo.get(key);
    if (config === undefined) {
      config = this.byPath.get('') ?? {};
      for (let i = 1; i <= folders.length; i++) {
        const layer = this.byPath.get(folders.slice(0, i).join('/'));
        if (layer) config = mergeConfig(config, layer);
      }
      this.memo.set(key, config);
    }
    if (name !== undefined) {
      const leaf = this.byPath.get(key === '' ? name : `${key}/${name}`);
      if (leaf) return mergeConfig(config, leaf);
    }
    return config;
  }
}

/** @module Update a talosconfig safely: lock, re-read inside the lock, validate, atomic 0600 write, symlinks kept. */

import type { ContextCredentials } from "../types.ts";
import {
  type LoadedFile,
  readConfigText,
  updateConfigFile,
  type UpdateOptions,
  type UpdateResult,
  type YamlFileKind,
} from "../yaml_file.ts";
import { mergeContext, removeContext, type RemoveResult } from "./merge.ts";
import { parseTalosconfig } from "./read.ts";

export type { UpdateOptions, UpdateResult };

/** The talosconfig as a config file: parsed and shape-checked by parseTalosconfig. */
export const TALOSCONFIG: YamlFileKind = {
  what: "talosconfig",
  code: "ERR_TALOSCONFIG",
  check: (text, path) => void parseTalosconfig(text, path),
};

/**
 * Apply `mutate` to the talosconfig at `path` under `<target>.lock` (see updateConfigFile): re-read inside the
 * lock, a broken file left untouched, a result talosctl could not read never written, 0600 atomic writes.
 */
export async function updateTalosconfig(
  path: string,
  mutate: (text: string, current: LoadedFile) => string,
  options: UpdateOptions = {},
): Promise<UpdateResult> {
  return await updateConfigFile(path, TALOSCONFIG, mutate, options);
}

/** Add or replace context `name` with `creds` and make it current (see mergeContext for the rules). */
export async function writeContext(
  path: string,
  name: string,
  creds: ContextCredentials,
  options?: UpdateOptions,
): Promise<UpdateResult> {
  return await updateTalosconfig(path, (text) => mergeContext(text, name, creds), options);
}

/** Remove context `name` (clearing `context:` if it was current). A missing file or context changes nothing. */
export async function deleteContext(
  path: string,
  name: string,
  options?: UpdateOptions,
): Promise<Omit<RemoveResult, "text"> & { path: string }> {
  let result: RemoveResult = { text: "", removed: false, wasCurrent: false };
  const probe = await readConfigText(path, TALOSCONFIG); // a missing file, or a link to one: nothing to remove
  if (!probe.exists) return { path, removed: false, wasCurrent: false };
  await updateTalosconfig(path, (text) => {
    result = removeContext(text, name);
    return result.text;
  }, options);
  return { path, removed: result.removed, wasCurrent: result.wasCurrent };
}

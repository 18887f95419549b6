/**
 * @module /admin/blocks: the subject block list, behind the admin bearer token. A blocked identity gets 403
 * ERR_BLOCKED at /exchange on every worker and replica within a second; each change is audited.
 */

import { type Context, Hono, type MiddlewareHandler } from "hono";
import { TalosOidcError } from "../../shared/errors.ts";
import type { AuditEvent, AuditSink } from "../audit/types.ts";
import { methodNotAllowed } from "../errors_http.ts";
import { parseBlockInput, shownBlock } from "../state/blocks.ts";
import type { Block, BlockInput, BlockList } from "../state/types.ts";

/** Bytes a block request may carry (createApp's body limits enforce it before the body is read). */
export const BLOCK_MAX_BODY = 4 * 1024;

export interface AdminBlocksOptions {
  /** The admin API's bearer guard (admin_token, the shared lock-out, audited failures). */
  auth: MiddlewareHandler;
  blocks: Pick<BlockList, "add" | "remove" | "list">;
  audit: Pick<AuditSink, "write" | "committed">;
  now: () => number;
}

/** A sub-app to mount with `app.route("/admin", adminBlocksRoutes(...))`. */
export function adminBlocksRoutes(o: AdminBlocksOptions): Hono {
  const app = new Hono();
  app.use("/blocks", o.auth);
  app.use("/blocks/*", o.auth);
  app.get("/blocks", async function listBlocks(c) {
    c.header("Cache-Control", "no-store");
    return c.json({ blocks: (await o.blocks.list()).map(shownBlock) });
  });
  app.post("/blocks", async function addBlock(c) {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw new TalosOidcError("ERR_INVALID_REQUEST", "invalid JSON");
    }
    const block = await addAudited(o, c, parseBlockInput(body, o.now()));
    return c.json({ block: shownBlock(block) }, 201);
  });
  app.delete("/blocks/:id", async function removeBlock(c) {
    const block = await removeAudited(o, c, c.req.param("id"));
    if (!block) throw new TalosOidcError("ERR_NOT_FOUND", "no such block");
    return c.json({ removed: shownBlock(block) });
  });
  app.all("/blocks", methodNotAllowed("GET", "POST"));
  app.all("/blocks/:id", methodNotAllowed("DELETE"));
  return app;
}

/** Who did it, for the audit line (the admin token holder from this address). */
function actor(c: Context): Pick<AuditEvent, "client_ip" | "request.id"> {
  const v = c.var as { clientIp?: string; requestId?: string };
  return { ...(v.clientIp ? { client_ip: v.clientIp } : {}), ...(v.requestId ? { "request.id": v.requestId } : {}) };
}

/** Add a block and audit it; the answer waits until the line is written (a block is a security action). */
export async function addAudited(
  o: Pick<AdminBlocksOptions, "blocks" | "audit">,
  c: Context,
  input: BlockInput,
): Promise<Block> {
  const block = await o.blocks.add(input);
  await audited(o.audit, c, "admin_block", block, `block ${block.id}${block.until ? ` until ${block.until}` : ""}`);
  return block;
}

/** Remove a block and audit it; undefined when there is no such block. */
export async function removeAudited(
  o: Pick<AdminBlocksOptions, "blocks" | "audit">,
  c: Context,
  id: string,
): Promise<Block | undefined> {
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(id)) return undefined;
  const block = await o.blocks.remove(id);
  if (block) await audited(o.audit, c, "admin_unblock", block, `block ${block.id} removed`);
  return block;
}

/** One audit line for a change of the block list, written before the answer goes out. */
async function audited(
  audit: AdminBlocksOptions["audit"],
  c: Context,
  type: "admin_block" | "admin_unblock",
  block: Block,
  what: string,
): Promise<void> {
  audit.write({
    type,
    ...actor(c),
    ...(block.subject ? { subject: block.subject } : {}),
    ...(block.email ? { email: block.email } : {}),
    reason: block.reason,
    error: what,
  });
  await audit.committed();
}

/**
 * @module Windows keychain: the Credential Manager (generic credential `talosctl-oidc:<context>`, user name = context,
 * blob = UTF-8 JSON — the layout zalando/go-keyring and so the original tool use) through PowerShell and the Win32
 * CredWrite/CredRead/CredDelete API loaded with Add-Type.
 *
 * The script travels in `-EncodedCommand` (no secret in it); the secret goes in on stdin and comes out base64 on
 * stdout. A credential blob holds at most 2560 bytes: a larger token set fails here and the cache falls back to the
 * 0600 token file with a warning. Not run on Windows here: windows_test.ts checks the contract with a stand-in
 * powershell.exe and parses the scripts with the PowerShell and C# grammars.
 */

import { TalosOidcError } from "../../shared/errors.ts";
import type { Env } from "../paths.ts";
import { KEYCHAIN_NAMES, KEYCHAIN_SERVICE, type KeychainBackend, oneLine } from "./keychain.ts";
import { runProgram } from "./run.ts";

const CRED_CS = `
using System; using System.Runtime.InteropServices;
public static class TalosOidcCred {
  [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
  struct CREDENTIAL { public int Flags; public int Type; public string TargetName; public string Comment;
    public long LastWritten; public int CredentialBlobSize; public IntPtr CredentialBlob; public int Persist;
    public int AttributeCount; public IntPtr Attributes; public string TargetAlias; public string UserName; }
  [DllImport("advapi32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
  static extern bool CredWriteW(ref CREDENTIAL c, int flags);
  [DllImport("advapi32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
  static extern bool CredReadW(string target, int type, int flags, out IntPtr c);
  [DllImport("advapi32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
  static extern bool CredDeleteW(string target, int type, int flags);
  [DllImport("advapi32.dll")] static extern void CredFree(IntPtr p);
  public static void Write(string target, string user, byte[] blob) {
    var c = new CREDENTIAL { Type = 1, TargetName = target, UserName = user, Persist = 2,
      CredentialBlobSize = blob.Length, CredentialBlob = Marshal.AllocHGlobal(blob.Length) };
    try { Marshal.Copy(blob, 0, c.CredentialBlob, blob.Length);
      if (!CredWriteW(ref c, 0)) throw new System.ComponentModel.Win32Exception(Marshal.GetLastWin32Error()); }
    finally { Marshal.FreeHGlobal(c.CredentialBlob); }
  }
  public static string Read(string target) {
    IntPtr p;
    if (!CredReadW(target, 1, 0, out p)) { int e = Marshal.GetLastWin32Error(); if (e == 1168) return null;
      throw new System.ComponentModel.Win32Exception(e); }
    try { var c = (CREDENTIAL)Marshal.PtrToStructure(p, typeof(CREDENTIAL)); var b = new byte[c.CredentialBlobSize];
      Marshal.Copy(c.CredentialBlob, b, 0, b.Length); return Convert.ToBase64String(b); } finally { CredFree(p); }
  }
  public static bool Delete(string target) {
    if (CredDeleteW(target, 1, 0)) return true; int e = Marshal.GetLastWin32Error(); if (e == 1168) return false;
    throw new System.ComponentModel.Win32Exception(e);
  }
}`;

/** A Windows Credential Manager backend driven through `powershell.exe`. */
export function windowsCredentialManager(env: Env, command = "powershell.exe"): KeychainBackend {
  const call = (op: "probe" | "get" | "set" | "delete", account: string, stdin?: string) => {
    const q = (s: string) => `'${s.replace(/'/g, "''")}'`;
    const script = [
      "$ErrorActionPreference = 'Stop'",
      `Add-Type -TypeDefinition @'\n${CRED_CS}\n'@`,
      `$t = ${q(`${KEYCHAIN_SERVICE}:${account}`)}; $u = ${q(account)}`,
      op === "get" ? "$r = [TalosOidcCred]::Read($t); if ($r -eq $null) { exit 3 }; [Console]::Out.Write($r)" : "",
      op === "set" ? "[TalosOidcCred]::Write($t, $u, [Text.Encoding]::UTF8.GetBytes([Console]::In.ReadToEnd()))" : "",
      op === "delete" ? "if (-not [TalosOidcCred]::Delete($t)) { exit 3 }" : "",
      op === "probe" ? "[void][TalosOidcCred]::Read($t)" : "",
    ].filter(Boolean).join("\n");
    const encoded = btoa(String.fromCharCode(
      ...new Uint8Array(
        new Uint16Array([...script].flatMap((ch) => {
          const cp = ch.codePointAt(0)!;
          return cp > 0xffff ? [0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff)] : [cp];
        })).buffer,
      ),
    ));
    return runProgram(command, ["-NoProfile", "-NonInteractive", "-EncodedCommand", encoded], { env, stdin });
  };
  return {
    name: KEYCHAIN_NAMES.windows,
    async probe() {
      const r = await call("probe", "__talosctl_oidc_probe__");
      return r.code === 0 ? null : `powershell: ${oneLine(r.stderr) || `exit ${r.code}`}`;
    },
    async get(account) {
      const r = await call("get", account);
      if (r.code === 3) return null;
      if (r.code !== 0) throw failure("reading", account, r);
      return new TextDecoder().decode(Uint8Array.from(atob(r.stdout.trim()), (c) => c.charCodeAt(0)));
    },
    async set(account, secret) {
      const r = await call("set", account, secret);
      if (r.code !== 0) throw failure("storing", account, r);
    },
    async delete(account) {
      const r = await call("delete", account);
      if (r.code === 3) return false;
      if (r.code !== 0) throw failure("deleting", account, r);
      return true;
    },
  };
}

function failure(doing: string, account: string, r: { code: number; stderr: string }): TalosOidcError {
  return new TalosOidcError("ERR_TOKEN_CACHE", `${doing} the token of context "${account}" in the Credential Manager`, {
    cause: new Error(`powershell exit ${r.code}: ${oneLine(r.stderr)}`),
  });
}

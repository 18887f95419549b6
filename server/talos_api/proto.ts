/** @module The Talos MachineService subset from our own .proto files, loaded for @grpc/grpc-js (client and stand-ins). */

import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import protobuf from "protobufjs";
import commonProto from "./proto/common.proto" with { type: "text" };
import machineProto from "./proto/machine.proto" with { type: "text" };

/** google.protobuf.Duration as proto-loader hands it over (int64 seconds as a string). */
export interface Duration {
  seconds: string | number;
  nanos: number;
}

export interface Metadata {
  hostname: string;
  error: string;
}

export interface GenerateClientConfigurationRequest {
  roles: string[];
  crt_ttl: Duration | null;
}

export interface GenerateClientConfiguration {
  metadata: Metadata | null;
  ca: Uint8Array;
  crt: Uint8Array;
  key: Uint8Array;
  talosconfig: Uint8Array;
}

export interface GenerateClientConfigurationResponse {
  messages: GenerateClientConfiguration[];
}

export interface VersionResponse {
  messages: { metadata: Metadata | null; version: { tag: string; sha: string } | null }[];
}

type Unary<Req, Res> = (
  req: Req,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, res?: Res) => void,
) => grpc.ClientUnaryCall;

/** The generated client: one instance per endpoint, kept for the life of the process. */
export interface MachineServiceClient extends grpc.Client {
  GenerateClientConfiguration: Unary<GenerateClientConfigurationRequest, GenerateClientConfigurationResponse>;
  Version: Unary<Record<string, never>, VersionResponse>;
}

export interface MachineService {
  /** `new client(address, credentials, options)`. */
  client: new (
    address: string,
    credentials: grpc.ChannelCredentials,
    options?: grpc.ChannelOptions,
  ) => MachineServiceClient;
  /** For grpc.Server.addService (stand-ins in tests and the demo). */
  definition: grpc.ServiceDefinition;
}

/**
 * Parse the .proto sources (bundled as text, so the single-file build needs no files beside it) with protobufjs,
 * the google/protobuf types from its built-in copies, then build the grpc-js service. Bytes stay Uint8Array
 * (Buffer), int64 as strings, defaults filled in so a missing field reads as empty.
 */
export function loadMachineService(): MachineService {
  const root = new protobuf.Root();
  for (const file of ["google/protobuf/duration.proto", "google/protobuf/empty.proto"]) {
    const json = protobuf.common.get(file);
    if (!json?.nested) throw new Error(`protobufjs has no built-in ${file}`);
    root.addJSON(json.nested);
  }
  protobuf.parse(commonProto, root, { keepCase: true });
  protobuf.parse(machineProto, root, { keepCase: true });
  root.resolveAll();
  const definition = protoLoader.fromJSON(root.toJSON(), { keepCase: true, longs: String, defaults: true });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    machine: { MachineService: MachineService["client"] & { service: grpc.ServiceDefinition } };
  };
  const ctor = pkg.machine.MachineService;
  return { client: ctor, definition: ctor.service };
}

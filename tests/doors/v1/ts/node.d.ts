// The little of Node's globals client.ts uses (no @types/node to install).
declare const process: {
  env: Record<string, string | undefined>;
  exit(code: number): never;
};

export { launchServer } from './launch-server';
export type { ServerFlags } from './server-flags';
export { addServerFlags, securityWarnings, serverOptionsFromFlags } from './server-flags';
export { serverCommand } from './server-command';
export { compressionRatioFor } from './compression-ratio';
export { shardCommand } from './shard-command';

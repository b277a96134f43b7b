import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_SERVER_OPTIONS, DEFAULT_SHARD_OPTIONS, listenRules, startShard } from '@dtrain/coordinator';
import { cliConsole, intArg, logLevelOf, resolveToken } from '@dtrain/cli-kit';

interface ShardFlags {
  host?: string;
  port: number;
  token?: string;
  tokenFile?: string;
  insecure: boolean;
  maxFrameBytes: number;
  maxHeldPerWorker: number;
  tlsCert?: string;
  tlsKey?: string;
  logLevel?: string;
  logFormat?: string;
}

/**
 * `dtrain shard`: one parameter shard. It holds nothing until a coordinator (`dtrain server
 * --shards …`) opens a key range on it; then workers push that slice of their gradients here and take
 * that slice of the weights from here. Stops on SIGINT/SIGTERM.
 */
export function shardCommand(): Command {
  const d = DEFAULT_SHARD_OPTIONS;
  return new Command('shard')
    .description('run one parameter shard: a key range of the weights and its optimizer state, opened by a coordinator (dtrain server --shards)')
    .option('--host <addr>', 'interface to listen on (default: 0.0.0.0 with a token, 127.0.0.1 without)')
    .option('--port <n>', 'port to listen on (0 = any free port, printed at start)', intArg('--port'), 0)
    .option('--token <secret>', "the run's shared secret, which the coordinator presents (env DTRAIN_TOKEN)")
    .option('--token-file <path>', 'read the shared secret from a file')
    .option('--insecure', 'allow a non-loopback address without a token (trusted networks only)', false)
    .option('--max-frame-bytes <n>', 'largest accepted frame', intArg('--max-frame-bytes'), d.maxFrameBytes)
    .option('--max-held-per-worker <n>', "slices of one worker's pushes held for a verdict (older ones are dropped)", intArg('--max-held-per-worker'), d.maxHeldPerWorker)
    .option('--tls-cert <path>', 'serve wss:// with this certificate')
    .option('--tls-key <path>', 'and this private key')
    .option('--log-level <level>', 'error | warn | info | debug | silent')
    .option('--log-format <format>', 'auto | pretty | json')
    .action(async (flags: ShardFlags) => {
      const token = resolveToken(flags);
      // The server's rules, with its default token floor (--min-token-length).
      const floor = DEFAULT_SERVER_OPTIONS.minTokenLength;
      if (listenRules.tooShort(token, floor)) throw new InvalidArgumentError(`the token must be at least ${floor} characters (e.g. head -c 32 /dev/urandom | base64), got ${token!.length}`);
      const host = flags.host ?? listenRules.defaultHost(token);
      if (listenRules.exposedWithoutToken(host, token, flags.insecure))
        throw new InvalidArgumentError(`refusing to listen on ${host} without a token: anyone who reaches it could open the shard. Give --token-file (or DTRAIN_TOKEN), listen on 127.0.0.1, or pass --insecure`);
      if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) throw new InvalidArgumentError('--tls-cert and --tls-key go together');
      if (flags.maxHeldPerWorker < 1) throw new InvalidArgumentError('--max-held-per-worker must be at least 1');
      const { log } = cliConsole({ logFormat: flags.logFormat }, logLevelOf({ logLevel: flags.logLevel }));
      const shard = await startShard(
        {
          host,
          port: flags.port,
          token,
          maxFrameBytes: flags.maxFrameBytes,
          maxHeldPerWorker: flags.maxHeldPerWorker,
          tls: flags.tlsCert && flags.tlsKey ? { certPath: flags.tlsCert, keyPath: flags.tlsKey } : undefined,
        },
        { log },
      );
      // Always said: scripts, `dtrain local --servers` and tests read the port from here.
      process.stderr.write(`dtrain shard listening on ${shard.url.replace('127.0.0.1', host)} (port ${shard.port})\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await shard.close();
    });
}

import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, ParentMessage } from './protocol.js';

/** A demo child process (worker or watcher) with its IPC channel. */
export interface DemoChild {
  readonly name: string;
  readonly proc: ChildProcess;
  /** Resolves when it exited. */
  readonly exited: Promise<void>;
  send(message: ParentMessage): void;
}

const live = new Set<ChildProcess>();
let hooked = false;

/**
 * Starts `demo/<script>.ts` under tsx with an IPC channel. Its stderr is passed through with a
 * prefix. Every child is SIGKILLed when this process exits, however it exits.
 */
export function startChild(
  name: string,
  script: string,
  args: readonly string[],
  onMessage: (from: string, message: ChildMessage) => void,
): DemoChild {
  const file = fileURLToPath(new URL(`./${script}.ts`, import.meta.url));
  const proc = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  live.add(proc);
  if (!hooked) {
    hooked = true;
    process.on('exit', killAll);
  }
  proc.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    for (const line of chunk.split('\n')) if (line.trim()) process.stderr.write(`  ${name}! ${line}\n`);
  });
  proc.on('message', (m) => onMessage(name, m as ChildMessage));
  const exited = new Promise<void>((resolve) => {
    proc.once('exit', () => {
      live.delete(proc);
      resolve();
    });
  });
  return {
    name,
    proc,
    exited,
    send: (message) => {
      if (proc.connected) proc.send(message);
    },
  };
}

/** SIGKILLs every child still running. */
export function killAll(): void {
  for (const proc of live) proc.kill('SIGKILL');
}

/** How many children are still running. */
export function runningChildren(): number {
  return live.size;
}

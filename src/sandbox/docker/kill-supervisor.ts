import type Docker from 'dockerode';
import { writeContainerFiles, type ContainerFile } from './container-files.js';

/**
 * Ending a command must work even when the command has used up the container's pid limit (a fork
 * bomb): then nothing new can start in the container, not even the `kill` a second `docker exec`
 * would run. So every machine's main process is this supervisor, started before any command. It
 * waits on a FIFO it holds open, and on SIGUSR1 (which Docker delivers to pid 1, docker-init,
 * which forwards it here) reads kill requests and signals the named commands' process groups, using
 * only shell builtins: no fork needed. Requests are files `<token>.kill-<SIGNAL>` that the worker
 * writes through Docker's archive API, which unpacks on the host, outside the container's pid
 * limit; each command's wrapper writes its process group to `<token>.pid` in the same directory.
 */
export const supervisorDir = '/run/errand-exec';

const handler = [
  `for f in ${supervisorDir}/*.kill-*; do`,
  '  [ -e "$f" ] || continue',
  '  case "$handled" in *" $f "*) continue ;; esac',
  '  handled="$handled$f "',
  '  t=${f##*/}; s=${t##*.kill-}; t=${t%.kill-*}; p=',
  `  read -r p < "${supervisorDir}/$t.pid" 2>/dev/null || true`,
  '  case "$p" in ""|*[!0-9]*) continue ;; esac',
  '  kill -s "$s" -- "-$p" 2>/dev/null || true',
  'done',
].join('\n');

/** The machine's main command (POSIX sh): the supervisor, idle until asked to kill. */
export const supervisorScript = [
  "handled=' '",
  `trap '${handler.replace(/'/g, `'\\''`)}' USR1`,
  `w=${supervisorDir}/wake.$$`,
  // The FIFO stays open on fd 3 (read-write, so reads block and never see EOF) even if removed.
  'if mkfifo "$w" 2>/dev/null; then exec 3<>"$w"; while :; do read -r _ <&3; done; fi',
  'while :; do sleep 2147483647 & wait $!; done',
].join('\n');

export const supervisorCommand = ['sh', '-c', supervisorScript];

/** The directory the supervisor and the wrappers share: anyone writes, nobody removes others' files. */
export const supervisorFiles: ContainerFile[] = [{ path: supervisorDir, mode: 0o1777, uid: 0, gid: 0 }];

export function pidFile(token: string): string {
  return `${supervisorDir}/${token}.pid`;
}

/** Asks the supervisor to send `signal` to the command whose wrapper wrote `<token>.pid`. */
export async function requestKill(container: Docker.Container, token: string, signal: 'TERM' | 'KILL'): Promise<void> {
  await writeContainerFiles(container, [{ path: `${supervisorDir}/${token}.kill-${signal}`, content: '', mode: 0o644, uid: 0, gid: 0 }]);
  await container.kill({ signal: 'SIGUSR1' });
}

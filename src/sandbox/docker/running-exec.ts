import type Docker from 'dockerode';

/**
 * Whether a command runs in the container now (a person attached: `errand attach`, the web
 * terminal). Docker lists only running execs in a container's ExecIDs, but one may end between
 * the listing and its inspect, so each is asked.
 */
export async function hasRunningExec(docker: Docker, containerId: string): Promise<boolean> {
  const { ExecIDs } = await docker.getContainer(containerId).inspect();
  const execs = await Promise.all((ExecIDs ?? []).map((id) => docker.getExec(id).inspect().then((exec) => exec.Running, () => false)));
  return execs.some(Boolean);
}

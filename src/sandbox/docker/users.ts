import type Docker from 'dockerode';
import { ErrandError } from '../../core/errors.js';
import { readContainerFile, writeContainerFiles, type ContainerFile } from './container-files.js';

export interface ContainerUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/**
 * Makes sure the environment's user exists in a created (not yet started) container and returns
 * its ids. A missing user is added to /etc/passwd and /etc/group with a home directory, written
 * through Docker's archive API: no root shell, no capabilities needed inside the container.
 * With `sudo`, a named user also joins the image's `sudo` group when there is one (the machine
 * image lets that group sudo without a password).
 */
export async function ensureUser(container: Docker.Container, name: string, options: { sudo?: boolean } = {}): Promise<ContainerUser> {
  const plan = await planUser(container, name, options);
  if (plan.files.length > 0) await writeContainerFiles(container, plan.files);
  return plan.user;
}

/** What ensureUser would write: the same for every container of one image, so a sandbox keeps it per image and writes it with its own files. */
export interface UserPlan {
  user: ContainerUser;
  files: ContainerFile[];
}

/** Reads the image's /etc/passwd and /etc/group (from a created container) and works out the user's ids and the files to write. */
export async function planUser(container: Docker.Container, name: string, { sudo = false }: { sudo?: boolean } = {}): Promise<UserPlan> {
  if (name === 'root' || name === '0') return { user: { name: 'root', uid: 0, gid: 0, home: '/root' }, files: [] };
  const [passwdText, groupText] = await Promise.all([readContainerFile(container, '/etc/passwd'), readContainerFile(container, '/etc/group')]);
  const passwd = passwdText ?? '';
  const originalGroup = groupText ?? '';
  let group = originalGroup;
  const users = passwd.split('\n').filter(Boolean).map((line) => line.split(':'));
  const numeric = /^(\d+)(?::(\d+))?$/.exec(name);
  if (numeric) {
    const uid = Number(numeric[1]);
    const entry = users.find((fields) => Number(fields[2]) === uid);
    return { user: { name: entry?.[0] ?? name, uid, gid: Number(numeric[2] ?? entry?.[3] ?? uid), home: entry?.[5] ?? '/tmp' }, files: [] };
  }
  const withSudo = sudo ? joinGroup(group, 'sudo', name) : group;
  const existing = users.find((fields) => fields[0] === name);
  if (existing) {
    return {
      user: { name, uid: Number(existing[2]), gid: Number(existing[3]), home: existing[5] || '/' },
      files: withSudo !== group ? [{ path: '/etc/group', content: withSudo, mode: 0o644, uid: 0, gid: 0 }] : [],
    };
  }
  group = withSudo;

  if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(name)) {
    throw new ErrandError('environment_invalid', `the environment's user "${name}" is not a valid user name; fix: use a lower-case name such as "ubuntu"`);
  }
  const taken = (lines: string[][]) => new Set(lines.map((fields) => Number(fields[2])));
  const groups = group.split('\n').filter(Boolean).map((line) => line.split(':'));
  const uid = firstFree(taken(users));
  const existingGroup = groups.find((fields) => fields[0] === name);
  const gid = existingGroup ? Number(existingGroup[2]) : taken(groups).has(uid) ? firstFree(taken(groups)) : uid;
  const home = `/home/${name}`;
  const withLine = (text: string, line: string) => `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${line}\n`;
  return {
    user: { name, uid, gid, home },
    files: [
      { path: '/etc/passwd', content: withLine(passwd, `${name}:x:${uid}:${gid}::${home}:/bin/bash`), mode: 0o644, uid: 0, gid: 0 },
      ...(existingGroup && group === originalGroup ? [] : [{ path: '/etc/group', content: existingGroup ? group : withLine(group, `${name}:x:${gid}:`), mode: 0o644, uid: 0, gid: 0 }]),
      { path: home, mode: 0o755, uid, gid },
    ],
  };
}

/** /etc/group with `user` added to `groupName`'s members, unchanged when the group is absent or has it. */
export function joinGroup(group: string, groupName: string, user: string): string {
  let changed = false;
  const lines = group.split('\n').map((line) => {
    const fields = line.split(':');
    if (fields[0] !== groupName || fields.length < 4) return line;
    const members = fields[3]!.split(',').filter(Boolean);
    if (members.includes(user)) return line;
    changed = true;
    fields[3] = [...members, user].join(',');
    return fields.join(':');
  });
  return changed ? lines.join('\n') : group;
}

function firstFree(taken: Set<number>): number {
  let id = 1000;
  while (taken.has(id)) id++;
  return id;
}

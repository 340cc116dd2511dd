/** Where a secret applies: a whole workspace or one repository in it. */
export interface SecretScope {
  workspace: string;
  repo?: string;
}

export interface SecretInfo {
  name: string;
  scope: SecretScope;
  /** Also available to the environment's `install` step. */
  availableToInstall: boolean;
  updatedAt: string;
}

export interface SecretStore {
  set(scope: SecretScope, name: string, value: string, options?: { availableToInstall?: boolean }): Promise<void>;
  list(scope: SecretScope): Promise<SecretInfo[]>;
  remove(scope: SecretScope, name: string): Promise<boolean>;
  /** Workspace secrets overlaid by repo secrets, decrypted. Only the worker calls this. */
  resolve(scope: SecretScope, phase: 'install' | 'agent'): Promise<Record<string, string>>;
}

/** Limits how many agents run at once per workspace and per person (settings decide the numbers). */
export interface Admission {
  /**
   * Takes a run slot for the agent if both of its limits allow it. Slots held by agents that are no
   * longer preparing or running are reclaimed first, so a crashed worker never leaks slots.
   */
  admit(input: { agentId: string; workspace: string; person: string; maxWorkspace: number; maxPerson: number }): Promise<AdmitResult>;
  release(input: { agentId: string; workspace: string; person: string }): Promise<void>;
}

export type AdmitResult = { admitted: true } | { admitted: false; running: number; limit: 'workspace' | 'person' };

// Every guard event of a trajectory, in order: the start page's, then each step's.
import type { GuardEventRecord, Trajectory } from './types.ts';

export function guardEventsOf(trajectory: Pick<Trajectory, 'startGuardEvents' | 'steps'>): GuardEventRecord[] {
  return [...trajectory.startGuardEvents, ...trajectory.steps.flatMap((s) => s.guardEvents)];
}

// Entry point: diffusers-exact schedulers built from a scheduler_config.json,
// and the config for each sampler the UI offers.

import { ConfigError } from '../../../src/shared/errors.ts';
import type { SchedulerChoice } from '../../../src/shared/settings.ts';
import type { Scheduler } from './base.ts';
import {
  readDdim,
  readDpm,
  readEuler,
  readEulerAncestral,
  readLcm,
  schedulerClass,
  type SchedulerClassName,
  type SchedulerConfig,
} from './config.ts';
import { DDIMScheduler } from './ddim.ts';
import { DPMSolverMultistepScheduler } from './dpm-solver-multistep.ts';
import { EulerAncestralDiscreteScheduler } from './euler-ancestral.ts';
import { EulerDiscreteScheduler } from './euler.ts';
import { LCMScheduler } from './lcm.ts';

export type { Scheduler, SchedulerState, StepOutput } from './base.ts';
export { SCHEDULER_CLASSES, parseSchedulerConfig, type SchedulerClassName, type SchedulerConfig } from './config.ts';
export type { SchedulerChoice };

/** Builds the scheduler a config names; ConfigError for an unknown class or an unusable value. */
export function createScheduler(config: SchedulerConfig): Scheduler {
  const { config: checked, className } = schedulerClass(config);
  switch (className) {
    case 'EulerDiscreteScheduler':
      return new EulerDiscreteScheduler(readEuler(checked));
    case 'EulerAncestralDiscreteScheduler':
      return new EulerAncestralDiscreteScheduler(readEulerAncestral(checked));
    case 'DDIMScheduler':
      return new DDIMScheduler(readDdim(checked));
    case 'LCMScheduler':
      return new LCMScheduler(readLcm(checked));
    case 'DPMSolverMultistepScheduler':
      return new DPMSolverMultistepScheduler(readDpm(checked));
  }
}

// Keys that make each choice what its label says, whatever the model's own scheduler had set.
const PLAIN = { use_karras_sigmas: false, use_exponential_sigmas: false, use_beta_sigmas: false };
const DPMPP_2M = { ...PLAIN, algorithm_type: 'dpmsolver++', solver_order: 2, use_lu_lambdas: false };
const CHOICES: Record<SchedulerChoice, { className: SchedulerClassName; overrides: Record<string, unknown> }> = {
  euler: { className: 'EulerDiscreteScheduler', overrides: PLAIN },
  'euler-a': { className: 'EulerAncestralDiscreteScheduler', overrides: {} },
  ddim: { className: 'DDIMScheduler', overrides: {} },
  lcm: { className: 'LCMScheduler', overrides: {} },
  'dpmpp-2m': { className: 'DPMSolverMultistepScheduler', overrides: DPMPP_2M },
  'dpmpp-2m-karras': { className: 'DPMSolverMultistepScheduler', overrides: { ...DPMPP_2M, use_karras_sigmas: true } },
};

/**
 * The config of the UI's `choice` for a model, as
 * `XScheduler.from_config(pipe.scheduler.config, **overrides)`: the keys the
 * model's file sets carry over; keys it left out take the new class's
 * defaults, not the old class's (ConfigMixin drops `_use_default_values`).
 */
export function schedulerConfigFor(choice: SchedulerChoice, base: SchedulerConfig): SchedulerConfig {
  const target = CHOICES[choice];
  if (!target) throw new ConfigError('settings', 'scheduler', Object.keys(CHOICES).join(', '));
  return { ...base, ...target.overrides, _class_name: target.className };
}

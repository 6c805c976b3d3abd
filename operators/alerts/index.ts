// Alert rules over keyed streams: conditions with `for`, hysteresis, repeats, and absence; pure and clock-free.
export {
  alertRule,
  type AlertHistoryEntry,
  type AlertInstance,
  type AlertRuleOptions,
  type AlertRuleView,
} from './alert-rule.js';
export { compileCondition, conditionNames, type ConditionName } from './rule.js';
export type {
  AlertInput,
  AlertNotification,
  AlertRuleSpec,
  CompiledCondition,
  ConditionResult,
  Severity,
} from './rule.js';

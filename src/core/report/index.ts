// The door of src/core/report: the report job (prepareReport / runReport), one self-contained HTML file
// of runs' figures, comparisons, pairs, verdicts, personas and provenance, for a reader without the tool.

export {
  prepareReport,
  type ReportHooks,
  type ReportInputs,
  type ReportPlan,
  type ReportPlanRun,
  type ReportProgress,
  type ReportResult,
  runReport,
} from './report-job';
export { inertJson } from './report-html';
export { REPORT_BLOCKS } from './report-model';

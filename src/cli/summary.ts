// The run summary is built by the pipeline (every front end shares it); kept here for importers.
export { SummaryBuilder, SUMMARY_MAX_CHANGES } from '../pipeline/summary.js';
